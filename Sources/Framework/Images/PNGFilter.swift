/// PNG row filters (PNG spec §9): reconstruction for the decoder (libpng filters what we write).
enum PNGFilter {
    /// Reverses filter `type` on `row` in place. `prior` is the previous reconstructed row of
    /// the same (sub-)image, or zeros for its first row; `stride` is ``PNGHeader/filterStride``.
    static func unfilter(type: UInt8, row: UnsafeMutablePointer<UInt8>, prior: UnsafePointer<UInt8>,
                         count: Int, stride bpp: Int) -> Bool {
        switch type {
        case 0:
            break
        case 1:
            var i = bpp
            while i < count {
                row[i] &+= row[i - bpp]
                i += 1
            }
        case 2:
            for i in 0..<count { row[i] &+= prior[i] }
        case 3:
            for i in 0..<min(bpp, count) { row[i] &+= prior[i] >> 1 }
            var i = bpp
            while i < count {
                row[i] &+= UInt8(truncatingIfNeeded: (Int(row[i - bpp]) + Int(prior[i])) >> 1)
                i += 1
            }
        case 4:
            switch bpp {
            case 3: paethRow3(row, prior, count)
            case 4: paethRow4(row, prior, count)
            default:
                // With no left neighbour a = c = 0 and Paeth picks b.
                for i in 0..<min(bpp, count) { row[i] &+= prior[i] }
                var i = bpp
                while i < count {
                    row[i] &+= paeth(row[i - bpp], prior[i], prior[i - bpp])
                    i += 1
                }
            }
        default:
            return false
        }
        return true
    }

    /// Paeth reconstruction of 3-byte pixels (8-bit RGB, the common case). The left and
    /// upper-left pixels are carried in registers: re-reading the byte just written three
    /// positions back would stall on store-to-load forwarding at every byte.
    @inline(__always)
    private static func paethRow3(_ row: UnsafeMutablePointer<UInt8>, _ prior: UnsafePointer<UInt8>, _ count: Int) {
        var a0: UInt8 = 0, a1: UInt8 = 0, a2: UInt8 = 0
        var c0: UInt8 = 0, c1: UInt8 = 0, c2: UInt8 = 0
        var i = 0
        while i + 3 <= count {
            let b0 = prior[i], b1 = prior[i + 1], b2 = prior[i + 2]
            a0 = row[i] &+ paeth(a0, b0, c0)
            a1 = row[i + 1] &+ paeth(a1, b1, c1)
            a2 = row[i + 2] &+ paeth(a2, b2, c2)
            row[i] = a0; row[i + 1] = a1; row[i + 2] = a2
            c0 = b0; c1 = b1; c2 = b2
            i += 3
        }
    }

    /// As ``paethRow3(_:_:_:)`` for 4-byte pixels (8-bit RGBA, 16-bit grey+alpha).
    @inline(__always)
    private static func paethRow4(_ row: UnsafeMutablePointer<UInt8>, _ prior: UnsafePointer<UInt8>, _ count: Int) {
        var a0: UInt8 = 0, a1: UInt8 = 0, a2: UInt8 = 0, a3: UInt8 = 0
        var c0: UInt8 = 0, c1: UInt8 = 0, c2: UInt8 = 0, c3: UInt8 = 0
        var i = 0
        while i + 4 <= count {
            let b0 = prior[i], b1 = prior[i + 1], b2 = prior[i + 2], b3 = prior[i + 3]
            a0 = row[i] &+ paeth(a0, b0, c0)
            a1 = row[i + 1] &+ paeth(a1, b1, c1)
            a2 = row[i + 2] &+ paeth(a2, b2, c2)
            a3 = row[i + 3] &+ paeth(a3, b3, c3)
            row[i] = a0; row[i + 1] = a1; row[i + 2] = a2; row[i + 3] = a3
            c0 = b0; c1 = b1; c2 = b2; c3 = b3
            i += 4
        }
    }

    /// The Paeth predictor, written with the distances from p = a + b - c expanded.
    @inline(__always)
    static func paeth(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt8 {
        let ia = Int(a), ib = Int(b), ic = Int(c)
        let pa = abs(ib - ic), pb = abs(ia - ic), pc = abs(ia + ib - 2 * ic)
        if pa <= pb && pa <= pc { return a }
        return pb <= pc ? b : c
    }
}

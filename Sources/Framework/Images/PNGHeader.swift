/// The contents of a PNG IHDR chunk, validated, plus the layout facts derived from it.
struct PNGHeader: Equatable {
    /// The eight bytes every PNG starts with.
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Adam7 passes as (x0, y0, dx, dy).
    static let adam7: [(x: Int, y: Int, dx: Int, dy: Int)] = [
        (0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2),
    ]

    let width: Int
    let height: Int
    let bitDepth: Int
    /// 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA.
    let colorType: Int
    let interlaced: Bool

    /// Parses and validates the 13 IHDR data bytes.
    init(_ data: UnsafeRawBufferPointer, file: String) throws(ImageError) {
        guard data.count == 13 else { throw .badHeader(file: file, detail: "IHDR has \(data.count) bytes, expected 13") }
        func u32(_ o: Int) -> Int { Int(data[o]) << 24 | Int(data[o + 1]) << 16 | Int(data[o + 2]) << 8 | Int(data[o + 3]) }
        width = u32(0)
        height = u32(4)
        bitDepth = Int(data[8])
        colorType = Int(data[9])
        guard width > 0, height > 0, width <= 0x7FFF_FFFF, height <= 0x7FFF_FFFF else {
            throw .badHeader(file: file, detail: "image size \(width)x\(height) is invalid")
        }
        let allowed: [Int]
        switch colorType {
        case 0: allowed = [1, 2, 4, 8, 16]
        case 3: allowed = [1, 2, 4, 8]
        case 2, 4, 6: allowed = [8, 16]
        default: throw .badHeader(file: file, detail: "invalid colour type \(colorType)")
        }
        guard allowed.contains(bitDepth) else {
            throw .unsupported(file: file, detail: "bit depth \(bitDepth) with colour type \(colorType)")
        }
        guard data[10] == 0 else { throw .badHeader(file: file, detail: "unknown compression method \(data[10])") }
        guard data[11] == 0 else { throw .badHeader(file: file, detail: "unknown filter method \(data[11])") }
        guard data[12] <= 1 else { throw .badHeader(file: file, detail: "unknown interlace method \(data[12])") }
        interlaced = data[12] == 1
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= RGBImage.maximumPixelCount else {
            throw .tooLarge(file: file, width: width, height: height)
        }
    }

    /// Samples per pixel.
    var channels: Int {
        switch colorType {
        case 2: return 3
        case 4: return 2
        case 6: return 4
        default: return 1
        }
    }

    /// Distance between a byte and the corresponding byte of the previous pixel, as the
    /// filters use it (1 for sub-byte pixels).
    var filterStride: Int { max(1, channels * bitDepth / 8) }

    /// Bytes in one row of `pixels` pixels, without the filter-type byte.
    func rowBytes(_ pixels: Int) -> Int { (pixels * channels * bitDepth + 7) / 8 }

    /// Sub-images in stream order: the whole image, or the non-empty Adam7 passes.
    var passes: [(x: Int, y: Int, dx: Int, dy: Int, width: Int, height: Int)] {
        guard interlaced else { return [(0, 0, 1, 1, width, height)] }
        return Self.adam7.compactMap { p in
            let w = width > p.x ? (width - p.x + p.dx - 1) / p.dx : 0
            let h = height > p.y ? (height - p.y + p.dy - 1) / p.dy : 0
            return w > 0 && h > 0 ? (p.x, p.y, p.dx, p.dy, w, h) : nil
        }
    }

    /// Exact size of the decompressed image data: every row of every pass plus its filter byte.
    var rawDataCount: Int { passes.reduce(0) { $0 + $1.height * (rowBytes($1.width) + 1) } }
}

/// Converts reconstructed PNG rows of any colour type and bit depth to RGB bytes exactly as
/// PIL's `Image.open(...).convert("RGB")` does, which is what DiffSynth's `LoadImage` runs:
///
/// * 1/2/4-bit grey is scaled to 0...255 (×255, ×85, ×17); 8-bit grey is replicated.
/// * 16-bit grey opens as PIL mode `I;16`, whose RGB conversion *clips* to 255 (it does not
///   scale): value v becomes min(v, 255).
/// * 16-bit RGB, RGBA and grey+alpha keep the high byte of each sample (PIL's `;16B` raw modes).
/// * Alpha and tRNS transparency are dropped, not composited.
/// * Palette indices beyond the PLTE entries map to black.
struct PNGPixelConverter {
    let header: PNGHeader
    /// 256 RGB entries, zero-filled past the PLTE chunk's.
    let palette: UnsafePointer<UInt8>

    /// Converts `pixels` pixels of `row`, writing pixel i at `out + i * step`.
    func convert(row: UnsafePointer<UInt8>, pixels: Int, out: UnsafeMutablePointer<UInt8>, step: Int) {
        switch (header.colorType, header.bitDepth) {
        case (0, 8):
            for i in 0..<pixels {
                let v = row[i]
                let o = out + i * step
                o[0] = v; o[1] = v; o[2] = v
            }
        case (0, 16):
            for i in 0..<pixels {
                let v = row[2 * i] == 0 ? row[2 * i + 1] : 255
                let o = out + i * step
                o[0] = v; o[1] = v; o[2] = v
            }
        case (0, let depth):
            let scale = UInt8(255 / ((1 << depth) - 1))
            unpack(row: row, pixels: pixels, depth: depth) { i, v in
                let o = out + i * step
                let g = v &* scale
                o[0] = g; o[1] = g; o[2] = g
            }
        case (2, 8):
            if step == 3 {
                out.update(from: row, count: 3 * pixels)
            } else {
                for i in 0..<pixels {
                    let o = out + i * step
                    o[0] = row[3 * i]; o[1] = row[3 * i + 1]; o[2] = row[3 * i + 2]
                }
            }
        case (2, _):
            for i in 0..<pixels {
                let o = out + i * step
                o[0] = row[6 * i]; o[1] = row[6 * i + 2]; o[2] = row[6 * i + 4]
            }
        case (3, 8):
            for i in 0..<pixels {
                let p = palette + 3 * Int(row[i])
                let o = out + i * step
                o[0] = p[0]; o[1] = p[1]; o[2] = p[2]
            }
        case (3, let depth):
            unpack(row: row, pixels: pixels, depth: depth) { i, v in
                let p = palette + 3 * Int(v)
                let o = out + i * step
                o[0] = p[0]; o[1] = p[1]; o[2] = p[2]
            }
        case (4, let depth):
            let bytesPerPixel = depth == 8 ? 2 : 4
            for i in 0..<pixels {
                let v = row[bytesPerPixel * i]
                let o = out + i * step
                o[0] = v; o[1] = v; o[2] = v
            }
        default:  // (6, 8) and (6, 16)
            let bytesPerPixel = header.bitDepth == 8 ? 4 : 8
            let sample = header.bitDepth / 8
            for i in 0..<pixels {
                let s = row + bytesPerPixel * i
                let o = out + i * step
                o[0] = s[0]; o[1] = s[sample]; o[2] = s[2 * sample]
            }
        }
    }

    /// Calls `body(i, value)` for each packed sub-byte sample, most significant bits first.
    @inline(__always)
    private func unpack(row: UnsafePointer<UInt8>, pixels: Int, depth: Int, _ body: (Int, UInt8) -> Void) {
        let perByte = 8 / depth
        let mask = UInt8((1 << depth) - 1)
        for i in 0..<pixels {
            let byte = row[i / perByte]
            let shift = 8 - depth * (i % perByte + 1)
            body(i, (byte >> UInt8(shift)) & mask)
        }
    }
}

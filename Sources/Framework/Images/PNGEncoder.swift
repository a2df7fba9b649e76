/// Encodes ``RGBImage`` as an 8-bit RGB, non-interlaced PNG in pure Swift.
///
/// Each row gets the filter that minimises the sum of absolute signed output bytes (libpng's
/// heuristic), and the filtered data is compressed with ``Deflater``.
enum PNGEncoder {
    /// IDAT chunks are split at this size; any size is legal, moderate ones keep readers that
    /// buffer a chunk at a time happy.
    private static let maximumChunkData = 1 << 18

    static func encode(_ image: RGBImage, file: String) throws -> [UInt8] {
        guard image.width > 0, image.height > 0 else {
            throw ImageError.writeFailed(file: file, reason: "PNG cannot store an empty \(image.width)x\(image.height) image")
        }
        guard image.width <= 0x7FFF_FFFF, image.height <= 0x7FFF_FFFF else {
            throw ImageError.writeFailed(file: file, reason: "image too large for PNG")
        }
        let rowBytes = image.width * 3
        var filtered = [UInt8](repeating: 0, count: image.height * (rowBytes + 1))
        let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 5 * rowBytes)
        defer { scratch.deallocate() }
        let zeros = [UInt8](repeating: 0, count: rowBytes)
        image.pixels.withUnsafeBufferPointer { pixels in
            zeros.withUnsafeBufferPointer { zeroRow in
                filtered.withUnsafeMutableBufferPointer { out in
                    for y in 0..<image.height {
                        let row = pixels.baseAddress! + y * rowBytes
                        let prior = y == 0 ? zeroRow.baseAddress! : row - rowBytes
                        PNGFilter.filterAdaptively(row: row, prior: prior, count: rowBytes, stride: 3,
                                                   scratch: scratch, out: out.baseAddress! + y * (rowBytes + 1))
                    }
                }
            }
        }
        let compressed = Deflater.zlibCompress(filtered)

        var png = PNGHeader.signature
        png.reserveCapacity(compressed.count + 128)
        var ihdr: [UInt8] = []
        appendUInt32(&ihdr, UInt32(image.width))
        appendUInt32(&ihdr, UInt32(image.height))
        ihdr += [8, 2, 0, 0, 0]  // 8-bit, truecolour, deflate, adaptive filtering, no interlace
        appendChunk(&png, "IHDR", ihdr[...])
        var start = 0
        repeat {
            let end = min(start + maximumChunkData, compressed.count)
            appendChunk(&png, "IDAT", compressed[start..<end])
            start = end
        } while start < compressed.count
        appendChunk(&png, "IEND", [][...])
        return png
    }

    private static func appendUInt32(_ out: inout [UInt8], _ v: UInt32) {
        out += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    private static func appendChunk(_ png: inout [UInt8], _ type: String, _ data: ArraySlice<UInt8>) {
        appendUInt32(&png, UInt32(data.count))
        let typeAndData = Array(type.utf8) + data
        png += typeAndData
        appendUInt32(&png, typeAndData.withUnsafeBytes { CRC32.update(0, $0) })
    }
}

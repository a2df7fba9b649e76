/// Decodes PNG files to ``RGBImage``: the image data through libpng (inflate, filters, Adam7),
/// with the file's structure validated here first and PIL's `convert("RGB")` applied to the
/// samples libpng returns (``PNGPixelConverter``).
///
/// Supports every colour type and bit depth of the PNG specification, all five filter types
/// and Adam7 interlacing; the result equals PIL's `convert("RGB")` (see ``PNGPixelConverter``).
/// Every chunk's length and CRC-32, the zlib stream (including its Adler-32) and the exact size
/// of the image data are checked. Malformed input throws an ``ImageError`` naming `file`; no
/// input can make it read or write out of bounds.
enum PNGDecoder {
    static func decode(_ bytes: UnsafeRawBufferPointer, file: String) throws -> RGBImage {
        let signature = PNGHeader.signature
        guard bytes.count >= 8, (0..<8).allSatisfy({ bytes[$0] == signature[$0] }) else {
            throw ImageError.corruptData(file: file, detail: "missing PNG signature")
        }
        var header: PNGHeader?
        var palette = [UInt8](repeating: 0, count: 256 * 3)
        var paletteEntries = 0
        var imageData: [UInt8] = []
        var sawImageData = false, imageDataEnded = false, sawEnd = false
        var offset = 8

        func u32(_ o: Int) -> Int {
            Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
        }
        while !sawEnd {
            guard bytes.count - offset >= 12 else {
                throw ImageError.truncated(file: file, detail: offset == bytes.count
                    ? "file ends after \(bytes.count) bytes without an IEND chunk"
                    : "chunk header at byte \(offset) is cut off (\(bytes.count - offset) bytes left)")
            }
            let length = u32(offset)
            let typeBytes = (0..<4).map { bytes[offset + 4 + $0] }
            guard typeBytes.allSatisfy({ (65...90).contains($0) || (97...122).contains($0) }) else {
                throw ImageError.corruptData(file: file, detail: "invalid chunk type bytes \(typeBytes) at byte \(offset)")
            }
            let type = String(decoding: typeBytes, as: UTF8.self)
            guard length <= 0x7FFF_FFFF else {
                throw ImageError.corruptData(file: file, detail: "chunk \(type) at byte \(offset) declares length \(length)")
            }
            guard bytes.count - offset - 12 >= length else {
                throw ImageError.truncated(file: file, detail:
                    "chunk \(type) at byte \(offset) needs \(length + 12) bytes, only \(bytes.count - offset) remain")
            }
            let data = UnsafeRawBufferPointer(rebasing: bytes[(offset + 8)..<(offset + 8 + length)])
            let stored = UInt32(u32(offset + 8 + length))
            let computed = CRC32.update(0, UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<(offset + 8 + length)]))
            guard stored == computed else {
                throw ImageError.badChecksum(file: file, detail: "chunk \(type) at byte \(offset) has CRC "
                    + "0x\(String(stored, radix: 16)), computed 0x\(String(computed, radix: 16))")
            }
            guard header != nil || type == "IHDR" else {
                throw ImageError.badHeader(file: file, detail: "first chunk is \(type), not IHDR")
            }
            if sawImageData && type != "IDAT" { imageDataEnded = true }

            switch type {
            case "IHDR":
                guard header == nil else { throw ImageError.corruptData(file: file, detail: "second IHDR chunk at byte \(offset)") }
                header = try PNGHeader(data, file: file)
            case "PLTE":
                guard !sawImageData else { throw ImageError.corruptData(file: file, detail: "PLTE chunk after image data") }
                guard length % 3 == 0, (3...768).contains(length) else {
                    throw ImageError.corruptData(file: file, detail: "PLTE chunk has invalid length \(length)")
                }
                // PIL only uses the palette of palette images; others may carry a suggested one.
                if header?.colorType == 3 {
                    for i in 0..<length { palette[i] = data[i] }
                    paletteEntries = length / 3
                }
            case "IDAT":
                guard !imageDataEnded else {
                    throw ImageError.corruptData(file: file, detail: "IDAT chunks at byte \(offset) are not consecutive")
                }
                sawImageData = true
                imageData.append(contentsOf: data)
            case "IEND":
                sawEnd = true
            default:
                // Ancillary chunks (lower-case first letter) carry nothing PIL's RGB
                // conversion uses; an unknown critical chunk means we cannot decode correctly.
                if typeBytes[0] < 97 {
                    throw ImageError.unsupported(file: file, detail: "unknown critical chunk \(type)")
                }
            }
            offset += length + 12
        }
        guard let header else { throw ImageError.badHeader(file: file, detail: "no IHDR chunk") }
        guard sawImageData else { throw ImageError.corruptData(file: file, detail: "no IDAT chunk") }
        guard header.colorType != 3 || paletteEntries > 0 else {
            throw ImageError.corruptData(file: file, detail: "palette image without a PLTE chunk")
        }
        // The image data's exact length and filter bytes are checked here, so that a fault is
        // named precisely (libpng would only say "not enough image data"); libpng then decodes.
        let expected = header.rawDataCount
        try imageData.withUnsafeBytes { compressed in
            do {
                try Inflater.withZlibDecompressed(compressed, limit: expected) { raw in
                    guard raw.count == expected else {
                        throw ImageError.wrongDataLength(file: file, expected: expected, actual: raw.count)
                    }
                    try checkFilterTypes(raw, header: header, file: file)
                }
            } catch let error as InflateError {
                switch error {
                case .truncated:
                    throw ImageError.truncated(file: file, detail: "image data (IDAT) ends before the compressed stream does")
                case .checksumMismatch:
                    throw ImageError.badChecksum(file: file, detail: "image data: \(error)")
                case .outputLimitExceeded:
                    throw ImageError.corruptData(file: file, detail: "image data inflates to more than the \(expected) bytes a \(header.width)x\(header.height) image needs")
                case .corrupt(let why):
                    throw ImageError.corruptData(file: file, detail: "inflate error in image data: \(why)")
                }
            }
        }
        let rows = try LibPNGReader.rows(bytes, header: header, file: file)
        return try palette.withUnsafeBufferPointer { paletteBuffer in
            let converter = PNGPixelConverter(header: header, palette: paletteBuffer.baseAddress!)
            let rowBytes = header.rowBytes(header.width)
            return try rows.withUnsafeBufferPointer { raw in
                try RGBImage(width: header.width, height: header.height) { out in
                    for y in 0..<header.height {
                        converter.convert(row: raw.baseAddress! + y * rowBytes, pixels: header.width,
                                          out: out.baseAddress! + y * header.width * 3, step: 3)
                    }
                }
            }
        }
    }

    /// Every row of every (sub-)image must start with a filter type 0...4.
    private static func checkFilterTypes(_ raw: UnsafeMutableBufferPointer<UInt8>, header: PNGHeader, file: String) throws {
        var offset = 0
        for pass in header.passes {
            let rowBytes = header.rowBytes(pass.width)
            for r in 0..<pass.height {
                let filterType = raw[offset]
                guard filterType <= 4 else {
                    throw ImageError.corruptData(file: file, detail: "row \(r) has invalid filter type \(filterType)")
                }
                offset += rowBytes + 1
            }
        }
    }
}

import CPNG

/// Encodes ``RGBImage`` as an 8-bit RGB, non-interlaced PNG with libpng (its simplified
/// `png_image_write_to_memory`: libpng's adaptive filters and zlib's default level, as PIL and
/// every Linux image tool write them).
enum PNGEncoder {
    static func encode(_ image: RGBImage, file: String) throws -> [UInt8] {
        guard image.width > 0, image.height > 0 else {
            throw ImageError.writeFailed(file: file, reason: "PNG cannot store an empty \(image.width)x\(image.height) image")
        }
        guard image.width <= Int(PNG_USER_WIDTH_MAX), image.height <= Int(PNG_USER_HEIGHT_MAX) else {
            throw ImageError.writeFailed(file: file, reason: "image too large for PNG")
        }
        var png = png_image()
        png.version = png_uint_32(PNG_IMAGE_VERSION)
        png.width = png_uint_32(image.width)
        png.height = png_uint_32(image.height)
        png.format = png_uint_32(PNG_FORMAT_RGB)
        return try image.pixels.withUnsafeBufferPointer { pixels in
            // First the size, then the bytes (libpng's documented two-call protocol).
            var size = 0
            guard png_image_write_to_memory(&png, nil, &size, 0, pixels.baseAddress, 0, nil) != 0 else {
                throw ImageError.writeFailed(file: file, reason: "libpng: \(message(png))")
            }
            var bytes = [UInt8](repeating: 0, count: size)
            let written = bytes.withUnsafeMutableBytes { out in
                png_image_write_to_memory(&png, out.baseAddress, &size, 0, pixels.baseAddress, 0, nil)
            }
            png_image_free(&png)
            guard written != 0 else { throw ImageError.writeFailed(file: file, reason: "libpng: \(message(png))") }
            return Array(bytes.prefix(size))
        }
    }

    /// libpng's error text (a fixed-size C array in `png_image`).
    private static func message(_ image: png_image) -> String {
        var copy = image.message
        return withUnsafeBytes(of: &copy) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}

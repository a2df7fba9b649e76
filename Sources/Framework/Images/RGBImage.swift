/// An 8-bit RGB image: `height` rows of `width` pixels, each pixel three bytes R, G, B,
/// interleaved and row-major — the layout of a PIL `"RGB"` image's `tobytes()`.
///
/// This is the framework's one in-memory image type. Decoders convert every PNG/JPEG colour
/// type to it exactly as PIL's `Image.open(path).convert("RGB")` would (alpha dropped, palettes
/// looked up, grey replicated), because DiffSynth's `LoadImage` does precisely that.
public struct RGBImage: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `width * height * 3` bytes, R G B per pixel, rows top to bottom.
    public let pixels: [UInt8]

    /// Decoders refuse headers that declare more pixels than this (2^28, e.g. 16384 x 16384),
    /// so a corrupt or hostile size field cannot make us allocate gigabytes.
    public static let maximumPixelCount = 1 << 28

    /// Wraps existing pixel bytes.
    ///
    /// - Precondition: `width, height >= 0` and `pixels.count == width * height * 3`; a mismatch
    ///   is a programming error, not a data error, hence a trap rather than a throw.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0, "negative image size \(width)x\(height)")
        precondition(pixels.count == width * height * 3,
                     "a \(width)x\(height) RGB image needs \(width * height * 3) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A black image.
    public init(width: Int, height: Int) {
        self.init(width: width, height: height, pixels: [UInt8](repeating: 0, count: width * height * 3))
    }

    /// Builds an image by filling its pixel buffer in place (the fast path for decoders).
    internal init(width: Int, height: Int, fill: (UnsafeMutableBufferPointer<UInt8>) throws -> Void) rethrows {
        let pixels = try [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, count in
            try fill(buffer)
            count = buffer.count
        }
        self.init(width: width, height: height, pixels: pixels)
    }

    /// The pixel at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> (red: UInt8, green: UInt8, blue: UInt8) {
        precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) outside \(width)x\(height)")
        let i = (y * width + x) * 3
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }
}

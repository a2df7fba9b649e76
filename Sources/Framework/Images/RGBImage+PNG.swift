import Foundation

extension RGBImage {
    /// Decodes PNG data (any colour type, bit depth, interlacing) as PIL's `convert("RGB")` would.
    ///
    /// - Parameter name: how errors refer to the data, normally its file path.
    /// - Throws: ``ImageError`` naming `name`.
    public init(pngData data: Data, name: String = "<PNG data>") throws {
        self = try data.withUnsafeBytes { try PNGDecoder.decode($0, file: name) }
    }

    /// The image as an 8-bit RGB PNG.
    ///
    /// - Throws: ``ImageError/writeFailed(file:reason:)`` for an empty image, which PNG cannot store.
    public func pngData() throws -> Data {
        Data(try PNGEncoder.encode(self, file: "<PNG data>"))
    }
}

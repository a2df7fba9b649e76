import Foundation

extension RGBImage {
    /// Decodes JPEG data with libjpeg as PIL's `convert("RGB")` would (greyscale and CMYK
    /// included).
    ///
    /// - Parameter name: how errors refer to the data, normally its file path.
    /// - Throws: ``ImageError`` naming `name` for truncated, corrupt or unsupported data; libjpeg
    ///   errors never end the process.
    public init(jpegData data: Data, name: String = "<JPEG data>") throws {
        self = try data.withUnsafeBytes { try JPEGDecoder.decode($0, file: name) }
    }

    /// The image as a baseline JPEG (4:2:0) at `quality` 1...100.
    public func jpegData(quality: Int = 95) throws -> Data {
        Data(try JPEGEncoder.encode(self, quality: quality, file: "<JPEG data>"))
    }
}

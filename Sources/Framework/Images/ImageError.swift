/// Why an image could not be read, decoded, converted or written.
///
/// Every case that concerns a file carries its name (the path, or the name given to an in-memory
/// decoder), and ``description`` is a single line starting with it, so a training log that says
/// `data/cat_0042.png: PNG chunk IDAT has a bad CRC` is enough to find the culprit in a dataset.
public enum ImageError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be opened or read.
    case unreadable(file: String, reason: String)
    /// The file starts with neither the PNG nor the JPEG signature.
    case unknownFormat(file: String)
    /// The data ends in the middle of a structure (a PNG chunk, a JPEG scan).
    case truncated(file: String, detail: String)
    /// A CRC-32 or Adler-32 check failed.
    case badChecksum(file: String, detail: String)
    /// The PNG IHDR chunk (or the JPEG frame header) is invalid.
    case badHeader(file: String, detail: String)
    /// A valid but unsupported feature: a bit depth, colour type, critical chunk or colour space.
    case unsupported(file: String, detail: String)
    /// The compressed data or the chunk structure is corrupt (inflate errors, bad filter bytes…).
    case corruptData(file: String, detail: String)
    /// The image data decompresses to a different number of bytes than the header implies.
    case wrongDataLength(file: String, expected: Int, actual: Int)
    /// libjpeg rejected the data; `message` is libjpeg's own text.
    case jpeg(file: String, message: String)
    /// The header declares more pixels than ``RGBImage/maximumPixelCount``.
    case tooLarge(file: String, width: Int, height: Int)
    /// Encoding or writing the file failed; nothing was left at the destination.
    case writeFailed(file: String, reason: String)
    /// A tensor cannot be turned into an image (wrong rank, batch or channel count).
    case invalidTensor(shape: [Int], reason: String)
    /// A size or parameter is out of range (e.g. a crop target of zero pixels).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): return "\(file): cannot read file: \(reason)"
        case .unknownFormat(let file): return "\(file): not a PNG or JPEG file (unrecognised signature)"
        case .truncated(let file, let detail): return "\(file): truncated: \(detail)"
        case .badChecksum(let file, let detail): return "\(file): bad checksum: \(detail)"
        case .badHeader(let file, let detail): return "\(file): bad header: \(detail)"
        case .unsupported(let file, let detail): return "\(file): unsupported: \(detail)"
        case .corruptData(let file, let detail): return "\(file): corrupt data: \(detail)"
        case .wrongDataLength(let file, let expected, let actual):
            return "\(file): wrong image data length: expected \(expected) bytes, got \(actual)"
        case .jpeg(let file, let message): return "\(file): JPEG error: \(message)"
        case .tooLarge(let file, let width, let height):
            return "\(file): image of \(width)x\(height) pixels exceeds the limit of \(RGBImage.maximumPixelCount) pixels"
        case .writeFailed(let file, let reason): return "\(file): cannot write image: \(reason)"
        case .invalidTensor(let shape, let reason): return "tensor of shape \(shape) is not an image: \(reason)"
        case .invalidArgument(let message): return message
        }
    }

    /// The file the error is about, if any.
    public var file: String? {
        switch self {
        case .unreadable(let file, _), .unknownFormat(let file), .truncated(let file, _),
             .badChecksum(let file, _), .badHeader(let file, _), .unsupported(let file, _),
             .corruptData(let file, _), .wrongDataLength(let file, _, _), .jpeg(let file, _),
             .tooLarge(let file, _, _), .writeFailed(let file, _):
            return file
        case .invalidTensor, .invalidArgument:
            return nil
        }
    }
}

import Foundation

/// Everything that can go wrong reading or writing safetensors files and sharded checkpoints.
///
/// Every case carries the path of the file (or folder, or index) concerned, and the tensor name
/// where one is involved, so the one-line ``description`` is enough to find the problem.
/// Byte offsets named `offset` count from the start of the JSON header (file byte 8).
public enum SafetensorsError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A system call failed (`operation` is e.g. "open", "mmap", "write", "rename").
    case ioFailure(path: String, operation: String, reason: String)
    /// The file is shorter than the 8-byte header length.
    case fileTooSmall(path: String, size: Int)
    /// The header length exceeds the 100,000,000-byte limit of the reference implementation.
    case headerTooLarge(path: String, length: UInt64)
    /// The header length points past the end of the file.
    case headerBeyondFile(path: String, length: UInt64, fileSize: Int)
    /// The header length is 0.
    case emptyHeader(path: String)
    /// The header bytes are not valid UTF-8.
    case invalidUTF8(path: String, offset: Int)
    /// The header is not valid JSON (or does not begin with `{`, as the format requires).
    case invalidJSON(path: String, offset: Int, reason: String)
    /// The header is JSON but not of the safetensors shape (wrong type, missing field, …).
    case invalidHeader(path: String, tensor: String?, reason: String)
    /// A tensor name occurs twice in the header, or twice among the tensors given to the writer.
    case duplicateName(path: String, name: String)
    /// A key occurs twice in `__metadata__`.
    case duplicateMetadataKey(path: String, key: String)
    /// A tensor name is the empty string (refused by the writer only; readers accept it).
    case emptyName(path: String)
    /// The header names a dtype this format does not define.
    case unknownDType(path: String, tensor: String, dtype: String)
    /// A shape entry is not a non-negative integer.
    case invalidShape(path: String, tensor: String, reason: String)
    /// `data_offsets` is not a pair `[begin, end]` of integers with `begin <= end`.
    case invalidOffsets(path: String, tensor: String, reason: String)
    /// A tensor's bytes start before the previous tensor's bytes end.
    case overlappingData(path: String, tensor: String, begin: Int, previousEnd: Int)
    /// Bytes between the previous tensor's end and this tensor's start belong to no tensor.
    case gapInData(path: String, tensor: String, begin: Int, previousEnd: Int)
    /// The byte span `end - begin` differs from the element count times the dtype size.
    case sizeMismatch(path: String, tensor: String, begin: Int, end: Int, shape: [Int], dtype: SafetensorsDType, expectedBytes: Int)
    /// The element count or byte size of a shape overflows a 64-bit integer.
    case sizeOverflow(path: String, tensor: String, shape: [Int], dtype: SafetensorsDType)
    /// A sub-byte dtype tensor does not end on a byte boundary.
    case misalignedSubByte(path: String, tensor: String, shape: [Int], dtype: SafetensorsDType)
    /// A tensor's bytes extend past the end of the file (a truncated file, typically).
    case dataOutOfRange(path: String, tensor: String, end: Int, bufferSize: Int)
    /// The data buffer has bytes after the last tensor (files must be fully indexed).
    case uncoveredData(path: String, covered: Int, bufferSize: Int)
    /// No tensor of that name.
    case tensorNotFound(path: String, name: String)
    /// The tensor's dtype has no Float32 reading (see ``SafetensorsDType/isConvertibleToFloat32``).
    case unsupportedDType(path: String, tensor: String, dtype: SafetensorsDType)
    /// The writer can only store F32, F16 and BF16.
    case unsupportedWriteDType(path: String, tensor: String, dtype: SafetensorsDType)
    /// A shard index (`*.safetensors.index.json`) is unreadable or malformed.
    case invalidIndex(path: String, reason: String)
    /// Shard files the index refers to do not exist.
    case missingShards(path: String, shards: [String])
    /// The index maps a tensor to a shard that does not contain it.
    case tensorMissingFromShard(path: String, tensor: String, shard: String)
    /// A folder holds none of the conventional checkpoint file names.
    case noCheckpoint(path: String, tried: [String])
    /// A folder holds more than one conventional checkpoint for the requested variant.
    case ambiguousCheckpoint(path: String, candidates: [String])

    /// The file, folder or index the error is about.
    public var path: String {
        switch self {
        case .ioFailure(let path, _, _), .fileTooSmall(let path, _), .headerTooLarge(let path, _),
             .headerBeyondFile(let path, _, _), .emptyHeader(let path), .invalidUTF8(let path, _),
             .invalidJSON(let path, _, _), .invalidHeader(let path, _, _), .duplicateName(let path, _),
             .duplicateMetadataKey(let path, _), .emptyName(let path), .unknownDType(let path, _, _),
             .invalidShape(let path, _, _), .invalidOffsets(let path, _, _),
             .overlappingData(let path, _, _, _), .gapInData(let path, _, _, _),
             .sizeMismatch(let path, _, _, _, _, _, _), .sizeOverflow(let path, _, _, _),
             .misalignedSubByte(let path, _, _, _), .dataOutOfRange(let path, _, _, _),
             .uncoveredData(let path, _, _), .tensorNotFound(let path, _), .unsupportedDType(let path, _, _),
             .unsupportedWriteDType(let path, _, _), .invalidIndex(let path, _), .missingShards(let path, _),
             .tensorMissingFromShard(let path, _, _), .noCheckpoint(let path, _),
             .ambiguousCheckpoint(let path, _):
            return path
        }
    }

    /// The tensor the error is about, if any.
    public var tensorName: String? {
        switch self {
        case .invalidHeader(_, let tensor, _): return tensor
        case .duplicateName(_, let name), .tensorNotFound(_, let name): return name
        case .unknownDType(_, let tensor, _), .invalidShape(_, let tensor, _), .invalidOffsets(_, let tensor, _),
             .overlappingData(_, let tensor, _, _), .gapInData(_, let tensor, _, _),
             .sizeMismatch(_, let tensor, _, _, _, _, _), .sizeOverflow(_, let tensor, _, _),
             .misalignedSubByte(_, let tensor, _, _), .dataOutOfRange(_, let tensor, _, _),
             .unsupportedDType(_, let tensor, _), .unsupportedWriteDType(_, let tensor, _),
             .tensorMissingFromShard(_, let tensor, _):
            return tensor
        default: return nil
        }
    }

    /// One line: the path, a colon, and what is wrong.
    public var description: String {
        // Names come from untrusted headers: escape control characters to keep one line.
        Self.escapingControlCharacters("\(path): \(message)")
    }

    /// The description without the leading path.
    private var message: String {
        switch self {
        case .ioFailure(_, let operation, let reason):
            return "\(operation) failed: \(reason)"
        case .fileTooSmall(_, let size):
            return "file has \(size) bytes, fewer than the 8-byte header length"
        case .headerTooLarge(_, let length):
            return "header length \(length) exceeds the 100000000-byte limit"
        case .headerBeyondFile(_, let length, let fileSize):
            return "header length \(length) runs past the end of the \(fileSize)-byte file"
        case .emptyHeader:
            return "header length is 0"
        case .invalidUTF8(_, let offset):
            return "header is not valid UTF-8 at header byte \(offset)"
        case .invalidJSON(_, let offset, let reason):
            return "header is not valid JSON at header byte \(offset): \(reason)"
        case .invalidHeader(_, let tensor, let reason):
            return tensor.map { "tensor '\($0)': \(reason)" } ?? "header: \(reason)"
        case .duplicateName(_, let name):
            return "tensor name '\(name)' occurs more than once"
        case .duplicateMetadataKey(_, let key):
            return "__metadata__ key '\(key)' occurs more than once"
        case .emptyName:
            return "tensor name is empty"
        case .unknownDType(_, let tensor, let dtype):
            return "tensor '\(tensor)' has unknown dtype '\(dtype)'"
        case .invalidShape(_, let tensor, let reason):
            return "tensor '\(tensor)' has an invalid shape: \(reason)"
        case .invalidOffsets(_, let tensor, let reason):
            return "tensor '\(tensor)' has invalid data_offsets: \(reason)"
        case .overlappingData(_, let tensor, let begin, let previousEnd):
            return "tensor '\(tensor)' data starts at \(begin), overlapping the previous tensor which ends at \(previousEnd)"
        case .gapInData(_, let tensor, let begin, let previousEnd):
            return "tensor '\(tensor)' data starts at \(begin), leaving bytes \(previousEnd)..<\(begin) unused"
        case .sizeMismatch(_, let tensor, let begin, let end, let shape, let dtype, let expected):
            return "tensor '\(tensor)' data_offsets [\(begin), \(end)] do not match shape \(shape) × \(dtype.rawValue) = \(expected) bytes"
        case .sizeOverflow(_, let tensor, let shape, let dtype):
            return "tensor '\(tensor)' size of shape \(shape) × \(dtype.rawValue) overflows"
        case .misalignedSubByte(_, let tensor, let shape, let dtype):
            return "tensor '\(tensor)' of shape \(shape) × \(dtype.rawValue) does not fill whole bytes"
        case .dataOutOfRange(_, let tensor, let end, let bufferSize):
            return "tensor '\(tensor)' data ends at \(end), past the \(bufferSize)-byte data buffer (truncated file?)"
        case .uncoveredData(_, let covered, let bufferSize):
            return "data buffer has \(bufferSize) bytes but tensors cover only \(covered)"
        case .tensorNotFound(_, let name):
            return "no tensor named '\(name)'"
        case .unsupportedDType(_, let tensor, let dtype):
            return "tensor '\(tensor)' has dtype \(dtype.rawValue), which cannot be read as Float32"
        case .unsupportedWriteDType(_, let tensor, let dtype):
            return "tensor '\(tensor)' cannot be written as \(dtype.rawValue); only F32, F16 and BF16 are supported"
        case .invalidIndex(_, let reason):
            return "invalid shard index: \(reason)"
        case .missingShards(_, let shards):
            return "missing shard files: \(shards.joined(separator: ", "))"
        case .tensorMissingFromShard(_, let tensor, let shard):
            return "index maps tensor '\(tensor)' to shard '\(shard)', which does not contain it"
        case .noCheckpoint(_, let tried):
            return "no checkpoint found; looked for \(tried.joined(separator: ", "))"
        case .ambiguousCheckpoint(_, let candidates):
            return "more than one checkpoint found: \(candidates.joined(separator: ", "))"
        }
    }
}

extension SafetensorsError {
    /// `text` with control characters written as `\u{hex}`.
    static func escapingControlCharacters(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return text }
        return text.unicodeScalars.map { scalar in
            scalar.value < 0x20 || scalar.value == 0x7F ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
        }.joined()
    }

    /// The error for a system call that just failed, described by `errno`.
    static func fromErrno(path: String, operation: String) -> SafetensorsError {
        .ioFailure(path: path, operation: operation, reason: String(cString: strerror(errno)))
    }
}

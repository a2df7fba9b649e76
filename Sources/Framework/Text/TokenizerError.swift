/// Why a tokenizer folder cannot be loaded. Every case names the file at fault, so the one-line
/// ``description`` is enough to find the problem.
public enum TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// None of the file sets the tokenizer can load is in the folder.
    case missingFiles(folder: String, expected: String)
    /// The file exists but cannot be read.
    case unreadable(path: String, reason: String)
    /// The file is not valid JSON, or not of the expected shape.
    case invalidJSON(path: String, reason: String)
    /// One entry of the file (a `merges.txt` line, a vocabulary key, a config key) is wrong.
    case invalidEntry(path: String, entry: String, reason: String)

    /// The file (or folder) concerned.
    public var path: String {
        switch self {
        case .missingFiles(let folder, _): return folder
        case .unreadable(let path, _), .invalidJSON(let path, _), .invalidEntry(let path, _, _): return path
        }
    }

    public var description: String {
        switch self {
        case .missingFiles(let folder, let expected): return "\(folder): not a tokenizer folder (expected \(expected))"
        case .unreadable(let path, let reason): return "\(path): cannot read the file: \(reason)"
        case .invalidJSON(let path, let reason): return "\(path): \(reason)"
        case .invalidEntry(let path, let entry, let reason): return "\(path): \(entry): \(reason)"
        }
    }
}

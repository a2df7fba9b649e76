import Foundation

/// Reading `config.json`-style files (diffusers, transformers) into `Decodable` values, with
/// errors that name the file and the key path at fault.
public enum ConfigurationFile {
    public static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw ConfigurationError.unreadable(path: url.path) }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw ConfigurationError.invalid(path: url.path, key: path(context.codingPath + [key]), reason: "missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw ConfigurationError.invalid(path: url.path, key: path(context.codingPath), reason: context.debugDescription)
        } catch let DecodingError.valueNotFound(_, context) {
            throw ConfigurationError.invalid(path: url.path, key: path(context.codingPath), reason: "null")
        } catch let DecodingError.dataCorrupted(context) {
            throw ConfigurationError.invalid(path: url.path, key: path(context.codingPath), reason: context.debugDescription)
        }
    }

    /// The `_class_name` (diffusers) or first `architectures` entry (transformers) of a config.
    public static func className(at url: URL) throws -> String? {
        struct Header: Decodable { let _class_name: String?; let architectures: [String]? }
        let header = try decode(Header.self, from: url)
        return header._class_name ?? header.architectures?.first
    }

    private static func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}

/// Why a configuration file cannot be used.
public enum ConfigurationError: Error, CustomStringConvertible {
    case unreadable(path: String)
    case invalid(path: String, key: String, reason: String)
    case unsupported(path: String, key: String, value: String, supported: String)

    public var description: String {
        switch self {
        case .unreadable(let path): return "\(path): cannot read the file"
        case .invalid(let path, let key, let reason): return "\(path): key '\(key)': \(reason)"
        case .unsupported(let path, let key, let value, let supported): return "\(path): '\(key)' = \(value) is not supported (supported: \(supported))"
        }
    }
}

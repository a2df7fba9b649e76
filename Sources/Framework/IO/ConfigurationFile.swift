import Foundation

/// Reading `config.json`-style files (diffusers, transformers) into `Decodable` values, with
/// errors that name the file and the key path at fault.
public enum ConfigurationFile {
    public static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw ConfigurationError.unreadable(path: url.path) }
        if let object = try? JSONSerialization.jsonObject(with: data) { try checkSizes(object, path: "", file: url.path) }
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

    /// Limits on the integers that size a network (counts of layers, heads, channels, widths),
    /// far above any published model, so a typo or a corrupt file is refused by name before a
    /// model is built: a negative count would trap in a range, a huge one allocate until the
    /// machine stops.
    static let sizeLimits: [(suffixes: [String], limit: Int)] = [
        (["layers", "num_hidden_layers", "layers_per_block", "transformer_layers_per_block"], 1024),
        (["heads", "num_attention_heads", "num_key_value_heads", "attention_head_dim"], 4096),
        (["vocab_size", "max_position_embeddings", "num_train_timesteps"], 1 << 24),
        (["_size", "_dim", "_dims", "_channels", "_features", "patch_size", "dim", "channels"], 1 << 20),
    ]

    /// Walks a config, refusing size-like integers (by key name) outside `0...limit`.
    static func checkSizes(_ value: Any, path: String, file: String) throws {
        if let dictionary = value as? [String: Any] {
            for (key, child) in dictionary where !key.hasPrefix("_") {
                try checkSizes(child, path: path.isEmpty ? key : path + "." + key, file: file)
            }
        } else if let list = value as? [Any] {
            for (index, child) in list.enumerated() { try checkSizes(child, path: "\(path)[\(index)]", file: file) }
        } else if let number = value as? NSNumber {
            let key = String(path.split(separator: ".").last ?? "").split(separator: "[").first.map(String.init) ?? ""
            guard let limit = sizeLimits.first(where: { entry in entry.suffixes.contains { key == $0 || key.hasSuffix($0) } })?.limit else { return }
            let double = number.doubleValue
            guard double == double.rounded(), double >= 0, double <= Double(limit) else {
                throw ConfigurationError.invalid(path: file, key: path, reason: "\(number) is out of range (0...\(limit))")
            }
        }
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

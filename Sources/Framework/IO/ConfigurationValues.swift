import Foundation

/// A config value diffusers accepts either as one number or as one number per block
/// (`layers_per_block`, `attention_head_dim`, `transformer_layers_per_block`, …).
public enum IntOrList: Decodable, Sendable {
    /// One number for every block.
    case single(Int)
    /// One number per block.
    case list([Int])

    /// Decodes a number or a list of numbers.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) {
            self = .single(value)
        } else {
            self = .list(try container.decode([Int].self))
        }
    }

    /// One value per block: a single number repeated, or the list, which must have `count` entries.
    public func perBlock(_ count: Int, key: String, path: String) throws -> [Int] {
        switch self {
        case .single(let value): return Array(repeating: value, count: count)
        case .list(let values):
            guard values.count == count else {
                throw ConfigurationError.invalid(path: path, key: key, reason: "has \(values.count) entries for \(count) blocks")
            }
            return values
        }
    }
}

/// Checks of decoded config values, each failure naming the file and the key.
public enum ConfigurationCheck {
    /// Throws ``ConfigurationError/unsupported(path:key:value:supported:)`` unless `value` is one of `supported`.
    public static func require<T: Equatable>(_ value: T, in supported: [T], key: String, path: String) throws {
        guard supported.contains(value) else {
            throw ConfigurationError.unsupported(path: path, key: key, value: "\(value)",
                                                 supported: supported.map { "\($0)" }.joined(separator: ", "))
        }
    }

    /// Throws unless `value` is nil (settings this port does not implement must be absent or null).
    public static func requireAbsent<T>(_ value: T?, key: String, path: String) throws {
        if let value { throw ConfigurationError.unsupported(path: path, key: key, value: "\(value)", supported: "null") }
    }

    /// Throws unless `condition` holds, with `reason` naming what is wrong with `key`.
    public static func require(_ condition: Bool, key: String, path: String, _ reason: @autoclosure () -> String) throws {
        if !condition { throw ConfigurationError.invalid(path: path, key: key, reason: reason()) }
    }
}

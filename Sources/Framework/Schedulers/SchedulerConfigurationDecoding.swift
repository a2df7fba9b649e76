import Foundation

/// Decoding helpers shared by the scheduler configurations: diffusers fills every key a
/// `scheduler_config.json` leaves out (or sets to `null`) with its constructor default, and any
/// malformed value becomes a ``SchedulerConfigurationError`` naming its key.
extension KeyedDecodingContainer {
    /// The value at `key`, or `fallback` when the key is missing or `null`.
    func value<T: Decodable>(_ key: Key, default fallback: T) throws -> T {
        do {
            return try decodeIfPresent(T.self, forKey: key) ?? fallback
        } catch {
            throw SchedulerConfigurationError(key: key.stringValue, reason: "expected \(Self.describe(T.self))")
        }
    }

    /// The value at `key`, or `nil` when the key is missing or `null`.
    func optionalValue<T: Decodable>(_ key: Key) throws -> T? {
        do {
            return try decodeIfPresent(T.self, forKey: key)
        } catch {
            throw SchedulerConfigurationError(key: key.stringValue, reason: "expected \(Self.describe(T.self)) or null")
        }
    }

    /// One of the string values of `T` at `key` (or `fallback`), with an error that lists the
    /// accepted spellings.
    func choice<T: RawRepresentable & CaseIterable>(_ key: Key, default fallback: T) throws -> T where T.RawValue == String {
        let text: String? = try optionalValue(key)
        guard let text else { return fallback }
        guard let value = T(rawValue: text) else {
            let accepted = T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw SchedulerConfigurationError(key: key.stringValue, reason: "unknown value \"\(text)\" (expected one of \(accepted))")
        }
        return value
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Bool.Type: "true or false"
        case is Int.Type: "an integer"
        case is Double.Type: "a number"
        case is String.Type: "a string"
        case is [Double].Type: "a list of numbers"
        default: "a value of type \(type)"
        }
    }
}

/// Decodes a configuration, turning JSON that is not an object (or not JSON at all) into a
/// ``SchedulerConfigurationError``; key-level errors are already ones.
func decodeSchedulerConfiguration<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
    do {
        return try JSONDecoder().decode(T.self, from: data)
    } catch let error as SchedulerConfigurationError {
        throw error
    } catch {
        throw SchedulerConfigurationError(reason: "not a JSON object (\(error.localizedDescription))")
    }
}

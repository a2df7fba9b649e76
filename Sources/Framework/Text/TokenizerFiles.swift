import Foundation

/// Readers for the files of a Hugging Face tokenizer folder, each error naming its file.
enum TokenizerFiles {
    /// A JSON object from a file.
    static func jsonObject(at url: URL) throws -> [String: Any] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError.unreadable(path: url.path, reason: FileManager.default.fileExists(atPath: url.path) ? "\(error)" : "no such file")
        }
        let value: Any
        do { value = try JSONSerialization.jsonObject(with: data) } catch {
            throw TokenizerError.invalidJSON(path: url.path, reason: "not valid JSON (\(error.localizedDescription))")
        }
        guard let object = value as? [String: Any] else {
            throw TokenizerError.invalidJSON(path: url.path, reason: "expected a JSON object at the top level")
        }
        return object
    }

    /// `tokenizer.json`'s `model` object, checked to be of `type` (an absent type is accepted,
    /// as `tokenizers` infers it).
    static func model(in json: [String: Any], type expected: String, path: String) throws -> [String: Any] {
        guard let model = json["model"] as? [String: Any] else {
            throw TokenizerError.invalidEntry(path: path, entry: "model", reason: "missing")
        }
        if let type = model["type"] as? String, type != expected {
            throw TokenizerError.invalidEntry(path: path, entry: "model.type", reason: "'\(type)' is not \(expected)")
        }
        return model
    }

    /// A `vocab.json`-style object of token -> id.
    static func vocabulary(_ value: Any?, path: String, key: String) throws -> [String: Int] {
        guard let object = value as? [String: Any] else {
            throw TokenizerError.invalidEntry(path: path, entry: key, reason: "expected an object of token -> id")
        }
        var vocabulary = [String: Int](minimumCapacity: object.count)
        for (token, id) in object {
            guard let id = integer(id), id >= 0 else {
                throw TokenizerError.invalidEntry(path: path, entry: "\(key) '\(token)'", reason: "the id is not a non-negative integer")
            }
            vocabulary[token] = id
        }
        return vocabulary
    }

    /// The merges of a `merges.txt`: one `left right` pair per line, after an optional
    /// `#version` header line. Lines are trimmed and blank ones skipped, as transformers does.
    static func merges(at url: URL) throws -> [(String, String)] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError.unreadable(path: url.path, reason: FileManager.default.fileExists(atPath: url.path) ? "\(error)" : "no such file")
        }
        // Work on bytes: splitting a String at "\n" would miss "\r\n", which is one Character.
        let bytes = [UInt8](data)
        let blank: Set<UInt8> = [0x20, 0x09, 0x0D]
        var merges: [(String, String)] = []
        merges.reserveCapacity(bytes.count / 8)
        for (index, rawLine) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            guard let first = rawLine.firstIndex(where: { !blank.contains($0) }) else { continue }
            let last = rawLine.lastIndex(where: { !blank.contains($0) })!
            let line = rawLine[first...last]
            if index == 0 && line.starts(with: "#version".utf8) { continue }
            let parts = line.split(separator: 0x20, omittingEmptySubsequences: true)
            guard parts.count == 2, let left = String(bytes: parts[0], encoding: .utf8),
                  let right = String(bytes: parts[1], encoding: .utf8) else {
                throw TokenizerError.invalidEntry(path: url.path, entry: "line \(index + 1)",
                                                  reason: "expected two UTF-8 tokens separated by a space, found '\(String(decoding: line, as: UTF8.self))'")
            }
            merges.append((left, right))
        }
        return merges
    }

    /// The merges of a `tokenizer.json` model: `["left", "right"]` pairs (tokenizers >= 0.20) or
    /// `"left right"` strings (older files).
    static func merges(_ value: Any?, path: String) throws -> [(String, String)] {
        guard let list = value as? [Any] else {
            throw TokenizerError.invalidEntry(path: path, entry: "model.merges", reason: "expected a list of merges")
        }
        var merges: [(String, String)] = []
        merges.reserveCapacity(list.count)
        for (index, entry) in list.enumerated() {
            if let pair = entry as? [Any], pair.count == 2, let left = pair[0] as? String, let right = pair[1] as? String {
                merges.append((left, right))
            } else if let string = entry as? String, case let parts = string.split(separator: " ", omittingEmptySubsequences: false), parts.count == 2 {
                merges.append((String(parts[0]), String(parts[1])))
            } else {
                throw TokenizerError.invalidEntry(path: path, entry: "model.merges[\(index)]", reason: "expected [\"left\", \"right\"] or \"left right\"")
            }
        }
        return merges
    }

    /// An integer JSON value. Foundation hands numbers over as NSNumber; asking for that first
    /// (rather than bridging to Int) makes reading a 150k-entry vocabulary several times faster.
    static func integer(_ value: Any?) -> Int? {
        if let number = value as? NSNumber {
            let integer = number.intValue
            return Double(integer) == number.doubleValue ? integer : nil
        }
        return value as? Int
    }

    /// A boolean flag, `fallback` when absent.
    static func flag(_ object: [String: Any], _ key: String, default fallback: Bool) -> Bool {
        (object[key] as? Bool) ?? (object[key] as? NSNumber)?.boolValue ?? fallback
    }
}

import Foundation

/// One record of a dataset's metadata file, with where it came from (for error messages).
public struct MetadataRow: Sendable {
    /// The metadata file.
    public let file: String
    /// 1-based line number (CSV, JSONL) or 1-based element number (JSON).
    public let line: Int
    /// Field values as text (numbers as written; JSON numbers formatted, JSON null as absent).
    public let fields: [String: String]

    /// Where this row is, for messages: `metadata.csv row 4 (line 5)`.
    public var location: String { "\(file) line \(line)" }

    /// A required field; a missing or empty value is an error naming the row and column.
    public func require(_ column: String) throws -> String {
        guard let value = fields[column], !value.isEmpty else { throw DatasetError.missingValue(row: location, column: column) }
        return value
    }
}

/// A DiffSynth-Studio metadata file: `.csv`, `.json` (a list of objects) or `.jsonl`.
public struct Metadata: Sendable {
    public let url: URL
    public let rows: [MetadataRow]
    /// Column names (CSV header order; sorted union of keys for JSON).
    public let columns: [String]

    public init(contentsOf url: URL) throws {
        self.url = url
        let file = url.lastPathComponent
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw DatasetError.unreadable(file: url.path, reason: "\(error.localizedDescription)") }
        guard let text = String(data: data, encoding: .utf8) else { throw DatasetError.malformed(file: file, line: 1, reason: "not UTF-8 text") }
        switch url.pathExtension.lowercased() {
        case "json":
            guard let list = (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) as? [Any] else {
                throw DatasetError.malformed(file: file, line: 1, reason: "expected a JSON list of objects")
            }
            rows = try list.enumerated().map { index, item in
                try Metadata.row(item, file: file, line: index + 1)
            }
            columns = Array(Set(rows.flatMap { $0.fields.keys })).sorted()
        case "jsonl":
            var parsed: [MetadataRow] = []
            for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
                if trimmed.isEmpty { continue }
                guard let item = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8), options: [.fragmentsAllowed]) else {
                    throw DatasetError.malformed(file: file, line: index + 1, reason: "not a JSON object")
                }
                parsed.append(try Metadata.row(item, file: file, line: index + 1))
            }
            rows = parsed
            columns = Array(Set(rows.flatMap { $0.fields.keys })).sorted()
        default:
            let records = try CSV.parse(text, file: file)
            guard let header = records.first else { throw DatasetError.malformed(file: file, line: 1, reason: "the file is empty") }
            let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
            if let duplicate = Dictionary(grouping: names, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
                throw DatasetError.malformed(file: file, line: header.line, reason: "column '\(duplicate)' appears twice")
            }
            rows = try records.dropFirst().map { record in
                guard record.fields.count == names.count else {
                    throw DatasetError.malformed(file: file, line: record.line,
                                                 reason: "\(record.fields.count) fields, the header has \(names.count)")
                }
                return MetadataRow(file: file, line: record.line, fields: Dictionary(uniqueKeysWithValues: zip(names, record.fields)))
            }
            columns = names
        }
        if rows.isEmpty { throw DatasetError.malformed(file: file, line: 1, reason: "no data rows") }
    }

    private static func row(_ item: Any, file: String, line: Int) throws -> MetadataRow {
        guard let object = item as? [String: Any] else { throw DatasetError.malformed(file: file, line: line, reason: "not a JSON object") }
        var fields: [String: String] = [:]
        for (key, value) in object {
            switch value {
            case let s as String: fields[key] = s
            case is NSNull: continue
            case let n as NSNumber:
                fields[key] = n.stringValue
            default:
                throw DatasetError.malformed(file: file, line: line, reason: "field '\(key)' is not a string or number")
            }
        }
        return MetadataRow(file: file, line: line, fields: fields)
    }
}

/// Why a dataset cannot be used. Every case names the file and row (and column) at fault.
public enum DatasetError: Error, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case malformed(file: String, line: Int, reason: String)
    case missingColumn(file: String, column: String)
    case missingValue(row: String, column: String)
    case invalidValue(row: String, column: String, value: String, expected: String)
    case missingFile(row: String, path: String)
    case unreadableImage(row: String, path: String, reason: String)
    case resolutionMismatch(row: String, path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): return "\(file): cannot read: \(reason)"
        case .malformed(let file, let line, let reason): return "\(file) line \(line): \(reason)"
        case .missingColumn(let file, let column): return "\(file): no column '\(column)'"
        case .missingValue(let row, let column): return "\(row): column '\(column)' is empty"
        case .invalidValue(let row, let column, let value, let expected): return "\(row): column '\(column)' is '\(value)', expected \(expected)"
        case .missingFile(let row, let path): return "\(row): file \(path) does not exist"
        case .unreadableImage(let row, let path, let reason): return "\(row): cannot read image \(path): \(reason)"
        case .resolutionMismatch(let row, let path, let reason): return "\(row): \(path): \(reason)"
        }
    }
}

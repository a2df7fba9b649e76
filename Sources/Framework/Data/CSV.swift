/// RFC 4180 CSV: comma-separated, double-quoted fields may hold commas, newlines and doubled
/// quotes; CRLF or LF line ends; a UTF-8 byte-order mark is ignored. What `pandas.read_csv`
/// reads for DiffSynth metadata files.
public enum CSV {
    /// Records with the 1-based line number each starts on.
    public static func parse(_ text: String, file: String) throws -> [(line: Int, fields: [String])] {
        var records: [(line: Int, fields: [String])] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var atFieldStart = true
        var line = 1
        var recordLine = 1
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        var i = 0
        func endField() { fields.append(field); field = ""; atFieldStart = true }
        func endRecord() {
            endField()
            // A blank line is not a record (pandas skips it).
            if !(fields.count == 1 && fields[0].isEmpty) { records.append((recordLine, fields)) }
            fields = []
        }
        while i < scalars.count {
            let c = scalars[i]
            if inQuotes {
                if c == "\"" {
                    if i + 1 < scalars.count && scalars[i + 1] == "\"" { field.unicodeScalars.append("\""); i += 1 } else { inQuotes = false }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
            } else {
                switch c {
                case "\"" where atFieldStart:
                    inQuotes = true
                    atFieldStart = false
                case ",":
                    endField()
                case "\r" where i + 1 < scalars.count && scalars[i + 1] == "\n":
                    break
                case "\n", "\r":
                    endRecord()
                    line += 1
                    recordLine = line
                default:
                    field.unicodeScalars.append(c)
                    atFieldStart = false
                }
            }
            i += 1
        }
        if inQuotes { throw DatasetError.malformed(file: file, line: recordLine, reason: "a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty { endRecord() }
        return records
    }

    /// Quotes a field when it needs it.
    public static func escape(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One CSV line (without the line end).
    public static func line(_ fields: [String]) -> String { fields.map(escape).joined(separator: ",") }
}

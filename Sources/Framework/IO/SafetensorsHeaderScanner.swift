import Foundation

/// A JSON scanner specialised to the safetensors header.
///
/// A dedicated scanner instead of `JSONSerialization` because the header needs what a generic
/// parser hides: duplicate keys (which the format forbids, and generic parsers silently merge),
/// exact 64-bit integers for offsets, and the byte position and tensor name of each problem for
/// the error message. It accepts the JSON that `serde_json` accepts (the reference parser),
/// with two deliberate differences the format specification asks for: the header must begin
/// with `{`, and duplicate keys are errors. Unknown fields inside a tensor entry are skipped,
/// as `serde` does.
struct SafetensorsHeaderScanner {
    /// One tensor entry as written in the header, before layout validation.
    struct Entry {
        var name: String
        var dtype: SafetensorsDType
        var shape: [Int]
        var begin: Int
        var end: Int
    }

    /// What the header declares.
    struct Result {
        var entries: [Entry] = []
        var metadata: [String: String] = [:]
    }

    private let bytes: UnsafeRawBufferPointer
    private let path: String
    private var position = 0

    /// serde_json's recursion limit, so hostile nesting in skipped values cannot exhaust the stack.
    private static let maximumDepth = 128

    private init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    /// Scans a header that is already known to be valid UTF-8.
    static func scan(_ bytes: UnsafeRawBufferPointer, path: String) throws -> Result {
        var scanner = SafetensorsHeaderScanner(bytes: bytes, path: path)
        return try scanner.scanHeader()
    }

    // MARK: - Header structure

    private mutating func scanHeader() throws -> Result {
        guard peek() == UInt8(ascii: "{") else {
            throw syntaxError("the header must begin with '{'")
        }
        position += 1
        var result = Result()
        var seen = Set<String>()
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
        } else {
            while true {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw syntaxError("expected a string key") }
                let key = try scanString()
                try expectColon()
                guard seen.insert(key).inserted else {
                    throw SafetensorsError.duplicateName(path: path, name: key)
                }
                if key == "__metadata__" {
                    result.metadata = try scanMetadata()
                } else {
                    result.entries.append(try scanTensorInfo(name: key))
                }
                if try scanSeparator(closing: UInt8(ascii: "}")) { break }
            }
        }
        skipWhitespace()
        guard position == bytes.count else { throw syntaxError("trailing characters after the header object") }
        return result
    }

    /// `__metadata__`: an object of strings, or `null` (which serde reads as absent).
    private mutating func scanMetadata() throws -> [String: String] {
        if try scanNullIfPresent() { return [:] }
        guard peek() == UInt8(ascii: "{") else {
            throw SafetensorsError.invalidHeader(path: path, tensor: nil,
                                                 reason: "__metadata__ must be an object of strings, found \(kindOfNextValue())")
        }
        position += 1
        var metadata: [String: String] = [:]
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
            return metadata
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw syntaxError("expected a string key") }
            let key = try scanString()
            try expectColon()
            guard peek() == UInt8(ascii: "\"") else {
                throw SafetensorsError.invalidHeader(path: path, tensor: nil,
                                                     reason: "__metadata__ value for '\(key)' must be a string, found \(kindOfNextValue())")
            }
            let value = try scanString()
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw SafetensorsError.duplicateMetadataKey(path: path, key: key)
            }
            if try scanSeparator(closing: UInt8(ascii: "}")) { return metadata }
        }
    }

    /// `{"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}`, fields in any order.
    private mutating func scanTensorInfo(name: String) throws -> Entry {
        guard peek() == UInt8(ascii: "{") else {
            throw SafetensorsError.invalidHeader(path: path, tensor: name,
                                                 reason: "expected an object with dtype, shape and data_offsets, found \(kindOfNextValue())")
        }
        position += 1
        var dtype: SafetensorsDType?
        var shape: [Int]?
        var offsets: (Int, Int)?
        // A local copy: the error closures below must not capture `self` while it is mutated.
        let path = self.path
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
        } else {
            while true {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw syntaxError("expected a string key") }
                let field = try scanString()
                try expectColon()
                switch field {
                case "dtype":
                    guard dtype == nil else { throw duplicateField(field, tensor: name) }
                    dtype = try scanDType(tensor: name)
                case "shape":
                    guard shape == nil else { throw duplicateField(field, tensor: name) }
                    shape = try scanIntegerArray { SafetensorsError.invalidShape(path: path, tensor: name, reason: $0) }
                case "data_offsets":
                    guard offsets == nil else { throw duplicateField(field, tensor: name) }
                    let pair = try scanIntegerArray { SafetensorsError.invalidOffsets(path: path, tensor: name, reason: $0) }
                    guard pair.count == 2 else {
                        throw SafetensorsError.invalidOffsets(path: path, tensor: name,
                                                              reason: "expected [begin, end], found \(pair.count) numbers")
                    }
                    guard pair[0] <= pair[1] else {
                        throw SafetensorsError.invalidOffsets(path: path, tensor: name,
                                                              reason: "end \(pair[1]) is before begin \(pair[0])")
                    }
                    offsets = (pair[0], pair[1])
                default:
                    try skipValue(depth: 1)
                }
                if try scanSeparator(closing: UInt8(ascii: "}")) { break }
            }
        }
        guard let dtype else { throw missingField("dtype", tensor: name) }
        guard let shape else { throw missingField("shape", tensor: name) }
        guard let offsets else { throw missingField("data_offsets", tensor: name) }
        return Entry(name: name, dtype: dtype, shape: shape, begin: offsets.0, end: offsets.1)
    }

    private mutating func scanDType(tensor: String) throws -> SafetensorsDType {
        guard peek() == UInt8(ascii: "\"") else {
            throw SafetensorsError.invalidHeader(path: path, tensor: tensor,
                                                 reason: "dtype must be a string, found \(kindOfNextValue())")
        }
        let text = try scanString()
        guard let dtype = SafetensorsDType(rawValue: text) else {
            throw SafetensorsError.unknownDType(path: path, tensor: tensor, dtype: text)
        }
        return dtype
    }

    /// An array of non-negative integers; `schemaError` builds the error for well-formed JSON of
    /// the wrong kind (negative, fractional, too large, not a number).
    private mutating func scanIntegerArray(_ schemaError: (String) -> SafetensorsError) throws -> [Int] {
        guard peek() == UInt8(ascii: "[") else {
            throw schemaError("expected an array of non-negative integers, found \(kindOfNextValue())")
        }
        position += 1
        var values: [Int] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            position += 1
            return values
        }
        while true {
            skipWhitespace()
            guard let byte = peek(), byte == UInt8(ascii: "-") || isDigit(byte) else {
                throw schemaError("expected a non-negative integer, found \(kindOfNextValue())")
            }
            let token = try scanNumber()
            guard let value = integerValue(of: token) else {
                let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[token]), as: UTF8.self)
                throw schemaError("\(text) is not a non-negative integer below 2^63")
            }
            values.append(value)
            if try scanSeparator(closing: UInt8(ascii: "]")) { return values }
        }
    }

    // MARK: - JSON lexical level

    private func peek() -> UInt8? {
        position < bytes.count ? bytes[position] : nil
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func expectColon() throws {
        skipWhitespace()
        guard peek() == UInt8(ascii: ":") else { throw syntaxError("expected ':' after an object key") }
        position += 1
        skipWhitespace()
    }

    /// After a member or element: consumes `,` (returns false) or the closing bracket (returns true).
    private mutating func scanSeparator(closing: UInt8) throws -> Bool {
        skipWhitespace()
        switch peek() {
        case UInt8(ascii: ","):
            position += 1
            skipWhitespace()
            // serde_json rejects trailing commas, so a closing bracket may not follow.
            if peek() == closing { throw syntaxError("trailing comma") }
            return false
        case closing:
            position += 1
            return true
        default:
            throw syntaxError("expected ',' or '\(Character(Unicode.Scalar(closing)))'")
        }
    }

    private mutating func scanNullIfPresent() throws -> Bool {
        guard peek() == UInt8(ascii: "n") else { return false }
        try scanLiteral("null")
        return true
    }

    private mutating func scanLiteral(_ literal: StaticString) throws {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - position >= count,
              memcmp(bytes.baseAddress! + position, literal.utf8Start, count) == 0 else {
            throw syntaxError("invalid literal")
        }
        position += count
    }

    /// Describes the value starting at the current position, for schema error messages.
    private func kindOfNextValue() -> String {
        guard let byte = peek() else { return "the end of the header" }
        switch byte {
        case UInt8(ascii: "\""): return "a string"
        case UInt8(ascii: "{"): return "an object"
        case UInt8(ascii: "["): return "an array"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "a boolean"
        case UInt8(ascii: "n"): return "null"
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return "a number"
        default: return "an invalid character"
        }
    }

    /// Validates and skips any JSON value (used for unknown fields).
    private mutating func skipValue(depth: Int) throws {
        guard depth <= Self.maximumDepth else { throw syntaxError("nesting deeper than \(Self.maximumDepth) levels") }
        guard let byte = peek() else { throw syntaxError("unexpected end of header") }
        switch byte {
        case UInt8(ascii: "\""):
            _ = try scanString()
        case UInt8(ascii: "{"):
            position += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "}") { position += 1; return }
            while true {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw syntaxError("expected a string key") }
                _ = try scanString()
                try expectColon()
                try skipValue(depth: depth + 1)
                if try scanSeparator(closing: UInt8(ascii: "}")) { return }
            }
        case UInt8(ascii: "["):
            position += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "]") { position += 1; return }
            while true {
                skipWhitespace()
                try skipValue(depth: depth + 1)
                if try scanSeparator(closing: UInt8(ascii: "]")) { return }
            }
        case UInt8(ascii: "t"): try scanLiteral("true")
        case UInt8(ascii: "f"): try scanLiteral("false")
        case UInt8(ascii: "n"): try scanLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try scanNumber()
        default: throw syntaxError("expected a value")
        }
    }

    /// Validates a JSON number and returns its byte range.
    private mutating func scanNumber() throws -> Range<Int> {
        let start = position
        if peek() == UInt8(ascii: "-") { position += 1 }
        guard let first = peek(), isDigit(first) else { throw syntaxError("invalid number") }
        position += 1
        if first == UInt8(ascii: "0") {
            if let next = peek(), isDigit(next) { throw syntaxError("invalid number: leading zero") }
        } else {
            skipDigits()
        }
        if peek() == UInt8(ascii: ".") {
            position += 1
            guard let next = peek(), isDigit(next) else { throw syntaxError("invalid number: no digit after '.'") }
            skipDigits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            position += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
            guard let next = peek(), isDigit(next) else { throw syntaxError("invalid number: no digit in exponent") }
            skipDigits()
        }
        return start..<position
    }

    private mutating func skipDigits() {
        while let byte = peek(), isDigit(byte) { position += 1 }
    }

    /// The value of a number token that is a plain non-negative integer fitting in `Int`, else nil.
    /// Like serde's `usize`, fractions and exponents (`1.0`, `1e2`) and `-0` are not integers.
    private func integerValue(of token: Range<Int>) -> Int? {
        var value = 0
        for index in token {
            let byte = bytes[index]
            guard isDigit(byte) else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            value = sum
        }
        return value
    }

    /// Scans a string starting at its opening quote and returns its decoded value.
    private mutating func scanString() throws -> String {
        position += 1
        let start = position
        // Fast path: no escapes, the common case, decoded straight from the header bytes.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
                position += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw syntaxError("control character in string") }
            position += 1
        }
        guard position < bytes.count else { throw syntaxError("unterminated string") }
        var utf8 = Array(bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                position += 1
                try scanEscape(into: &utf8)
            case 0..<0x20:
                throw syntaxError("control character in string")
            default:
                utf8.append(byte)
                position += 1
            }
        }
        throw syntaxError("unterminated string")
    }

    /// Decodes the escape after a backslash, appending its UTF-8 bytes.
    private mutating func scanEscape(into utf8: inout [UInt8]) throws {
        guard let byte = peek() else { throw syntaxError("unterminated string") }
        position += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var code = UInt32(try scanHex4())
            if (0xD800..<0xDC00).contains(code) {
                // A high surrogate must be followed by an escaped low surrogate.
                guard bytes.count - position >= 2, bytes[position] == UInt8(ascii: "\\"),
                      bytes[position + 1] == UInt8(ascii: "u") else {
                    throw syntaxError("unpaired surrogate in \\u escape")
                }
                position += 2
                let low = UInt32(try scanHex4())
                guard (0xDC00..<0xE000).contains(low) else { throw syntaxError("unpaired surrogate in \\u escape") }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(code) {
                throw syntaxError("unpaired surrogate in \\u escape")
            }
            utf8.append(contentsOf: String(Character(Unicode.Scalar(code)!)).utf8)
        default:
            position -= 1
            throw syntaxError("invalid escape")
        }
    }

    private mutating func scanHex4() throws -> UInt16 {
        guard bytes.count - position >= 4 else { throw syntaxError("unterminated \\u escape") }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw syntaxError("invalid \\u escape")
            }
            value = value << 4 | UInt16(digit)
            position += 1
        }
        return value
    }

    // MARK: - Errors

    private func syntaxError(_ reason: String) -> SafetensorsError {
        .invalidJSON(path: path, offset: position, reason: reason)
    }

    private func duplicateField(_ field: String, tensor: String) -> SafetensorsError {
        .invalidHeader(path: path, tensor: tensor, reason: "field '\(field)' occurs more than once")
    }

    private func missingField(_ field: String, tensor: String) -> SafetensorsError {
        .invalidHeader(path: path, tensor: tensor, reason: "missing field '\(field)'")
    }
}

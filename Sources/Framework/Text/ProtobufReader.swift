/// A minimal reader of the protocol buffers wire format, enough for SentencePiece's
/// `ModelProto`: varints, 32/64-bit fixed fields and length-delimited fields (strings, bytes,
/// embedded messages). A protobuf library would be a dependency for one file format; the wire
/// format is small and stable.
///
/// Errors name `path` and the byte offset, so a truncated or corrupt `spiece.model` says where.
struct ProtobufReader {
    /// A field's payload.
    enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case fixed32(UInt32)
        case bytes(ArraySlice<UInt8>)
    }

    private let bytes: ArraySlice<UInt8>
    private var position: Int
    let path: String

    init(_ bytes: ArraySlice<UInt8>, path: String) {
        self.bytes = bytes
        self.position = bytes.startIndex
        self.path = path
    }

    /// The next field number and value, nil at the end of the message.
    mutating func next() throws -> (field: Int, value: Value)? {
        guard position < bytes.endIndex else { return nil }
        let fieldStart = position
        let key = try varint()
        let field = Int(truncatingIfNeeded: key >> 3)
        guard field > 0 else { throw error(at: fieldStart, "field number 0") }
        switch key & 7 {
        case 0:
            return (field, .varint(try varint()))
        case 1:
            return (field, .fixed64(try fixed(8)))
        case 2:
            let length = try varint()
            guard length <= UInt64(bytes.endIndex - position) else {
                throw error(at: fieldStart, "field \(field) claims \(length) bytes but only \(bytes.endIndex - position) are left (truncated file?)")
            }
            let start = position
            position += Int(length)
            return (field, .bytes(bytes[start..<position]))
        case 5:
            return (field, .fixed32(UInt32(truncatingIfNeeded: try fixed(4))))
        case let wireType:
            // 3 and 4 are the long-deprecated groups, which SentencePiece never writes.
            throw error(at: fieldStart, "field \(field) has unsupported wire type \(wireType)")
        }
    }

    /// A `TokenizerError` naming the file and the byte offset (from the start of the file).
    func error(at offset: Int, _ reason: String) -> TokenizerError {
        .invalidEntry(path: path, entry: "byte \(offset)", reason: reason)
    }

    private mutating func varint() throws -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.endIndex else { throw error(at: start, "a varint runs past the end (truncated file?)") }
            let byte = bytes[position]
            position += 1
            guard shift < 64 else { throw error(at: start, "a varint is longer than 10 bytes") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    private mutating func fixed(_ count: Int) throws -> UInt64 {
        guard bytes.endIndex - position >= count else {
            throw error(at: position, "a \(count * 8)-bit field runs past the end (truncated file?)")
        }
        var result: UInt64 = 0
        for index in 0..<count { result |= UInt64(bytes[position + index]) << (8 * UInt64(index)) }
        position += count
        return result
    }
}

extension ProtobufReader.Value {
    /// An `int32`/`int64`/`enum` field (negative numbers are sign-extended 64-bit varints).
    var integer: Int? {
        if case .varint(let raw) = self { return Int(Int64(bitPattern: raw)) }
        return nil
    }

    /// A `bool` field.
    var bool: Bool? {
        if case .varint(let raw) = self { return raw != 0 }
        return nil
    }

    /// A `float` field.
    var float: Float? {
        if case .fixed32(let raw) = self { return Float(bitPattern: raw) }
        return nil
    }

    /// A `bytes`, `string` or embedded-message field.
    var bytes: ArraySlice<UInt8>? {
        if case .bytes(let slice) = self { return slice }
        return nil
    }
}

/// GPT-2's byte-level alphabet, shared by Qwen2 and CLIP: every byte has a printable stand-in
/// character, so any UTF-8 text becomes a string of vocabulary symbols with no unknowns.
///
/// Printable Latin-1 bytes (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) stand for themselves; the other 68 bytes
/// map, in byte order, to U+0100 and up (space = `Ġ` U+0120, LF = `Ċ` U+010A).
enum ByteLevel {
    /// The stand-in scalar of each byte.
    static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            if printable {
                table[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte a stand-in scalar means, indexed by scalar value; -1 for scalars that are not stand-ins.
    static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (byte, scalar) in scalarForByte.enumerated() { table[Int(scalar.value)] = Int16(byte) }
        return table
    }()

    /// The stand-in string of one byte, as it appears in `vocab.json`.
    static func symbol(_ byte: UInt8) -> String { String(Character(scalarForByte[Int(byte)])) }

    /// Appends the bytes a token string stands for, the way `tokenizers`' ByteLevel decoder does:
    /// when every character is a stand-in, their bytes; otherwise the token's own UTF-8 (this is
    /// what happens to added tokens such as `<|im_start|>`, whose ASCII characters are stand-ins
    /// for themselves anyway).
    static func appendBytes(of token: String, to bytes: inout [UInt8]) {
        let start = bytes.count
        for scalar in token.unicodeScalars {
            let value = Int(scalar.value)
            guard value < byteForScalar.count, byteForScalar[value] >= 0 else {
                bytes.removeSubrange(start...)
                bytes.append(contentsOf: token.utf8)
                return
            }
            bytes.append(UInt8(byteForScalar[value]))
        }
    }
}

/// A tokenizer for random-weight tiny models: given special tokens written in the text become
/// ids 0, 1, …; every other UTF-8 byte `b` becomes `specialTokens.count + b`. Vocabulary size
/// ``count``. Tiny models have no trained vocabulary to match, so any family's random-weight
/// model can use this instead of its real tokenizer.
public final class ByteTokenizer: TextTokenizer {
    /// Special tokens in id order.
    public let specialTokens: [String]

    /// A tokenizer with `specialTokens` as ids `0..<specialTokens.count`.
    public init(specialTokens: [String]) {
        self.specialTokens = specialTokens
    }

    /// Ids needed to embed any text: the special tokens plus 256 bytes.
    public var count: Int { specialTokens.count + 256 }

    /// Special tokens are matched first (longest first), bytes otherwise.
    public func encode(_ text: String) -> [Int] {
        let specials = specialTokens.enumerated().sorted { $0.element.utf8.count > $1.element.utf8.count }
        var ids: [Int] = []
        var rest = Substring(text)
        scanning: while !rest.isEmpty {
            for (id, token) in specials where rest.hasPrefix(token) {
                ids.append(id)
                rest = rest.dropFirst(token.count)
                continue scanning
            }
            ids += String(rest.first!).utf8.map { specialTokens.count + Int($0) }
            rest = rest.dropFirst()
        }
        return ids
    }

    /// The id of a special token, or of a single-byte string.
    public func id(of token: String) -> Int? {
        if let index = specialTokens.firstIndex(of: token) { return index }
        let bytes = Array(token.utf8)
        return bytes.count == 1 ? specialTokens.count + Int(bytes[0]) : nil
    }

    /// Special tokens as written, bytes decoded as UTF-8.
    public func decode(_ ids: [Int]) -> String {
        var text = "", bytes: [UInt8] = []
        func flush() { text += String(decoding: bytes, as: UTF8.self); bytes.removeAll() }
        for id in ids {
            if id < specialTokens.count { flush(); text += specialTokens[id] } else if id < count { bytes.append(UInt8(id - specialTokens.count)) }
        }
        flush()
        return text
    }
}

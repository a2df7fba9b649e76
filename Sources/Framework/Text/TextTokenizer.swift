/// Turns text into token ids. Implementations follow their reference tokenizer exactly
/// (golden ids from the Python library in the tests).
public protocol TextTokenizer: AnyObject, Sendable {
    /// Token ids of `text`. Special tokens written in the text (e.g. `<|im_start|>`) are
    /// recognised as single tokens; nothing is added at the start or end.
    func encode(_ text: String) -> [Int]
    /// The id of a token string (vocabulary or special), nil when unknown.
    func id(of token: String) -> Int?
    /// The text of token ids (special tokens included as written).
    func decode(_ ids: [Int]) -> String
}

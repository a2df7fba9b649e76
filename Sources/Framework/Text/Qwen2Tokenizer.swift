import Foundation

/// The byte-level BPE tokenizer of Qwen2 / Qwen2.5 (Qwen-Image's text encoder), giving the same
/// ids as transformers' `Qwen2Tokenizer` / `Qwen2TokenizerFast`.
///
/// Text is NFC-normalised, split with Qwen's pattern (single digits, letter runs with one
/// leading non-letter, punctuation runs, white-space rules; see ``Qwen2TextSplitter``), and
/// each piece BPE-encoded over GPT-2's byte alphabet. Added tokens (`<|im_start|>`,
/// `<|endoftext|>`, `<tool_call>`, ...) are matched on the raw text first, longest first. No
/// BOS or EOS is added: Qwen's chat template writes its special tokens into the text.
///
/// ```swift
/// let tokenizer = try Qwen2Tokenizer(folder: qwenImage.appendingPathComponent("tokenizer"))
/// let ids = tokenizer.encode("<|im_start|>user\nA cat<|im_end|>\n")
/// ```
public final class Qwen2Tokenizer: TextTokenizer {
    private let pipeline: ByteLevelBPEPipeline<Qwen2TextSplitter>
    /// The end-of-sequence token of the folder's config (`<|im_end|>` for Qwen2.5), if set.
    public let eosToken: String?
    /// The padding token of the folder's config (`<|endoftext|>` for Qwen2.5; the class default).
    public let padToken: String

    /// Loads a tokenizer folder: `tokenizer.json`, or `vocab.json` + `merges.txt` (Qwen-Image's
    /// `tokenizer/`), with the added tokens of `tokenizer_config.json` when present.
    ///
    /// - Throws: ``TokenizerError`` naming the missing or malformed file.
    public init(folder: URL) throws {
        let contents = try TokenizerFolder(folder: folder)
        pipeline = try ByteLevelBPEPipeline(folder: contents, splitter: Qwen2TextSplitter())
        eosToken = contents.specialTokens["eos_token"]
        padToken = contents.specialTokens["pad_token"] ?? "<|endoftext|>"
    }

    /// Token ids of `text`; added tokens written in it are single tokens, nothing is added at the ends.
    public func encode(_ text: String) -> [Int] {
        pipeline.encode(text)
    }

    /// The id of a vocabulary or added token, nil when unknown.
    public func id(of token: String) -> Int? {
        pipeline.id(of: token)
    }

    /// The text of `ids`, special tokens included as written.
    public func decode(_ ids: [Int]) -> String {
        pipeline.decode(ids, skipSpecialTokens: false)
    }

    /// The text of `ids`; with `skipSpecialTokens`, special tokens (not the added ordinary ones
    /// such as `<think>`) are left out, like transformers' `skip_special_tokens=True`.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        pipeline.decode(ids, skipSpecialTokens: skipSpecialTokens)
    }

    /// The token string of an id, nil when unknown.
    public func token(for id: Int) -> String? {
        pipeline.token(id)
    }

    /// The number of distinct ids, added tokens included (transformers' `len(tokenizer)`).
    public var count: Int { pipeline.count }
}

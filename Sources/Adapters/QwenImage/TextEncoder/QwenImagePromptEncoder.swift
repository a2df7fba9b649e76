import DiffSynth

/// Prompt embeddings as diffusers' `QwenImagePipeline._get_qwen_prompt_embeds` + `encode_prompt`
/// make them: wrap each prompt in the chat template, tokenize (right-truncated to 1024 + 34 tokens,
/// right-padded to the longest row), run the language model, keep each row's real tokens, drop the
/// 34 template-prefix tokens, re-pad with zero vectors to the longest remaining row, and truncate
/// to `maxSequenceLength`.
public struct QwenImagePromptEncoder {
    /// The text-to-image chat template; the prompt replaces `{}`.
    public static let template = "<|im_start|>system\nDescribe the image by detailing the color, shape, size, texture, quantity, text, spatial relationships of the objects and background:<|im_end|>\n<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n"
    /// Tokens of the template before the prompt (`prompt_template_encode_start_idx`); their hidden
    /// states are dropped. The 5 template tokens after the prompt are kept.
    public static let dropIndex = 34
    /// `tokenizer_max_length`: the tokenizer truncates at this many tokens plus ``dropIndex``.
    public static let tokenizerMaxLength = 1024
    /// Used when the tokenizer does not know `<|endoftext|>` (Qwen2's pad token, id 151643).
    public static let defaultPadID = 151643

    /// Turns templated prompts into Qwen2 token ids.
    public let tokenizer: any TextTokenizer
    /// The language model whose final hidden states are the embeddings.
    public let textEncoder: QwenImageTextEncoder
    /// Embeddings beyond this many tokens are cut (diffusers' `max_sequence_length`, default 512,
    /// at most 1024).
    public var maxSequenceLength: Int

    /// A prompt encoder; `maxSequenceLength` must be in 1…1024 as diffusers checks.
    public init(tokenizer: any TextTokenizer, textEncoder: QwenImageTextEncoder, maxSequenceLength: Int = 512) {
        precondition((1...Self.tokenizerMaxLength).contains(maxSequenceLength),
                     "max_sequence_length must be in 1...\(Self.tokenizerMaxLength), got \(maxSequenceLength)")
        self.tokenizer = tokenizer
        self.textEncoder = textEncoder
        self.maxSequenceLength = maxSequenceLength
    }

    /// The templated text of `prompt` (Python's `template.format(prompt)`).
    public static func templated(_ prompt: String) -> String {
        template.replacingOccurrences(of: "{}", with: prompt)
    }

    /// Token ids of each templated prompt, truncated on the right to `tokenizerMaxLength + dropIndex`.
    public func tokenize(_ prompts: [String]) -> [[Int]] {
        prompts.map { Array(tokenizer.encode(Self.templated($0)).prefix(Self.tokenizerMaxLength + Self.dropIndex)) }
    }

    /// `prompt_embeds` `[B, L, D]` and `prompt_embeds_mask` `[B, L]` (1 real, 0 padding) of `prompts`.
    public func encode(_ prompts: [String]) throws -> (embeddings: Tensor, mask: Tensor) {
        try encode(tokenIDs: tokenize(prompts))
    }

    /// The same from already tokenized, templated rows (unpadded; they are right-padded here).
    /// - Throws: ``QwenImageError/tokenOutOfVocabulary(id:vocabularySize:)`` for ids the embedding
    ///   table does not have (a tokenizer that does not belong to this text encoder).
    public func encode(tokenIDs rows: [[Int]]) throws -> (embeddings: Tensor, mask: Tensor) {
        precondition(!rows.isEmpty, "no prompts to encode")
        let vocabulary = textEncoder.configuration.vocabSize
        if let bad = rows.joined().first(where: { $0 < 0 || $0 >= vocabulary }) {
            throw QwenImageError.tokenOutOfVocabulary(id: bad, vocabularySize: vocabulary)
        }
        // Padded positions are masked out of every real token's attention and dropped afterwards,
        // so the pad id only has to exist in the table.
        let padID = tokenizer.id(of: "<|endoftext|>").flatMap { $0 < vocabulary ? $0 : nil } ?? Swift.min(Self.defaultPadID, vocabulary - 1)
        let length = rows.map(\.count).max()!
        let ids = rows.map { $0 + Array(repeating: padID, count: length - $0.count) }
        let mask = rows.map { Array(repeating: 1, count: $0.count) + Array(repeating: 0, count: length - $0.count) }
        let hidden = withNoGrad { textEncoder(tokenIDs: ids, attentionMask: mask) }
        // Each row's real tokens minus the template prefix (`_extract_masked_hidden`, then `[drop_idx:]`).
        let kept = rows.enumerated().map { b, row in
            hidden.slice(axis: 0, b..<(b + 1)).slice(axis: 1, Swift.min(Self.dropIndex, row.count)..<row.count)
        }
        let longest = Swift.min(kept.map { $0.shape[1] }.max()!, maxSequenceLength)
        let width = hidden.shape[2]
        // Zero re-padding to the longest row, then `[:, :max_sequence_length]`.
        let embeddings = Tensor.concat(kept.map { row -> Tensor in
            let n = row.shape[1]
            return n >= longest ? row.slice(axis: 1, 0..<longest) : Tensor.concat([row, Tensor.zeros([1, longest - n, width])], axis: 1)
        }, axis: 0)
        let maskValues = kept.flatMap { row -> [Float] in
            let n = Swift.min(row.shape[1], longest)
            return Array(repeating: 1, count: n) + Array(repeating: 0, count: longest - n)
        }
        return (embeddings, Tensor(shape: [rows.count, longest], scalars: maskValues))
    }
}

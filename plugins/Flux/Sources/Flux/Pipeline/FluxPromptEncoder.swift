import DiffSynth

/// FLUX's two text paths, as diffusers' `FluxPipeline.encode_prompt` runs them: CLIP-L's
/// `pooler_output` of the prompt padded to 77 tokens (`pooled_prompt_embeds`), and the T5
/// encoder's `last_hidden_state` of the prompt padded to `max_sequence_length`
/// (`prompt_embeds`). Neither path gets an attention mask: padding is encoded like any token.
public struct FluxPromptEncoder {
    /// `tokenizer/` (CLIP, 77 ids).
    public let clipTokenizer: any PaddedTokenizer
    /// `tokenizer_2/` (T5, `maxSequenceLength` ids).
    public let t5Tokenizer: any PaddedTokenizer
    /// `text_encoder/`.
    public let clip: CLIPTextEncoder
    /// `text_encoder_2/`.
    public let t5: T5EncoderModel
    /// diffusers' `max_sequence_length` (512 by default for dev and schnell).
    public let maxSequenceLength: Int

    /// `(prompt_embeds [B, L, D_t5], pooled_prompt_embeds [B, D_clip])` of `prompts`, without gradients.
    public func encode(_ prompts: [String]) throws -> (embeddings: Tensor, pooled: Tensor) {
        let clipIDs = try prompts.map { try clipTokenizer.paddedTokenIDs($0) }
        let t5IDs = try prompts.map { try t5Tokenizer.paddedTokenIDs($0) }
        for (index, ids) in t5IDs.enumerated() where ids.count != maxSequenceLength {
            throw FluxError.tokenizerLength(which: "tokenizer_2 (T5)", prompt: index, expected: maxSequenceLength, got: ids.count)
        }
        for (index, ids) in clipIDs.enumerated() where ids.count != clip.configuration.maxPositions {
            throw FluxError.tokenizerLength(which: "tokenizer (CLIP)", prompt: index, expected: clip.configuration.maxPositions, got: ids.count)
        }
        return withNoGrad { (t5(t5IDs), clip(clipIDs).pooled) }
    }
}

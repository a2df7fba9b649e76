import DiffSynth

/// `attn` of a dual-stream block (diffusers `Attention` with `QwenDoubleStreamAttnProcessor2_0`):
/// separate q/k/v projections for the image and the text stream, per-head RMSNorm on q and k,
/// RoPE, one joint attention over `[text, image]`, and separate output projections.
public final class QwenImageJointAttention: Module {
    /// Attention heads.
    public let heads: Int
    /// Width of one head.
    public let headDimension: Int
    /// Image stream: `to_q`, `to_k`, `to_v`, `to_out.0`.
    public let query: Linear, key: Linear, value: Linear, output: Linear
    /// Text stream: `add_q_proj`, `add_k_proj`, `add_v_proj`, `to_add_out`.
    public let textQuery: Linear, textKey: Linear, textValue: Linear, textOutput: Linear
    /// Per-head RMSNorms: `norm_q`, `norm_k` (image), `norm_added_q`, `norm_added_k` (text).
    public let queryNorm: RMSNorm, keyNorm: RMSNorm, textQueryNorm: RMSNorm, textKeyNorm: RMSNorm

    /// The attention of a block of width `dimension` under `scope` (`…attn`).
    public init(_ scope: ParameterScope, dimension: Int, heads: Int, headDimension: Int) {
        self.heads = heads
        self.headDimension = headDimension
        let inner = heads * headDimension
        query = Linear(scope["to_q"], inFeatures: dimension, outFeatures: inner)
        key = Linear(scope["to_k"], inFeatures: dimension, outFeatures: inner)
        value = Linear(scope["to_v"], inFeatures: dimension, outFeatures: inner)
        textQuery = Linear(scope["add_q_proj"], inFeatures: dimension, outFeatures: inner)
        textKey = Linear(scope["add_k_proj"], inFeatures: dimension, outFeatures: inner)
        textValue = Linear(scope["add_v_proj"], inFeatures: dimension, outFeatures: inner)
        queryNorm = RMSNorm(scope["norm_q"], dimension: headDimension, eps: 1e-6)
        keyNorm = RMSNorm(scope["norm_k"], dimension: headDimension, eps: 1e-6)
        textQueryNorm = RMSNorm(scope["norm_added_q"], dimension: headDimension, eps: 1e-6)
        textKeyNorm = RMSNorm(scope["norm_added_k"], dimension: headDimension, eps: 1e-6)
        // `to_out.1` is dropout: no parameters.
        output = Linear(scope["to_out.0"], inFeatures: inner, outFeatures: dimension)
        textOutput = Linear(scope["to_add_out"], inFeatures: inner, outFeatures: dimension)
    }

    /// - Parameters:
    ///   - image: modulated image tokens `[B, S_img, D]`.
    ///   - text: modulated text tokens `[B, S_txt, D]`.
    ///   - rotary: tables for the image and text tokens.
    ///   - keyMask: additive mask `[B, 1, 1, S_txt + S_img]` excluding padded text keys, or nil.
    /// - Returns: the attention outputs of both streams after their output projections.
    public func callAsFunction(image: Tensor, text: Tensor, rotary: (image: RotaryTables, text: RotaryTables),
                               keyMask: Tensor?) -> (image: Tensor, text: Tensor) {
        let textLength = text.shape[1]
        // [B, S, heads, headDim]: the per-head RMSNorm and RoPE act on the last dimension.
        func perHead(_ x: Tensor) -> Tensor { x.reshaped([x.shape[0], x.shape[1], heads, headDimension]) }
        func rotate(_ x: Tensor, _ t: RotaryTables) -> Tensor { x.applyingRotary(cos: t.cos, sin: t.sin, style: .interleaved) }
        let q = Tensor.concat([rotate(textQueryNorm(perHead(textQuery(text))), rotary.text),
                               rotate(queryNorm(perHead(query(image))), rotary.image)], axis: 1)
        let k = Tensor.concat([rotate(textKeyNorm(perHead(textKey(text))), rotary.text),
                               rotate(keyNorm(perHead(key(image))), rotary.image)], axis: 1)
        let v = Tensor.concat([perHead(textValue(text)), perHead(value(image))], axis: 1)
        // Joint sequence order is [text, image], as the reference concatenates.
        let attended = Tensor.scaledDotProductAttention(query: q.permuted([0, 2, 1, 3]), key: k.permuted([0, 2, 1, 3]),
                                                        value: v.permuted([0, 2, 1, 3]), mask: keyMask)
            .mergingHeads()
        let total = attended.shape[1]
        return (output(attended.slice(axis: 1, textLength..<total)), textOutput(attended.slice(axis: 1, 0..<textLength)))
    }
}

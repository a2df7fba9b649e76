import DiffSynth

/// diffusers' `FluxAttention` with `FluxAttnProcessor`: q/k/v projections (with biases), per-head
/// RMSNorm on q and k (eps 1e-6), RoPE over the whole joint sequence, scaled dot-product attention.
///
/// Double-stream blocks also have the text stream's `add_q_proj`/`add_k_proj`/`add_v_proj`,
/// `norm_added_q`/`norm_added_k` and `to_add_out`; the joint sequence is `[text, image]`.
/// Single-stream blocks (`pre_only`) have no output projection: the block's `proj_out` mixes the
/// attention with the MLP.
public final class FluxAttention: Module {
    /// Attention heads.
    public let heads: Int
    /// Width of one head.
    public let headDimension: Int
    /// `to_q`, `to_k`, `to_v`.
    public let query: Linear, key: Linear, value: Linear
    /// `norm_q`, `norm_k`.
    public let queryNorm: RMSNorm, keyNorm: RMSNorm
    /// `to_out.0`, double-stream only.
    public let output: Linear?
    /// The text stream of a double-stream block: `add_q_proj`, `add_k_proj`, `add_v_proj`,
    /// `norm_added_q`, `norm_added_k`, `to_add_out`.
    public let textQuery: Linear?, textKey: Linear?, textValue: Linear?
    /// `norm_added_q`, `norm_added_k`.
    public let textQueryNorm: RMSNorm?, textKeyNorm: RMSNorm?
    /// `to_add_out`.
    public let textOutput: Linear?

    /// - Parameter joint: true for a double-stream block's attention (text projections and
    ///   output projections), false for a single-stream block's (`pre_only`).
    public init(_ scope: ParameterScope, dimension: Int, heads: Int, headDimension: Int, joint: Bool) {
        self.heads = heads
        self.headDimension = headDimension
        let inner = heads * headDimension
        query = Linear(scope["to_q"], inFeatures: dimension, outFeatures: inner)
        key = Linear(scope["to_k"], inFeatures: dimension, outFeatures: inner)
        value = Linear(scope["to_v"], inFeatures: dimension, outFeatures: inner)
        queryNorm = RMSNorm(scope["norm_q"], dimension: headDimension, eps: 1e-6)
        keyNorm = RMSNorm(scope["norm_k"], dimension: headDimension, eps: 1e-6)
        // `to_out.1` is dropout: no parameters.
        output = joint ? Linear(scope["to_out.0"], inFeatures: inner, outFeatures: dimension) : nil
        textQuery = joint ? Linear(scope["add_q_proj"], inFeatures: dimension, outFeatures: inner) : nil
        textKey = joint ? Linear(scope["add_k_proj"], inFeatures: dimension, outFeatures: inner) : nil
        textValue = joint ? Linear(scope["add_v_proj"], inFeatures: dimension, outFeatures: inner) : nil
        textQueryNorm = joint ? RMSNorm(scope["norm_added_q"], dimension: headDimension, eps: 1e-6) : nil
        textKeyNorm = joint ? RMSNorm(scope["norm_added_k"], dimension: headDimension, eps: 1e-6) : nil
        textOutput = joint ? Linear(scope["to_add_out"], inFeatures: inner, outFeatures: dimension) : nil
    }

    /// `[B, S, heads·D]` → `[B, S, heads, D]`: the per-head RMSNorm and RoPE act on the last dimension.
    private func perHead(_ x: Tensor) -> Tensor { x.reshaped([x.shape[0], x.shape[1], heads, headDimension]) }

    /// Attention over `[B, S, heads, D]` queries/keys/values after RoPE, merged back to `[B, S, heads·D]`.
    private func attend(_ q: Tensor, _ k: Tensor, _ v: Tensor, rotary: RotaryTables) -> Tensor {
        func rotate(_ x: Tensor) -> Tensor { x.applyingRotary(cos: rotary.cos, sin: rotary.sin, style: .interleaved) }
        return Tensor.scaledDotProductAttention(query: rotate(q).permuted([0, 2, 1, 3]), key: rotate(k).permuted([0, 2, 1, 3]),
                                                value: v.permuted([0, 2, 1, 3])).mergingHeads()
    }

    /// Double-stream attention: both streams' projections, one attention over `[text, image]`,
    /// and the two output projections. `rotary` covers the joint sequence.
    public func callAsFunction(image: Tensor, text: Tensor, rotary: RotaryTables) -> (image: Tensor, text: Tensor) {
        guard let textQuery, let textKey, let textValue, let textQueryNorm, let textKeyNorm, let output, let textOutput else {
            preconditionFailure("FLUX: a single-stream attention has no text stream")
        }
        let q = Tensor.concat([textQueryNorm(perHead(textQuery(text))), queryNorm(perHead(query(image)))], axis: 1)
        let k = Tensor.concat([textKeyNorm(perHead(textKey(text))), keyNorm(perHead(key(image)))], axis: 1)
        let v = Tensor.concat([perHead(textValue(text)), perHead(value(image))], axis: 1)
        let attended = attend(q, k, v, rotary: rotary)
        let (textLength, total) = (text.shape[1], attended.shape[1])
        return (output(attended.slice(axis: 1, textLength..<total)), textOutput(attended.slice(axis: 1, 0..<textLength)))
    }

    /// Single-stream attention over the already joined sequence `[B, S, D]` (no output projection).
    public func callAsFunction(_ x: Tensor, rotary: RotaryTables) -> Tensor {
        attend(queryNorm(perHead(query(x))), keyNorm(perHead(key(x))), perHead(value(x)), rotary: rotary)
    }
}

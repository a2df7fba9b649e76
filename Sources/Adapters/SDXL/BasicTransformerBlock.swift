import DiffSynth

/// diffusers' `BasicTransformerBlock` with `norm_type="layer_norm"` (eps 1e-5, affine), as the
/// SDXL UNet uses it: pre-norm self-attention (`attn1`), cross-attention to the text tokens
/// (`attn2`) and a GEGLU feed-forward (`ff`), each added back to the residual stream.
public final class BasicTransformerBlock: Module {
    /// LayerNorm before self-attention.
    public let norm1: LayerNorm
    /// `attn1`: self-attention.
    public let selfAttention: DiffusersAttention
    /// LayerNorm before cross-attention.
    public let norm2: LayerNorm
    /// `attn2`: cross-attention to the text tokens.
    public let crossAttention: DiffusersAttention
    /// LayerNorm before the feed-forward.
    public let norm3: LayerNorm
    /// `ff`.
    public let feedForward: GEGLUFeedForward

    /// A block of width `dimension` with `heads` heads (head size `dimension / heads`) attending
    /// to text tokens of width `contextDimension`.
    public init(_ scope: ParameterScope, dimension: Int, heads: Int, contextDimension: Int) {
        let headDimension = dimension / heads
        norm1 = LayerNorm(scope["norm1"], dimension: dimension, eps: 1e-5)
        selfAttention = DiffusersAttention(scope["attn1"], queryDimension: dimension, heads: heads,
                                           headDimension: headDimension, projectionBias: false)
        norm2 = LayerNorm(scope["norm2"], dimension: dimension, eps: 1e-5)
        crossAttention = DiffusersAttention(scope["attn2"], queryDimension: dimension, contextDimension: contextDimension,
                                            heads: heads, headDimension: headDimension, projectionBias: false)
        norm3 = LayerNorm(scope["norm3"], dimension: dimension, eps: 1e-5)
        feedForward = GEGLUFeedForward(scope["ff"], dimension: dimension, innerDimension: 4 * dimension)
    }

    /// `x` `[B, L, C]`, `context` `[B, Ltext, Ctext]`.
    public func callAsFunction(_ x: Tensor, context: Tensor) -> Tensor {
        var h = x + selfAttention(norm1(x))
        h = h + crossAttention(norm2(h), context: context)
        return h + feedForward(norm3(h))
    }
}

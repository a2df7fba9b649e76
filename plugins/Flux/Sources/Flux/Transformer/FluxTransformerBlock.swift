import DiffSynth

/// One double-stream block (diffusers `FluxTransformerBlock`): each stream has its own
/// `AdaLayerNormZero` and MLP, both share one joint attention; every sub-layer is a gated residual.
public final class FluxTransformerBlock: Module {
    /// `norm1` (image stream) and `norm1_context` (text stream).
    public let norm1: AdaLayerNormZero, norm1Context: AdaLayerNormZero
    /// `attn`.
    public let attention: FluxAttention
    /// `ff` and `ff_context` (`norm2`/`norm2_context` have no parameters).
    public let feedForward: FluxFeedForward, feedForwardContext: FluxFeedForward

    /// Block `transformer_blocks.i` of width `dimension` under `scope`.
    public init(_ scope: ParameterScope, dimension: Int, heads: Int, headDimension: Int) {
        norm1 = AdaLayerNormZero(scope["norm1"], dimension: dimension)
        norm1Context = AdaLayerNormZero(scope["norm1_context"], dimension: dimension)
        attention = FluxAttention(scope["attn"], dimension: dimension, heads: heads, headDimension: headDimension, joint: true)
        feedForward = FluxFeedForward(scope["ff"], dimension: dimension)
        feedForwardContext = FluxFeedForward(scope["ff_context"], dimension: dimension)
    }

    /// - Parameters:
    ///   - image: `[B, S_img, D]`; `text`: `[B, S_txt, D]`.
    ///   - activatedEmbedding: SiLU(temb) `[B, D]`.
    /// - Returns: the updated streams (the reference returns them as (text, image)).
    public func callAsFunction(image: Tensor, text: Tensor, activatedEmbedding: Tensor, rotary: RotaryTables) -> (image: Tensor, text: Tensor) {
        // Parameter order: shift, scale, gate for attention, then shift, scale, gate for the MLP.
        let (normedImage, p) = norm1(image, activatedEmbedding: activatedEmbedding)
        let (normedText, c) = norm1Context(text, activatedEmbedding: activatedEmbedding)
        let attended = attention(image: normedImage, text: normedText, rotary: rotary)
        var image = image + p[2].unsqueezed(1) * attended.image
        image = image + p[5].unsqueezed(1) * feedForward(modulated(image, shift: p[3], scale: p[4]))
        var text = text + c[2].unsqueezed(1) * attended.text
        text = text + c[5].unsqueezed(1) * feedForwardContext(modulated(text, shift: c[3], scale: c[4]))
        // The reference clips to ±65504 in fp16 only; Float32 needs no clipping.
        return (image, text)
    }
}

/// One single-stream block (diffusers `FluxSingleTransformerBlock`) over the joined sequence
/// `[text, image]`: `x + gate · proj_out([attn(n), gelu_tanh(proj_mlp(n))])` with `n` the
/// `AdaLayerNormZeroSingle`-modulated input.
public final class FluxSingleTransformerBlock: Module {
    /// `norm`.
    public let norm: AdaLayerNormZeroSingle
    /// `proj_mlp`: D → 4D.
    public let projectMLP: Linear
    /// `attn` (no output projection).
    public let attention: FluxAttention
    /// `proj_out`: D + 4D → D.
    public let projectOut: Linear

    /// Block `single_transformer_blocks.i` of width `dimension` under `scope`.
    public init(_ scope: ParameterScope, dimension: Int, heads: Int, headDimension: Int) {
        norm = AdaLayerNormZeroSingle(scope["norm"], dimension: dimension)
        projectMLP = Linear(scope["proj_mlp"], inFeatures: dimension, outFeatures: 4 * dimension)
        attention = FluxAttention(scope["attn"], dimension: dimension, heads: heads, headDimension: headDimension, joint: false)
        projectOut = Linear(scope["proj_out"], inFeatures: 5 * dimension, outFeatures: dimension)
    }

    /// The joined sequence `[B, S_txt + S_img, D]` after the block.
    public func callAsFunction(_ x: Tensor, activatedEmbedding: Tensor, rotary: RotaryTables) -> Tensor {
        let (normed, gate) = norm(x, activatedEmbedding: activatedEmbedding)
        let mixed = Tensor.concat([attention(normed, rotary: rotary), projectMLP(normed).gelu(approximate: .tanh)], axis: 2)
        return x + gate.unsqueezed(1) * projectOut(mixed)
    }
}

import DiffSynth

/// One dual-stream block (diffusers `QwenImageTransformerBlock`): each stream has its own AdaLN
/// modulation (`img_mod.1` / `txt_mod.1`, fed with SiLU(temb)), both share one joint attention,
/// and each has its own MLP; every sub-layer is a gated residual.
public final class QwenImageTransformerBlock: Module {
    /// `img_mod.1` (`img_mod.0` is the SiLU): D → 6D = [shift₁, scale₁, gate₁, shift₂, scale₂, gate₂].
    public let imageModulation: Linear
    /// `txt_mod.1`, the same for the text stream.
    public let textModulation: Linear
    /// `attn`.
    public let attention: QwenImageJointAttention
    /// `img_mlp`.
    public let imageFeedForward: QwenImageFeedForward
    /// `txt_mlp`.
    public let textFeedForward: QwenImageFeedForward

    /// The four LayerNorms (`img_norm1/2`, `txt_norm1/2`) have no affine parameters; eps 1e-6.
    static let layerNormEpsilon: Float = 1e-6

    /// Block `transformer_blocks.i` of width `dimension` under `scope`.
    public init(_ scope: ParameterScope, dimension: Int, heads: Int, headDimension: Int) {
        imageModulation = Linear(scope["img_mod.1"], inFeatures: dimension, outFeatures: 6 * dimension)
        textModulation = Linear(scope["txt_mod.1"], inFeatures: dimension, outFeatures: 6 * dimension)
        attention = QwenImageJointAttention(scope["attn"], dimension: dimension, heads: heads, headDimension: headDimension)
        imageFeedForward = QwenImageFeedForward(scope["img_mlp"], dimension: dimension)
        textFeedForward = QwenImageFeedForward(scope["txt_mlp"], dimension: dimension)
    }

    /// - Parameters:
    ///   - image: `[B, S_img, D]`; `text`: `[B, S_txt, D]`.
    ///   - activatedEmbedding: SiLU(temb) `[B, D]` (the SiLU of `img_mod.0`/`txt_mod.0`, computed once
    ///     per forward by the caller because every block and `norm_out` apply it to the same temb).
    /// - Returns: the updated `(image, text)` streams (the reference returns them as (text, image)).
    public func callAsFunction(image: Tensor, text: Tensor, activatedEmbedding: Tensor,
                               rotary: (image: RotaryTables, text: RotaryTables), keyMask: Tensor?) -> (image: Tensor, text: Tensor) {
        // Chunk order: shift, scale, gate for the attention half, then the same for the MLP half.
        let imageParameters = imageModulation(activatedEmbedding).unsqueezed(1).chunked(6, axis: -1)
        let textParameters = textModulation(activatedEmbedding).unsqueezed(1).chunked(6, axis: -1)
        func modulate(_ x: Tensor, _ p: [Tensor], _ offset: Int) -> Tensor {
            x.layerNorm(eps: Self.layerNormEpsilon) * (p[offset + 1] + 1) + p[offset]
        }
        let attended = attention(image: modulate(image, imageParameters, 0), text: modulate(text, textParameters, 0),
                                 rotary: rotary, keyMask: keyMask)
        var image = image + imageParameters[2] * attended.image
        var text = text + textParameters[2] * attended.text
        image = image + imageParameters[5] * imageFeedForward(modulate(image, imageParameters, 3))
        text = text + textParameters[5] * textFeedForward(modulate(text, textParameters, 3))
        // The reference clips both streams to ±65504 in fp16 only; Float32 needs no clipping.
        return (image, text)
    }
}

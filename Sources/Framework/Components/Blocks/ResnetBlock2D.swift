/// diffusers' `ResnetBlock2D` with `time_embedding_norm="default"` and SiLU, as the SDXL UNet
/// (with a time projection) and VAE (without) use it:
/// `h = conv1(SiLU(norm1(x)))`, `h += time_emb_proj(SiLU(emb))` per channel, `h =
/// conv2(SiLU(norm2(h)))`, output `(shortcut(x) + h) / outputScale`, where the shortcut is a
/// 1×1 `conv_shortcut` only when the channel count changes.
public final class ResnetBlock2D: Module {
    /// `norm1` (GroupNorm over the input).
    public let norm1: GroupNorm
    /// `conv1`: 3×3, input → output width.
    public let conv1: Conv2d
    /// `time_emb_proj`, absent in the VAE.
    public let timeEmbeddingProjection: Linear?
    /// `norm2`.
    public let norm2: GroupNorm
    /// `conv2`: 3×3, output → output width.
    public let conv2: Conv2d
    /// `conv_shortcut`, present when input and output widths differ.
    public let shortcut: Conv2d?
    /// diffusers' `output_scale_factor`.
    public let outputScale: Float

    /// A block from `inChannels` to `outChannels`; `timeEmbeddingChannels` nil builds the VAE kind.
    public init(_ scope: ParameterScope, inChannels: Int, outChannels: Int, timeEmbeddingChannels: Int?,
                groups: Int, eps: Float, outputScale: Float = 1) {
        norm1 = GroupNorm(scope["norm1"], groups: groups, channels: inChannels, eps: eps)
        conv1 = Conv2d(scope["conv1"], inChannels: inChannels, outChannels: outChannels, kernelSize: (3, 3), padding: (1, 1))
        timeEmbeddingProjection = timeEmbeddingChannels.map {
            Linear(scope["time_emb_proj"], inFeatures: $0, outFeatures: outChannels)
        }
        norm2 = GroupNorm(scope["norm2"], groups: groups, channels: outChannels, eps: eps)
        conv2 = Conv2d(scope["conv2"], inChannels: outChannels, outChannels: outChannels, kernelSize: (3, 3), padding: (1, 1))
        shortcut = inChannels == outChannels ? nil
            : Conv2d(scope["conv_shortcut"], inChannels: inChannels, outChannels: outChannels, kernelSize: (1, 1))
        self.outputScale = outputScale
    }

    /// - Parameter activatedEmbedding: `SiLU(emb)` `[B, T]`, already activated: every resnet of
    ///   the UNet applies SiLU to the same `emb`, so the UNet computes it once.
    public func callAsFunction(_ x: Tensor, activatedEmbedding: Tensor? = nil) -> Tensor {
        var h = conv1(norm1(x).silu())
        if let projection = timeEmbeddingProjection, let embedding = activatedEmbedding {
            let perChannel = projection(embedding)
            h = h + perChannel.reshaped(perChannel.shape + [1, 1])
        }
        h = conv2(norm2(h).silu())
        let output = (shortcut.map { $0(x) } ?? x) + h
        return outputScale == 1 ? output : output / outputScale
    }
}

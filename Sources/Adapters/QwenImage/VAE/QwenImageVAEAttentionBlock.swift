import DiffSynth

/// diffusers' `QwenImageAttentionBlock`: single-head self-attention over the pixels of each frame,
/// `x + proj(attention(norm(x)))`, with q, k, v from one 1×1 convolution `to_qkv` (channels
/// [0, C) are q, [C, 2C) k, [2C, 3C) v).
public final class QwenImageVAEAttentionBlock: UnaryModule {
    /// `norm` (γ of shape `[C, 1, 1]`).
    public let norm: QwenImageVAERMSNorm
    /// `to_qkv`: 1×1 conv C → 3C.
    public let qkv: Conv2d
    /// `proj`: 1×1 conv C → C.
    public let projection: Conv2d
    /// Width C.
    public let channels: Int

    /// A block of width `channels` under `scope`.
    public init(_ scope: ParameterScope, channels: Int) {
        self.channels = channels
        norm = QwenImageVAERMSNorm(scope["norm"], channels: channels, images: true)
        qkv = Conv2d(scope["to_qkv"], inChannels: channels, outChannels: 3 * channels, kernelSize: (1, 1))
        projection = Conv2d(scope["proj"], inChannels: channels, outChannels: channels, kernelSize: (1, 1))
    }

    /// `x`: `[N, C, H, W]` (one frame per N).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        // [N, 3C, HW] → [N, 1, HW, 3C]: one head whose tokens are the pixels.
        let tokens = qkv(norm(x)).reshaped([n, 3 * c, h * w]).transposed(1, 2).unsqueezed(1)
        let parts = tokens.chunked(3, axis: -1)
        let attended = Tensor.scaledDotProductAttention(query: parts[0], key: parts[1], value: parts[2])
        let image = attended.squeezed(1).transposed(1, 2).reshaped([n, c, h, w])
        return x + projection(image)
    }
}

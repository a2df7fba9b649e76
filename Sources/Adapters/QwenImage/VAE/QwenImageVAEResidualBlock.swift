import DiffSynth

/// diffusers' `QwenImageResidualBlock`: RMS norm → SiLU → 3×3×3 causal conv → RMS norm → SiLU →
/// (dropout) → 3×3×3 causal conv, plus a 1×1×1 `conv_shortcut` of the input when the width changes.
public final class QwenImageVAEResidualBlock: UnaryModule {
    /// `norm1`, `norm2`.
    public let norm1: QwenImageVAERMSNorm, norm2: QwenImageVAERMSNorm
    /// `conv1`, `conv2` (3×3×3).
    public let conv1: QwenImageCausalConv3d, conv2: QwenImageCausalConv3d
    /// `conv_shortcut`, only when input and output widths differ.
    public let shortcut: QwenImageCausalConv3d?

    /// A block mapping `inChannels` to `outChannels` under `scope`.
    public init(_ scope: ParameterScope, inChannels: Int, outChannels: Int) {
        norm1 = QwenImageVAERMSNorm(scope["norm1"], channels: inChannels, images: false)
        conv1 = QwenImageCausalConv3d(scope["conv1"], inChannels: inChannels, outChannels: outChannels, kernelSize: 3, padding: 1)
        norm2 = QwenImageVAERMSNorm(scope["norm2"], channels: outChannels, images: false)
        conv2 = QwenImageCausalConv3d(scope["conv2"], inChannels: outChannels, outChannels: outChannels, kernelSize: 3, padding: 1)
        shortcut = inChannels == outChannels ? nil
            : QwenImageCausalConv3d(scope["conv_shortcut"], inChannels: inChannels, outChannels: outChannels, kernelSize: 1)
    }

    /// `x`: `[N, C, H, W]`, one frame per N.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let residual = shortcut?(x) ?? x
        // Dropout is 0 in every released config (and identity at inference).
        return conv2(norm2(conv1(norm1(x).silu())).silu()) + residual
    }
}

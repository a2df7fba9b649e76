import DiffSynth

/// diffusers' `QwenImageRMS_norm` (channel-first): `F.normalize(x, dim=1) · √C · γ`, i.e. each pixel's
/// channel vector divided by its RMS over the channels, times `γ`.
///
/// `γ` keeps the file's broadcast shape — `[C, 1, 1, 1]` in residual blocks and `norm_out`
/// (`images=False`), `[C, 1, 1]` in attention blocks — so keys and shapes match the checkpoint.
/// The framework's RMS norm works over the last dimension, hence the permutes around it.
public final class QwenImageVAERMSNorm: UnaryModule {
    /// `gamma` `[C, 1, 1(, 1)]`.
    public let gamma: Parameter
    /// C.
    public let channels: Int
    /// `F.normalize` clamps the norm at 1e-12; as an RMS epsilon that is (1e-12)² / C, which only
    /// matters for an all-zero pixel (both give 0 there).
    let epsilon: Float

    /// `images` selects the attention blocks' γ shape `[C, 1, 1]` (else `[C, 1, 1, 1]`).
    public init(_ scope: ParameterScope, channels: Int, images: Bool) {
        self.channels = channels
        epsilon = 1e-24 / Float(channels)
        gamma = scope.parameter("gamma", shape: images ? [channels, 1, 1] : [channels, 1, 1, 1], initializer: .constant(1))
    }

    /// `x`: `[N, C, H, W]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.permuted([0, 2, 3, 1]).rmsNorm(weight: gamma.value.reshaped([channels]), eps: epsilon).permuted([0, 3, 1, 2])
    }
}

import DiffSynth

/// `img_mlp` / `txt_mlp` (diffusers `FeedForward(dim, dim, activation_fn="gelu-approximate")`):
/// `net.0.proj` (D → 4D), tanh-approximated GELU, `net.1` dropout (no parameters), `net.2` (4D → D).
/// DiffSynth-Studio uses `x·σ(1.702x)` here instead; diffusers' tanh GELU is the reference.
public final class QwenImageFeedForward: Module {
    /// `net.0.proj`.
    public let inputProjection: Linear
    /// `net.2`.
    public let outputProjection: Linear

    /// An MLP of width `dimension` (hidden `multiplier × dimension`) under `scope`.
    public init(_ scope: ParameterScope, dimension: Int, multiplier: Int = 4) {
        inputProjection = Linear(scope["net.0.proj"], inFeatures: dimension, outFeatures: dimension * multiplier)
        outputProjection = Linear(scope["net.2"], inFeatures: dimension * multiplier, outFeatures: dimension)
    }

    /// Over the last dimension.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        outputProjection(inputProjection(x).gelu(approximate: .tanh))
    }
}

import DiffSynth

/// diffusers' `FeedForward` with `activation_fn="geglu"`: `net.0.proj` maps `C → 2·inner`, the
/// first half is the value and the second half the gate, `value · GELU(gate)` (exact erf GELU),
/// then `net.2` maps `inner → C` (`net.1` is dropout).
public final class GEGLUFeedForward: Module {
    /// `ff.net.0.proj`.
    public let inputProjection: Linear
    /// `ff.net.2`.
    public let outputProjection: Linear

    /// A feed-forward of `dimension` with hidden width `innerDimension` (4 × dimension in SDXL).
    public init(_ scope: ParameterScope, dimension: Int, innerDimension: Int) {
        inputProjection = Linear(scope["net.0.proj"], inFeatures: dimension, outFeatures: 2 * innerDimension)
        outputProjection = Linear(scope["net.2"], inFeatures: innerDimension, outFeatures: dimension)
    }

    /// The feed-forward of `x` `[…, C]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let halves = inputProjection(x).chunked(2, axis: -1)
        return outputProjection(halves[0] * halves[1].gelu())
    }
}

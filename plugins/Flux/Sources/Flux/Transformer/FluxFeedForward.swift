import DiffSynth

/// diffusers' `FeedForward(activation_fn="gelu-approximate")` of the double-stream blocks (`ff`,
/// `ff_context`): `net.0.proj` D → 4D, tanh-GELU, `net.2` 4D → D (`net.1` is dropout).
public final class FluxFeedForward: Module {
    /// `net.0.proj`.
    public let projectIn: Linear
    /// `net.2`.
    public let projectOut: Linear

    /// The MLP of width `dimension` under `scope`.
    public init(_ scope: ParameterScope, dimension: Int) {
        projectIn = Linear(scope["net.0.proj"], inFeatures: dimension, outFeatures: 4 * dimension)
        projectOut = Linear(scope["net.2"], inFeatures: 4 * dimension, outFeatures: dimension)
    }

    /// `net.2(gelu_tanh(net.0.proj(x)))`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        projectOut(projectIn(x).gelu(approximate: .tanh))
    }
}

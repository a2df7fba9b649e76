import DiffSynth

/// diffusers' `TimestepEmbedding` as SDXL configures it: `linear_1`, SiLU, `linear_2` (no
/// conditioning projection, no post-activation). Used twice by the UNet: for the timestep
/// sinusoid (`time_embedding`) and for the pooled text + time-id vector (`add_embedding`).
public final class TimestepEmbedding: Module {
    /// `linear_1`.
    public let linear1: Linear
    /// `linear_2`.
    public let linear2: Linear

    /// An MLP from `inputDimension` to `embeddingDimension`.
    public init(_ scope: ParameterScope, inputDimension: Int, embeddingDimension: Int) {
        linear1 = Linear(scope["linear_1"], inFeatures: inputDimension, outFeatures: embeddingDimension)
        linear2 = Linear(scope["linear_2"], inFeatures: embeddingDimension, outFeatures: embeddingDimension)
    }

    /// `linear_2(SiLU(linear_1(x)))`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        linear2(linear1(x).silu())
    }
}

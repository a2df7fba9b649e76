import Foundation

/// Sinusoidal timestep features, diffusers' `get_timestep_embedding`: frequencies
/// `exp(−ln(maxPeriod) · i / (half − shift))`, arguments `scale · t · f_i`, output `[sin, cos]`
/// (or `[cos, sin]` with `flipSinToCos`), zero-padded when `dimension` is odd. Computed in
/// Float32 as diffusers does.
public func sinusoidalTimestepEmbedding(_ timesteps: [Float], dimension: Int, flipSinToCos: Bool,
                                        downscaleFrequencyShift: Float, scale: Float = 1, maxPeriod: Float = 10000) -> Tensor {
    let half = dimension / 2
    let logPeriod = Float(Foundation.log(Double(maxPeriod)))
    // exponent = -log(max_period) * arange(half) / (half - shift), all float32 like torch.
    let frequencies = (0..<half).map { i -> Float in
        let exponent = -logPeriod * Float(i) / (Float(half) - downscaleFrequencyShift)
        return Foundation.exp(exponent)
    }
    var values: [Float] = []
    values.reserveCapacity(timesteps.count * dimension)
    for t in timesteps {
        let arguments = frequencies.map { t * $0 * scale }
        let sines = arguments.map { Foundation.sin($0) }, cosines = arguments.map { Foundation.cos($0) }
        values += flipSinToCos ? cosines + sines : sines + cosines
        if dimension % 2 == 1 { values.append(0) }
    }
    return Tensor(shape: [timesteps.count, dimension], scalars: values)
}

extension Tensor {
    /// `[B, L, H·D]` → `[B, H, L, D]`: the layout attention works in.
    public func splittingHeads(_ heads: Int) -> Tensor {
        precondition(rank == 3 && shape[2] % heads == 0, "cannot split \(shape) into \(heads) heads")
        return reshaped([shape[0], shape[1], heads, shape[2] / heads]).permuted([0, 2, 1, 3])
    }

    /// `[B, H, L, D]` → `[B, L, H·D]`.
    public func mergingHeads() -> Tensor {
        precondition(rank == 4, "mergingHeads needs [B, H, L, D], got \(shape)")
        return permuted([0, 2, 1, 3]).reshaped([shape[0], shape[2], shape[1] * shape[3]])
    }
}

/// diffusers' `TimestepEmbedding` as both families configure it: `linear_1`, SiLU, `linear_2`
/// (no conditioning projection, no post-activation). SDXL uses it for the timestep sinusoid
/// (`time_embedding`) and the pooled text + time-id vector (`add_embedding`); Qwen-Image for
/// `time_text_embed.timestep_embedder`.
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

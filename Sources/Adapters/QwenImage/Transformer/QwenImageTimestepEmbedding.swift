import DiffSynth

/// `time_text_embed` (diffusers `QwenTimestepProjEmbeddings`): the 256-wide sinusoid of the noise
/// level followed by `timestep_embedder` (Linear → SiLU → Linear). Despite the reference name
/// there is no text or pooled contribution.
public final class QwenImageTimestepEmbedding: Module {
    /// `timestep_embedder`: 256 → model width → model width.
    public let timestepEmbedder: TimestepEmbedding

    /// Sinusoid width fixed by the reference (`Timesteps(num_channels=256, ...)`).
    public static let frequencyChannels = 256

    /// The embedding for model width `dimension` under `scope` (`time_text_embed`).
    public init(_ scope: ParameterScope, dimension: Int) {
        timestepEmbedder = TimestepEmbedding(scope["timestep_embedder"], inputDimension: Self.frequencyChannels, embeddingDimension: dimension)
    }

    /// `temb` `[B, D]` for noise levels `sigmas` in [0, 1] (one per batch row). The reference's
    /// `Timesteps(flip_sin_to_cos=True, downscale_freq_shift=0, scale=1000)` multiplies σ by 1000
    /// inside the sinusoid, which is why the pipeline divides its 0…1000 timesteps by 1000 first.
    public func callAsFunction(_ sigmas: [Float]) -> Tensor {
        let features = sinusoidalTimestepEmbedding(sigmas, dimension: Self.frequencyChannels, flipSinToCos: true,
                                                   downscaleFrequencyShift: 0, scale: 1000)
        return timestepEmbedder(features)
    }
}

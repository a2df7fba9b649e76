import DiffSynth

/// `time_text_embed` (diffusers `CombinedTimestepGuidanceTextProjEmbeddings` for FLUX.1-dev,
/// `CombinedTimestepTextProjEmbeddings` for schnell): the 256-wide sinusoid of the timestep (and
/// of the guidance scale) through `timestep_embedder` (and `guidance_embedder`), plus
/// `text_embedder(pooled CLIP)` (Linear → SiLU → Linear).
public final class FluxTimeTextEmbedding: Module {
    /// `timestep_embedder`: 256 → D → D.
    public let timestepEmbedder: TimestepEmbedding
    /// `guidance_embedder`, FLUX.1-dev only.
    public let guidanceEmbedder: TimestepEmbedding?
    /// `text_embedder` (PixArt-α's `PixArtAlphaTextProjection` with SiLU): pooled width → D → D.
    public let textEmbedder: TimestepEmbedding

    /// Sinusoid width fixed by the reference (`Timesteps(num_channels=256, flip_sin_to_cos=True, downscale_freq_shift=0)`).
    public static let frequencyChannels = 256

    /// The embedding of a model of width `dimension` under `scope` (`time_text_embed`).
    public init(_ scope: ParameterScope, dimension: Int, pooledDimension: Int, guidance: Bool) {
        timestepEmbedder = TimestepEmbedding(scope["timestep_embedder"], inputDimension: Self.frequencyChannels, embeddingDimension: dimension)
        guidanceEmbedder = guidance
            ? TimestepEmbedding(scope["guidance_embedder"], inputDimension: Self.frequencyChannels, embeddingDimension: dimension) : nil
        // Same Linear → SiLU → Linear shape and key names (`linear_1`, `linear_2`) as TimestepEmbedding.
        textEmbedder = TimestepEmbedding(scope["text_embedder"], inputDimension: pooledDimension, embeddingDimension: dimension)
    }

    /// `temb` `[B, D]`.
    ///
    /// - Parameters:
    ///   - timesteps: σ in [0, 1] per row (the pipeline's timestep / 1000); the model multiplies by
    ///     1000 in Float32 before the sinusoid, as the reference does.
    ///   - guidance: the embedded guidance scale per row (dev), also × 1000; nil for schnell.
    ///   - pooled: the CLIP pooled output `[B, pooledDimension]`.
    public func callAsFunction(timesteps: [Float], guidance: [Float]?, pooled: Tensor) -> Tensor {
        func sinusoid(_ values: [Float]) -> Tensor {
            sinusoidalTimestepEmbedding(values.map { $0 * 1000 }, dimension: Self.frequencyChannels, flipSinToCos: true,
                                        downscaleFrequencyShift: 0)
        }
        var embedding = timestepEmbedder(sinusoid(timesteps))
        if let guidanceEmbedder {
            precondition(guidance?.count == timesteps.count, "FLUX: this transformer embeds guidance; pass one scale per row")
            embedding = embedding + guidanceEmbedder(sinusoid(guidance ?? []))
        }
        return embedding + textEmbedder(pooled)
    }
}

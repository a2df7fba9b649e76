/// Trains a family's VAE as a plain autoencoder through the shared trainer (`--task autoencoder
/// --trainable_models vae`): the reconstruction MSE of `decode(encode(x) + σ·ε)`, optionally
/// plus a penalty on the latents' size.
///
/// Optional latent noise (σ in normalised units) makes the decoder robust to imprecise latents;
/// the penalty keeps the latent scale from drifting (a deterministic autoencoder has no KL term).
/// Both are off by default: the latent scale is fixed afterwards by measuring it
/// (`diffsynth calibrate-vae`). Noise is drawn from a generator seeded by (`seed`, step), so
/// resumed runs are exact. The loss uses the decoder's unclamped output
/// (``DiffusionPipeline/decodeForTraining(latents:)``).
public struct AutoencoderLoss: TrainingObjective {
    public var latentNoise: Float
    public var latentPenalty: Float
    public var seed: UInt64

    public init(latentNoise: Float = 0.0, latentPenalty: Float = 0, seed: UInt64 = 0) {
        self.latentNoise = latentNoise
        self.latentPenalty = latentPenalty
        self.seed = seed
    }

    public var name: String { "autoencoder" }

    public func validate(_ sample: TrainingSample, pipeline: any DiffusionPipeline) throws {
        try sample.requireImage("the image")
    }

    public func loss(for sample: TrainingSample, step: Int, pipeline: any DiffusionPipeline, cache: TrainingCache) throws -> Tensor {
        // The image itself is not cached: only its pixels are fixed, its encoding changes as the VAE trains.
        let image = try cache.loadImage(sample.image!)
        let latents = try pipeline.encode(image: image)
        var generator = TorchGenerator.trainingStep(step, seed: seed)
        let noisy = latentNoise == 0 ? latents : latents + Tensor.randn(latents.shape, generator: &generator) * latentNoise
        let reconstruction = try pipeline.decodeForTraining(latents: noisy)
        return reconstruction.mseLoss(image) + latents.pow(2).mean() * latentPenalty
    }
}

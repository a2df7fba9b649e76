/// Supervised fine-tuning (DiffSynth's `FlowMatchSFTLoss`, and the ε-prediction loss for
/// ε-models): noise a clean latent at a random training timestep and regress the scheduler's
/// target (flow velocity ε − x₀, or ε, or v), weighted by the scheduler's training weight.
///
/// The timestep index and the noise are drawn from a generator seeded by (`seed`, step), so a
/// resumed run draws exactly what the uninterrupted run would have.
public struct SupervisedLoss: TrainingObjective {
    /// Seed of the per-step random draws.
    public var seed: UInt64
    /// Fraction range of training timesteps sampled (DiffSynth's min/max_timestep_boundary).
    public var timestepRange: ClosedRange<Float>
    /// Probability of training a sample on the empty prompt instead of its caption, so the model
    /// also learns the unconditional prediction classifier-free guidance subtracts (0 = never, as
    /// DiffSynth-Studio; models trained from scratch need it, e.g. 0.1).
    public var promptDropout: Float

    public init(seed: UInt64 = 0, timestepRange: ClosedRange<Float> = 0...1, promptDropout: Float = 0) {
        self.seed = seed
        self.timestepRange = timestepRange
        self.promptDropout = promptDropout
    }

    public var name: String { "sft" }

    public func validate(_ sample: TrainingSample, pipeline: any DiffusionPipeline) throws {
        try sample.requireImage("the training image")
    }

    public func loss(for sample: TrainingSample, step: Int, pipeline: any DiffusionPipeline, cache: TrainingCache) throws -> Tensor {
        let clean = try cache.latents(of: sample.image!, pipeline: pipeline)
        let scheduler = pipeline.scheduler
        var generator = TorchGenerator.trainingStep(step, seed: seed)
        let count = scheduler.trainingTimestepCount
        let low = Int(timestepRange.lowerBound * Float(count)), high = max(low + 1, Int(timestepRange.upperBound * Float(count)))
        let index = Int(generator.randint(low: Int64(low), high: Int64(high), count: 1)[0])
        let noise = Tensor.randn(clean.shape, generator: &generator)
        let example = scheduler.trainingExample(clean: clean, noise: noise, index: index)
        let dropped = promptDropout > 0 && generator.rand(count: 1)[0] < promptDropout
        let conditioning = try cache.conditioning(dropped ? "" : sample.prompt, pipeline: pipeline)
        let prediction = pipeline.predict(latents: example.modelInput, timestep: example.timestep, conditioning: conditioning)
        let loss = prediction.mseLoss(example.target)
        return example.weight == 1 ? loss : loss * example.weight
    }
}

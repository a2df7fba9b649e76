/// Direct Distillation (DiffSynth-Studio's `DirectDistillLoss`): the student runs its whole
/// few-step sampling loop from the teacher's seeded noise, with gradients through every step,
/// and is penalised by the MSE between its final latents and the latents of the teacher's image.
///
/// Per sample (a row of a distillation dataset: `image, prompt, seed, rand_device,
/// num_inference_steps, cfg_scale`):
/// 1. target = VAE encoding (posterior mean) of the teacher image;
/// 2. noise = the row's seed through the family's torch-exact generator, at the image's size;
/// 3. schedule = the scheduler's schedule for `num_inference_steps`;
/// 4. latents = the sampler's loop at the row's `cfg_scale` (1: one forward per step), recorded;
/// 5. loss = mean((latents − target)²) — no decoding, no timestep weighting.
public struct DirectDistillLoss: TrainingObjective {
    /// Which shift the student's schedule uses.
    public enum StudentShift: Sendable, Equatable {
        /// The schedule the pipeline uses at inference for the image's resolution (default):
        /// the student learns exactly the trajectory it will be sampled with.
        case inference
        /// A fixed shift `mu` regardless of resolution — DiffSynth-Studio's behaviour (it calls
        /// `set_timesteps(N)` without the image size, so `mu = 0.8`).
        case fixed(Float)
    }

    public var studentShift: StudentShift

    public init(studentShift: StudentShift = .inference) {
        self.studentShift = studentShift
    }

    public var name: String { "direct_distill" }

    public func validate(_ sample: TrainingSample, pipeline: any DiffusionPipeline) throws {
        try sample.requireImage("the teacher image")
        try Self.requireSeedAndSteps(sample)
        guard sample.randomDevice == "cpu" else {
            throw TrainingDataError.unsupportedRandomDevice(row: sample.row.location, device: sample.randomDevice)
        }
    }

    /// The row fields every Direct Distillation variant needs: the seed and the student's step count.
    static func requireSeedAndSteps(_ sample: TrainingSample) throws {
        let row = sample.row.location
        guard sample.seed != nil else {
            throw TrainingDataError.missing(row: row, what: "the seed", hint: "column 'seed', listed in --extra_inputs")
        }
        guard sample.steps != nil else {
            throw TrainingDataError.missing(row: row, what: "the student's step count",
                                            hint: "column 'num_inference_steps', listed in --extra_inputs")
        }
    }

    public func loss(for sample: TrainingSample, step: Int, pipeline: any DiffusionPipeline, cache: TrainingCache) throws -> Tensor {
        try validate(sample, pipeline: pipeline)
        let target = try cache.latents(of: sample.image!, pipeline: pipeline)
        let f = pipeline.descriptor.vaeScaleFactor
        let (height, width) = (target.shape[2] * f, target.shape[3] * f)
        let prompts = try cache.prompts(for: sample, guidanceScale: sample.guidanceScale, pipeline: pipeline)
        var (noise, generator) = try pipeline.seededNoise(height: height, width: width, seed: sample.seed!)
        var context = pipeline.scheduleContext(height: height, width: width)
        if case .fixed(let mu) = studentShift { context.shiftOverride = mu }
        let schedule = pipeline.scheduler.schedule(steps: sample.steps!, context: context)
        let start = Sampler.startingLatents(noise: noise, schedule: schedule, scheduler: pipeline.scheduler)
        let latents = try Sampler.sample(pipeline: pipeline, latents: start, prompts: prompts, schedule: schedule,
                                         guidanceScale: sample.guidanceScale, generator: &generator)
        return latents.mseLoss(target)
    }
}

import Foundation

/// Direct Distillation (DiffSynth-Studio's `DirectDistillLoss`): the student runs its whole
/// few-step sampling loop from the teacher's seeded noise, with gradients through every step,
/// and is penalised by the MSE between its final latents and the teacher's (its own latents, or
/// those of its image).
///
/// Per sample (a row of a distillation dataset: `image, prompt, seed, rand_device,
/// num_inference_steps, cfg_scale`, optionally `latents`):
/// 1. target = the teacher's own final latents when the row has them (``Target``), else the VAE
///    encoding (posterior mean) of the teacher image — DiffSynth's target;
/// 2. noise = the row's seed through the family's torch-exact generator, at the image's size;
/// 3. schedule = the scheduler's schedule for `num_inference_steps` (a set such as `1,2,4,8`
///    draws one count per training step: see ``TrainingSample/studentSteps(atTrainingStep:seed:)``);
/// 4. latents = the sampler's loop at the row's `cfg_scale` (1: one forward per step), recorded;
/// 5. loss = mean((latents − target)²) — no decoding, no timestep weighting.
public struct DirectDistillLoss: TrainingObjective {
    /// What the student's final latents are regressed onto.
    public enum Target: String, Sendable, CaseIterable {
        /// The teacher's latents where a row has a `latents` file sampled by the student's own
        /// family, the teacher image's VAE encoding otherwise (default): DiffSynth datasets, which
        /// hold only images, train exactly as in DiffSynth-Studio.
        case auto
        /// Always the VAE encoding of the teacher image (DiffSynth-Studio's `DirectDistillLoss`).
        case image
        /// Always the teacher's latents; a row without usable ones is an error.
        case latents
    }

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
    public var target: Target
    /// Seeds the per-step draw of the student's step count from a row's set (the run's `--seed`).
    public var seed: UInt64

    public init(studentShift: StudentShift = .inference, target: Target = .auto, seed: UInt64 = 0) {
        self.studentShift = studentShift
        self.target = target
        self.seed = seed
    }

    public var name: String { "direct_distill" }

    public func validate(_ sample: TrainingSample, pipeline: any DiffusionPipeline) throws {
        try Self.requireReproducibleNoise(sample)
        if try teacherLatents(of: sample, pipeline: pipeline, read: TeacherLatentsFile.read) == nil {
            try sample.requireImage("the teacher image")
        }
    }

    /// The teacher latents `sample` trains on under ``target``, or nil when it trains on its image.
    ///
    /// Latents count only when sampled by the student's family (the file's `family`) with the
    /// student's latent channels; ``Target/latents`` turns every other case into an error naming
    /// the row and file.
    public func teacherLatents(of sample: TrainingSample, pipeline: any DiffusionPipeline,
                               read: (URL) throws -> (latents: Tensor, family: String?)) throws -> Tensor? {
        guard target != .image else { return nil }
        guard let url = sample.latents else {
            guard target == .auto else {
                throw TrainingDataError.missing(row: sample.row.location, what: "a teacher-latents file (--distill_target latents)",
                                                hint: "column 'latents', written by diffsynth dataset")
            }
            return nil
        }
        let (latents, family) = try read(url)
        let d = pipeline.descriptor
        var problem: String?
        if let family, family != d.family {
            problem = "the latents were sampled by a \(family) model; this student is \(d.family) (its latent space differs)"
        } else if latents.shape[1] != d.latentChannels {
            problem = "the latents have \(latents.shape[1]) channels; this \(d.family) student has \(d.latentChannels)"
        }
        guard let problem else {
            let f = d.vaeScaleFactor
            try pipeline.validate(height: latents.shape[2] * f, width: latents.shape[3] * f)
            return latents
        }
        guard target == .auto else { throw TeacherLatentsError.mismatch(file: url.path, row: sample.row.location, reason: problem) }
        return nil
    }

    /// The seed, the step count and CPU noise (`rand_device = cpu`): what regenerating the
    /// teacher's starting noise from a dataset row needs.
    static func requireReproducibleNoise(_ sample: TrainingSample) throws {
        try requireSeedAndSteps(sample)
        guard sample.randomDevice == "cpu" else {
            throw TrainingDataError.unsupportedRandomDevice(row: sample.row.location, device: sample.randomDevice)
        }
    }

    /// The row fields every Direct Distillation variant needs: the seed and the student's step count.
    static func requireSeedAndSteps(_ sample: TrainingSample) throws {
        let row = sample.row.location
        // A column that is in the file but not in --extra_inputs is the usual cause: say so.
        func hint(_ column: String) -> String {
            sample.row.fields[column] != nil
                ? "the column '\(column)' is in the file but not listed in --extra_inputs: add \(column) to it"
                : "column '\(column)', listed in --extra_inputs"
        }
        guard sample.seed != nil else { throw TrainingDataError.missing(row: row, what: "the seed", hint: hint("seed")) }
        guard sample.stepChoices != nil else {
            throw TrainingDataError.missing(row: row, what: "the student's step count", hint: hint("num_inference_steps"))
        }
    }

    public func loss(for sample: TrainingSample, step: Int, pipeline: any DiffusionPipeline, cache: TrainingCache) throws -> Tensor {
        try Self.requireSeedAndSteps(sample)
        let target = try teacherLatents(of: sample, pipeline: pipeline, read: cache.teacherLatents)
            ?? cache.latents(of: try sample.requireImage("the teacher image"), pipeline: pipeline)
        let f = pipeline.descriptor.vaeScaleFactor
        let (height, width) = (target.shape[2] * f, target.shape[3] * f)
        let prompts = try cache.prompts(for: sample, guidanceScale: sample.guidanceScale, pipeline: pipeline)
        var (noise, generator) = try pipeline.seededNoise(height: height, width: width, seed: sample.seed!)
        var context = pipeline.scheduleContext(height: height, width: width)
        if case .fixed(let mu) = studentShift { context.shiftOverride = mu }
        let schedule = pipeline.scheduler.schedule(steps: sample.studentSteps(atTrainingStep: step, seed: seed)!, context: context)
        let start = Sampler.startingLatents(noise: noise, schedule: schedule, scheduler: pipeline.scheduler)
        let latents = try Sampler.sample(pipeline: pipeline, latents: start, prompts: prompts, schedule: schedule,
                                         guidanceScale: sample.guidanceScale, generator: &generator)
        return latents.mseLoss(target)
    }
}

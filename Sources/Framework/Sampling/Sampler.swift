/// Progress of a sampling loop, reported after each step.
public struct SamplingProgress {
    /// Index of the step just taken (0-based).
    public let step: Int
    /// Total steps of the run.
    public let steps: Int
    /// The timestep the denoiser was given.
    public let timestep: Float
    /// The latents after this step (detached: safe to decode for previews).
    public let latents: Tensor
}

/// The one denoising loop, shared by inference, the teacher and the student.
///
/// Only two things differ between those uses: the schedule (step count, shift) and whether
/// gradients are recorded. Under ``withNoGrad(_:)`` the loop records nothing; with recording on
/// and a trainable denoiser, the whole loop — every step, every guidance branch, every scheduler
/// update — is differentiable, which is what Direct Distillation back-propagates through.
public enum Sampler {
    /// The most sampling steps a command or dataset row may ask for: every supported schedule is
    /// defined on 1000 training timesteps, so more only repeat them (10⁸ is a typo, not a plan).
    public static let maxSteps = 1000

    /// Runs `schedule` from `latents`.
    ///
    /// - Parameters:
    ///   - latents: the starting sample (see ``startingLatents(noise:schedule:scheduler:image:)``).
    ///   - prompts: conditioning; `negative` is required when the family's ``GuidanceRule`` guides.
    ///   - guidanceScale: where the family's ``GuidanceRule`` does not guide (1, and for SDXL any
    ///     scale ≤ 1), one denoiser evaluation per step; otherwise two, combined with the
    ///     pipeline's ``DiffusionPipeline/guide(positive:negative:scale:)``.
    ///   - generator: the run's seeded stream, for schedulers that add noise at every step.
    ///   - onStep: called after each step.
    public static func sample(
        pipeline: any DiffusionPipeline, latents start: Tensor, prompts: PromptPair, schedule: Schedule,
        guidanceScale: Float, generator: inout TorchGenerator, onStep: ((SamplingProgress) -> Void)? = nil
    ) throws -> Tensor {
        let scheduler = pipeline.scheduler
        var latents = start
        for step in 0..<schedule.steps {
            let timestep = schedule.timesteps[step]
            let input = scheduler.scaleModelInput(latents, step: step, in: schedule)
            let prediction = try guidedPrediction(pipeline: pipeline, input: input, timestep: timestep, prompts: prompts,
                                                  guidanceScale: guidanceScale)
            try prediction.requireFinite("the \(pipeline.descriptor.family) denoiser's prediction at step \(step + 1) of \(schedule.steps)")
            let noise = scheduler.needsStepNoise ? Tensor.randn(latents.shape, generator: &generator) : nil
            latents = scheduler.step(prediction: prediction, sample: latents, step: step, in: schedule, noise: noise)
            onStep?(SamplingProgress(step: step, steps: schedule.steps, timestep: timestep, latents: latents.detached()))
        }
        return latents
    }

    /// The denoiser's prediction for one step: one evaluation where the family's
    /// ``GuidanceRule`` does not guide, otherwise the positive and negative evaluations combined
    /// by the pipeline's ``DiffusionPipeline/guide(positive:negative:scale:)``.
    public static func guidedPrediction(pipeline: any DiffusionPipeline, input: Tensor, timestep: Float, prompts: PromptPair,
                                        guidanceScale: Float) throws -> Tensor {
        let prediction = pipeline.predict(latents: input, timestep: timestep, conditioning: prompts.positive)
        guard pipeline.descriptor.guidance.guides(guidanceScale) else { return prediction }
        guard let negative = prompts.negative else { throw PipelineError.missingNegativeConditioning }
        let unconditional = pipeline.predict(latents: input, timestep: timestep, conditioning: negative)
        return pipeline.guide(positive: prediction, negative: unconditional, scale: guidanceScale)
    }

    /// The first sample of a run: unit noise scaled by the schedule's initial noise scale, or,
    /// for img2img, the clean latents of `image` noised to the schedule's first level.
    public static func startingLatents(noise: Tensor, schedule: Schedule, scheduler: any Scheduler, image: Tensor? = nil) -> Tensor {
        if let image { return scheduler.addNoise(to: image, noise: noise, step: 0, in: schedule) }
        return schedule.initialNoiseScale == 1 ? noise : noise * schedule.initialNoiseScale
    }

    /// A batch of prompts end to end without gradients, as the family's diffusers pipeline runs
    /// `pipe(prompts, negative_prompt=…, generator=manual_seed(seed))`: the prompts encoded as one
    /// batch, the noise drawn as one tensor from one generator (``DiffusionPipeline/seededNoise(height:width:seed:batch:)``),
    /// every step one denoiser call on all rows (two with guidance). Returns latents `[N, C, h, w]`.
    public static func generateBatch(
        pipeline: any DiffusionPipeline, prompts: [String], negativePrompts: [String?], height: Int, width: Int,
        seed: UInt64, steps: Int, guidanceScale: Float, onStep: ((SamplingProgress) -> Void)? = nil
    ) throws -> Tensor {
        let drawn = try pipeline.seededNoise(height: height, width: width, seed: seed, batch: prompts.count)
        var generator = drawn.generator
        return try generateBatch(pipeline: pipeline, prompts: prompts, negativePrompts: negativePrompts, height: height, width: width,
                                 noise: drawn.noise, generator: &generator, steps: steps, guidanceScale: guidanceScale, onStep: onStep)
    }

    /// The same from given unit noise `[N, C, h, w]` — e.g. each row's own seeded draw, so that a
    /// batch reproduces N single runs (DiffSynth's per-row seeds) while the denoiser sees all rows
    /// at once. Step noise of ancestral schedulers comes from `generator`, for the whole batch.
    public static func generateBatch(
        pipeline: any DiffusionPipeline, prompts: [String], negativePrompts: [String?], height: Int, width: Int,
        noise: Tensor, generator: inout TorchGenerator, steps: Int, guidanceScale: Float, onStep: ((SamplingProgress) -> Void)? = nil
    ) throws -> Tensor {
        try withNoGrad {
            let pair = try pipeline.encode(prompts: prompts, negativePrompts: negativePrompts, guidanceScale: guidanceScale)
            let schedule = pipeline.scheduler.schedule(steps: steps, context: pipeline.scheduleContext(height: height, width: width))
            let start = startingLatents(noise: noise, schedule: schedule, scheduler: pipeline.scheduler)
            return try sample(pipeline: pipeline, latents: start, prompts: pair, schedule: schedule, guidanceScale: guidanceScale,
                              generator: &generator, onStep: onStep)
        }
    }

    /// Text-to-image (or img2img with `initImage` latents) end to end without gradients:
    /// encode the prompts, draw the seeded noise, sample, and return the final latents.
    public static func generate(
        pipeline: any DiffusionPipeline, prompt: String, negativePrompt: String? = nil, height: Int, width: Int,
        seed: UInt64, steps: Int, guidanceScale: Float, strength: Float = 1, initImage: Tensor? = nil,
        shiftOverride: Float? = nil, onStep: ((SamplingProgress) -> Void)? = nil
    ) throws -> Tensor {
        try withNoGrad {
            let prompts = try pipeline.encode(prompt: prompt, negativePrompt: negativePrompt, guidanceScale: guidanceScale)
            var (noise, generator) = try pipeline.seededNoise(height: height, width: width, seed: seed)
            var context = pipeline.scheduleContext(height: height, width: width)
            context.strength = strength
            context.shiftOverride = shiftOverride ?? context.shiftOverride
            let schedule = pipeline.scheduler.schedule(steps: steps, context: context)
            let start = startingLatents(noise: noise, schedule: schedule, scheduler: pipeline.scheduler,
                                        image: try initImage.map { try pipeline.encode(image: $0) })
            return try sample(pipeline: pipeline, latents: start, prompts: prompts, schedule: schedule,
                              guidanceScale: guidanceScale, generator: &generator, onStep: onStep)
        }
    }
}

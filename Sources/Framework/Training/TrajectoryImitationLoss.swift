import Foundation

/// Trajectory imitation (DiffSynth-Studio's `TrajectoryImitationLoss`, `--task
/// trajectory_imitation`), for any family: the guided teacher is sampled at its many steps on a
/// grid that passes through the student's noise levels (``Schedule/snapped(to:)``), and each
/// student step is trained, from the teacher's latent at its level, to reach the teacher's latent
/// at the next level in one step.
///
/// Per sample and student step `k` (noise levels `σ_k → σ_{k+1}`, teacher latents `x_k`, `x_{k+1}`,
/// the last being the teacher's final latents):
///
///     x̂ = scheduler.step(student prediction at x_k, x_k, k)      // one student step
///     loss += w_k · mean(((x̂ − x_{k+1}) / (σ_{k+1} − σ_k))²)
///
/// For flow matching `x̂ = x_k + v·(σ_{k+1} − σ_k)`, so each term is exactly DiffSynth's
/// `mse(v, (x_{k+1} − x_k) / (σ_{k+1} − σ_k)) · training_weight(t_k)`; written through the
/// scheduler's step it means the same for ε- or v-predicting families. The denominator's magnitude
/// is clamped to ≥ 1e-6 as in DiffSynth. The weights are the scheduler's
/// ``Scheduler/stepWeights(for:)`` (DiffSynth's per-schedule training weights for flow matching).
///
/// Left out: DiffSynth adds an LPIPS distance (AlexNet, pretrained weights not available here)
/// between the decoded 8-step student result and the teacher's image. In DiffSynth that
/// student is run with detached predictions, so the term adds to the loss value but sends no
/// gradient to the student; leaving it out changes no update. Differences, all general-purpose:
/// teacher and student step counts and guidance come from the run (DiffSynth hard-codes 50 steps,
/// CFG 2, an 8-step student); the student's count may be a set, drawn per step.
///
/// The teacher's latents at the student's levels are computed once per (prompt, seed, student
/// count) without gradients and kept in memory (the teacher is frozen), so later epochs cost
/// only the student.
public struct TrajectoryImitationLoss: TrainingObjective {
    /// The frozen teacher: the student's family (its latents are the student's inputs).
    public let teacher: any DiffusionPipeline
    public let teacherSettings: SamplingSettings
    public let height: Int
    public let width: Int
    public var studentShift: DirectDistillLoss.StudentShift
    /// Seeds the per-step draw of the student's step count from a row's set.
    public var seed: UInt64
    private let trajectories = TrajectoryCache()

    public init(teacher: any DiffusionPipeline, teacherSettings: SamplingSettings, height: Int, width: Int,
                studentShift: DirectDistillLoss.StudentShift = .inference, seed: UInt64 = 0) {
        self.teacher = teacher
        self.teacherSettings = teacherSettings
        self.height = height
        self.width = width
        self.studentShift = studentShift
        self.seed = seed
    }

    public var name: String { "trajectory_imitation" }

    public func validate(_ sample: TrainingSample, pipeline: any DiffusionPipeline) throws {
        try DirectDistillLoss.requireReproducibleNoise(sample)
        let (t, s) = (teacher.descriptor, pipeline.descriptor)
        guard t.family == s.family, t.latentChannels == s.latentChannels else {
            throw TrajectoryImitationError.differentLatentSpace(teacher: t.family, student: s.family)
        }
        try teacher.validate(height: height, width: width)
        try pipeline.validate(height: height, width: width)
        for steps in sample.stepChoices ?? [] where snappedTeacherSchedule(studentSteps: steps, pipeline: pipeline) == nil {
            throw TrajectoryImitationError.tooFewTeacherSteps(row: sample.row.location, teacher: teacherSettings.steps, student: steps)
        }
    }

    /// The student's schedule for `steps` steps at the run's size and shift.
    public func studentSchedule(steps: Int, pipeline: any DiffusionPipeline) -> Schedule {
        var context = pipeline.scheduleContext(height: height, width: width)
        if case .fixed(let mu) = studentShift { context.shiftOverride = mu }
        return pipeline.scheduler.schedule(steps: steps, context: context)
    }

    /// The teacher's schedule snapped onto the student's levels, with the teacher step index of
    /// each student level (then the end); nil when the teacher has too few steps.
    public func snappedTeacherSchedule(studentSteps: Int, pipeline: any DiffusionPipeline) -> (schedule: Schedule, indices: [Int])? {
        let own = teacher.scheduler.schedule(steps: teacherSettings.steps, context: teacher.scheduleContext(height: height, width: width))
        return own.snapped(to: studentSchedule(steps: studentSteps, pipeline: pipeline))
    }

    /// The teacher's latents at each student level and its final latents (`steps + 1` tensors).
    public func teacherLatents(for sample: TrainingSample, studentSteps: Int, pipeline: any DiffusionPipeline) throws -> [Tensor] {
        let key = [sample.prompt, sample.negativePrompt ?? "\u{0}", String(sample.seed ?? 0), String(studentSteps)].joined(separator: "\u{1F}")
        if let cached = trajectories.values[key] { return cached }
        guard let (schedule, indices) = snappedTeacherSchedule(studentSteps: studentSteps, pipeline: pipeline) else {
            throw TrajectoryImitationError.tooFewTeacherSteps(row: sample.row.location, teacher: teacherSettings.steps, student: studentSteps)
        }
        let points = try withNoGrad { () -> [Tensor] in
            let prompts = try teacher.encode(prompt: sample.prompt, negativePrompt: sample.negativePrompt,
                                             guidanceScale: teacherSettings.guidanceScale)
            var (noise, generator) = try teacher.seededNoise(height: height, width: width, seed: sample.seed ?? 0)
            let start = Sampler.startingLatents(noise: noise, schedule: schedule, scheduler: teacher.scheduler)
            // trajectory[j] = the latents entering teacher step j; the last entry is the result.
            var trajectory = [start]
            _ = try Sampler.sample(pipeline: teacher, latents: start, prompts: prompts, schedule: schedule,
                                   guidanceScale: teacherSettings.guidanceScale, generator: &generator) { trajectory.append($0.latents) }
            return indices.map { trajectory[$0] }
        }
        trajectories.values[key] = points
        return points
    }

    public func loss(for sample: TrainingSample, step: Int, pipeline: any DiffusionPipeline, cache: TrainingCache) throws -> Tensor {
        try DirectDistillLoss.requireSeedAndSteps(sample)
        let steps = sample.studentSteps(atTrainingStep: step, seed: seed)!
        let points = try teacherLatents(for: sample, studentSteps: steps, pipeline: pipeline)
        let prompts = try cache.prompts(for: sample, guidanceScale: sample.guidanceScale, pipeline: pipeline)
        var generator = try pipeline.seededNoise(height: height, width: width, seed: sample.seed!).generator
        let terms = try Self.alignment(pipeline: pipeline, teacherLatents: points, schedule: studentSchedule(steps: steps, pipeline: pipeline),
                                       prompts: prompts, guidanceScale: sample.guidanceScale, generator: &generator)
        return terms.dropFirst().reduce(terms[0], +)
    }

    /// The weighted per-step terms of the loss, given the teacher's latents at the levels of
    /// `schedule` and its final latents (`schedule.steps + 1` tensors).
    public static func alignment(pipeline: any DiffusionPipeline, teacherLatents points: [Tensor], schedule: Schedule,
                                 prompts: PromptPair, guidanceScale: Float, generator: inout TorchGenerator) throws -> [Tensor] {
        precondition(points.count == schedule.steps + 1, "one teacher latent per student level and the final one")
        let scheduler = pipeline.scheduler
        let weights = scheduler.stepWeights(for: schedule)
        return try (0..<schedule.steps).map { k in
            let input = scheduler.scaleModelInput(points[k], step: k, in: schedule)
            let prediction = try Sampler.guidedPrediction(pipeline: pipeline, input: input, timestep: schedule.timesteps[k],
                                                          prompts: prompts, guidanceScale: guidanceScale)
            let noise = scheduler.needsStepNoise ? Tensor.randn(points[k].shape, generator: &generator) : nil
            let next = scheduler.step(prediction: prediction, sample: points[k], step: k, in: schedule, noise: noise)
            let delta = max(abs(schedule.sigmas[k + 1] - schedule.sigmas[k]), 1e-6)
            return next.mseLoss(points[k + 1]) * (weights[k] / (delta * delta))
        }
    }
}

/// The teacher's latents per (prompt, seed, student count), shared by copies of the objective.
private final class TrajectoryCache {
    var values: [String: [Tensor]] = [:]
}

/// Why trajectory imitation cannot run. Each case names what is at fault.
public enum TrajectoryImitationError: Error, CustomStringConvertible {
    case differentLatentSpace(teacher: String, student: String)
    case tooFewTeacherSteps(row: String, teacher: Int, student: Int)

    public var description: String {
        switch self {
        case .differentLatentSpace(let teacher, let student):
            return "trajectory imitation feeds the teacher's latents to the student, so both must share a latent space: the teacher is \(teacher), the student \(student) (use --task direct_distill_online across families)"
        case .tooFewTeacherSteps(let row, let teacher, let student):
            return "\(row): the teacher's \(teacher) steps cannot pass through all \(student) student levels; raise --teacher_steps"
        }
    }
}

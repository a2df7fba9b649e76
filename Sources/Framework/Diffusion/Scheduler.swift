/// What a denoiser's output means.
public enum PredictionType: String, Sendable, Codable {
    /// The added noise ε (SD 1.x/2.x/SDXL base).
    case epsilon
    /// v = α·ε − σ·x₀ (diffusers "v_prediction").
    case vPrediction = "v_prediction"
    /// Flow-matching velocity ε − x₀ (Qwen-Image, FLUX, SD3).
    case flowVelocity = "flow_velocity"
    /// The clean sample x₀.
    case sample
}

/// The noise levels and model timesteps of one sampling run: a pure value, computed once per
/// run and passed to every ``Scheduler`` call (no scheduler holds mutable state, so a teacher and
/// a student can sample side by side with different schedules).
public struct Schedule: Sendable, Equatable {
    /// Noise level before each step followed by the level after the last step (steps + 1 values).
    public let sigmas: [Float]
    /// The timestep given to the denoiser at each step, in the model's own convention
    /// (e.g. 0…1000), one per step.
    public let timesteps: [Float]
    /// What unit Gaussian noise is multiplied by to make the first sample (diffusers'
    /// `init_noise_sigma`; 1 for flow matching).
    public let initialNoiseScale: Float

    public init(sigmas: [Float], timesteps: [Float], initialNoiseScale: Float) {
        precondition(sigmas.count == timesteps.count + 1, "a schedule needs one more sigma than timesteps")
        self.sigmas = sigmas
        self.timesteps = timesteps
        self.initialNoiseScale = initialNoiseScale
    }

    /// Number of sampling steps.
    public var steps: Int { timesteps.count }

    /// This (many-step) schedule with its nearest step to each step of `coarse` moved onto that
    /// step's noise level and timestep, so that sampling it passes through every level of `coarse`
    /// exactly — how trajectory imitation samples the teacher "at the student's timesteps".
    ///
    /// DiffSynth-Studio's Z-Image schedule (`set_timesteps(target_timesteps=…)`) snaps the nearest
    /// *timestep* (by `argmin |t − t_student|`) and leaves its sigma as it was; here the sigma moves
    /// with it, so the teacher's latent at that step really is at the student's noise level, for
    /// any scheduler.
    ///
    /// - Returns: the snapped schedule and, for each step `k` of `coarse`, the index of the step
    ///   of this schedule that now starts at its level, followed by `steps` (the end); nil when
    ///   two steps of `coarse` would share one step here (this schedule has too few steps).
    public func snapped(to coarse: Schedule) -> (schedule: Schedule, indices: [Int])? {
        var sigmas = self.sigmas, timesteps = self.timesteps
        var indices: [Int] = []
        for k in 0..<coarse.steps {
            let target = coarse.timesteps[k]
            let j = timesteps.indices.min { abs(self.timesteps[$0] - target) < abs(self.timesteps[$1] - target) }!
            if let last = indices.last, j <= last { return nil }
            indices.append(j)
            sigmas[j] = coarse.sigmas[k]
            timesteps[j] = target
        }
        return (Schedule(sigmas: sigmas, timesteps: timesteps, initialNoiseScale: initialNoiseScale), indices + [steps])
    }
}

/// What a schedule may depend on besides the step count.
public struct ScheduleContext: Sendable, Equatable {
    /// Number of image tokens (latent patches), for resolution-dependent shifting.
    public var imageSequenceLength: Int?
    /// img2img strength in (0, 1]: 1 starts from pure noise.
    public var strength: Float
    /// A fixed shift `mu` that overrides the resolution-dependent one (DiffSynth's
    /// `exponential_shift_mu`; its training default is 0.8).
    public var shiftOverride: Float?

    public init(imageSequenceLength: Int? = nil, strength: Float = 1, shiftOverride: Float? = nil) {
        self.imageSequenceLength = imageSequenceLength
        self.strength = strength
        self.shiftOverride = shiftOverride
    }
}

/// One supervised training example derived from a clean latent and noise.
public struct TrainingExample {
    /// What the denoiser is given (already scaled as the model expects).
    public let modelInput: Tensor
    /// The timestep the denoiser is given.
    public let timestep: Float
    /// What the denoiser should predict.
    public let target: Tensor
    /// Weight of this example's loss (1 unless the scheduler defines a weighting).
    public let weight: Float

    public init(modelInput: Tensor, timestep: Float, target: Tensor, weight: Float) {
        self.modelInput = modelInput
        self.timestep = timestep
        self.target = target
        self.weight = weight
    }
}

/// A sampling and training schedule, as a pure value.
///
/// Every method is a function of its arguments: the schedule is computed once
/// (``schedule(steps:context:)``) and handed back in each call. ``step(prediction:sample:step:in:noise:)``
/// is built from tensor ops, so gradients flow through it when the student's sampling loop is
/// recorded.
public protocol Scheduler: Sendable {
    /// What the denoiser paired with this scheduler predicts.
    var predictionType: PredictionType { get }

    /// Sigmas and timesteps for `steps` sampling steps.
    func schedule(steps: Int, context: ScheduleContext) -> Schedule

    /// The denoiser's input at `step` (Euler schedulers divide by √(σ²+1); flow matching passes through).
    func scaleModelInput(_ sample: Tensor, step: Int, in schedule: Schedule) -> Tensor

    /// Whether ``step(prediction:sample:step:in:noise:)`` needs fresh noise (ancestral samplers).
    var needsStepNoise: Bool { get }

    /// The sample after `step`, from the denoiser's prediction (after guidance). `noise` is unit
    /// Gaussian noise of the sample's shape when ``needsStepNoise``, drawn by the caller from the
    /// run's seeded generator so runs are reproducible.
    func step(prediction: Tensor, sample: Tensor, step: Int, in schedule: Schedule, noise: Tensor?) -> Tensor

    /// The starting sample of an img2img run: `clean` noised to the level of `step`.
    func addNoise(to clean: Tensor, noise: Tensor, step: Int, in schedule: Schedule) -> Tensor

    /// Number of discrete training timesteps (diffusers' `num_train_timesteps`).
    var trainingTimestepCount: Int { get }

    /// A supervised example at training timestep `index` (0 = noisiest … count − 1 = cleanest
    /// for flow matching; the scheduler's own order for others, documented by each).
    func trainingExample(clean: Tensor, noise: Tensor, index: Int) -> TrainingExample

    /// Loss weights of the steps of `schedule` when each step is trained on its own (trajectory
    /// imitation), one per step. Default: 1 for every step.
    func stepWeights(for schedule: Schedule) -> [Float]
}

extension Scheduler {
    public func stepWeights(for schedule: Schedule) -> [Float] { Array(repeating: 1, count: schedule.steps) }
}

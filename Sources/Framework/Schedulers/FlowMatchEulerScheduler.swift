import Foundation

/// Flow-matching Euler sampling and training (diffusers' `FlowMatchEulerDiscreteScheduler`, driven
/// as `QwenImagePipeline` drives it; DiffSynth-Studio's `FlowMatchScheduler` for training).
///
/// The forward process is `x_σ = (1 − σ)·x₀ + σ·ε` and the model predicts the velocity `ε − x₀`.
///
/// * Sampling sigmas: `np.linspace(1, 1/N, N)` → shift by `mu` (or the fixed `shift`) → stretch to
///   `shift_terminal` → timesteps `1000·σ` → a final sigma 0. `mu` is
///   ``ScheduleContext/shiftOverride`` when set, else interpolated from
///   ``ScheduleContext/imageSequenceLength`` between the configured base and max shifts (the
///   pipeline's `calculate_shift`), else ``trainingMu`` (DiffSynth's fallback).
/// * img2img (strength s < 1) follows DiffSynth-Studio rather than diffusers: the unshifted sigmas
///   are `torch.linspace(s, 0, N + 1)[:-1]`, then shifted and stretched as above, so the run keeps
///   N steps and still ends at `shift_terminal`. (diffusers' img2img pipeline instead drops the
///   first `N − int(N·s)` steps of the full schedule.)
/// * Training (DiffSynth's `FlowMatchSFTLoss`): a table of ``trainingTimestepCount`` sigmas computed
///   like a sampling schedule of that many steps with `mu = trainingMu`; example `i` is noised to
///   `σᵢ` and weighted by DiffSynth's bell-shaped training weight.
public struct FlowMatchEulerScheduler: Scheduler {
    /// The diffusers configuration this scheduler was built from.
    public let configuration: FlowMatchEulerConfiguration
    /// The shift `mu` of the training table and the fallback for sampling without an image size
    /// (DiffSynth-Studio uses 0.8 for both).
    public let trainingMu: Double
    /// Sigma of each training index, noisiest first (``trainingTimestepCount`` values).
    public let trainingSigmas: [Float]
    /// Timestep of each training index (`1000·σ` in float32).
    public let trainingTimesteps: [Float]
    /// Loss weight of each training index (DiffSynth's `linear_timesteps_weights`; mean 1).
    public let trainingWeights: [Float]

    /// The scheduler of `config`.
    ///
    /// - Parameter trainingMu: see ``trainingMu``.
    /// - Throws: ``SchedulerConfigurationError`` naming the key of an unsupported or unusable setting.
    public init(config: FlowMatchEulerConfiguration, trainingMu: Double = 0.8) throws {
        try config.validate()
        self.init(validated: config, trainingMu: trainingMu)
    }

    private init(validated config: FlowMatchEulerConfiguration, trainingMu: Double) {
        configuration = config
        self.trainingMu = trainingMu
        let table = Self.sigmas(config, steps: config.numTrainTimesteps, strength: 1, mu: trainingMu)
        trainingSigmas = table
        trainingTimesteps = table.map { $0 * Float(config.numTrainTimesteps) }
        trainingWeights = Self.trainingWeights(timesteps: trainingTimesteps)
    }

    /// Qwen-Image's scheduler (``FlowMatchEulerConfiguration/qwenImage``, training mu 0.8).
    public static let qwenImage = FlowMatchEulerScheduler(validated: .qwenImage, trainingMu: 0.8)

    /// Velocity `ε − x₀`.
    public var predictionType: PredictionType { .flowVelocity }
    /// False: the flow ODE step is deterministic.
    public var needsStepNoise: Bool { false }
    /// `num_train_timesteps` (1000): the length of the training table.
    public var trainingTimestepCount: Int { configuration.numTrainTimesteps }

    /// The shift `mu` a schedule uses in `context` (see the type's discussion); only dynamic
    /// shifting reads it, the fixed `shift` ignores it as diffusers does.
    public func mu(for context: ScheduleContext) -> Double {
        if let override = context.shiftOverride { return ScheduleMath.decimal(override) }
        guard let length = context.imageSequenceLength else { return trainingMu }
        // diffusers' calculate_shift, in float64 like the pipeline.
        let c = configuration
        let slope = (c.maxShift - c.baseShift) / Double(c.maxImageSequenceLength - c.baseImageSequenceLength)
        let intercept = c.baseShift - slope * Double(c.baseImageSequenceLength)
        return Double(length) * slope + intercept
    }

    /// Sigmas `σ₀ … σ_{N−1}`, then 0; timesteps `1000·σᵢ`; initial noise scale 1.
    ///
    /// With one step and strength 1 the terminal stretch would divide 0 by 0 (diffusers returns NaN);
    /// the stretch is skipped there and the single sigma is 1.
    public func schedule(steps: Int, context: ScheduleContext) -> Schedule {
        precondition(steps >= 1, "a schedule needs at least one step")
        precondition(context.strength > 0 && context.strength <= 1, "strength must be in (0, 1], got \(context.strength)")
        let sigmas = Self.sigmas(configuration, steps: steps, strength: context.strength, mu: mu(for: context))
        let scale = Float(configuration.numTrainTimesteps)
        return Schedule(sigmas: sigmas + [0], timesteps: sigmas.map { $0 * scale }, initialNoiseScale: 1)
    }

    /// The sample unchanged: flow-matching models take the noisy sample as it is.
    public func scaleModelInput(_ sample: Tensor, step: Int, in schedule: Schedule) -> Tensor {
        sample
    }

    /// Explicit Euler on the flow ODE: `x + v·(σ_next − σ)`.
    public func step(prediction: Tensor, sample: Tensor, step: Int, in schedule: Schedule, noise: Tensor?) -> Tensor {
        let dt = schedule.sigmas[step + 1] - schedule.sigmas[step]
        return sample + prediction * dt
    }

    /// `(1 − σ)·x₀ + σ·ε` at the sigma of `step` (diffusers' `scale_noise`).
    public func addNoise(to clean: Tensor, noise: Tensor, step: Int, in schedule: Schedule) -> Tensor {
        let sigma = schedule.sigmas[step]
        return noise * sigma + clean * (1 - sigma)
    }

    /// Training index `index` (0 = noisiest, σ = 1): input `(1 − σ)·x₀ + σ·ε`, timestep `1000·σ`,
    /// target `ε − x₀`, weight from ``trainingWeights``.
    public func trainingExample(clean: Tensor, noise: Tensor, index: Int) -> TrainingExample {
        let sigma = trainingSigmas[index]
        return TrainingExample(
            modelInput: clean * (1 - sigma) + noise * sigma,
            timestep: trainingTimesteps[index],
            target: noise - clean,
            weight: trainingWeights[index]
        )
    }

    /// DiffSynth-Studio's `set_timesteps(N, training=True)` weights over the schedule's own
    /// timesteps (its "empirical" rescale for tables other than 1000 long), as its
    /// `TrajectoryImitationLoss` applies them per student step. One step gets weight 1: there
    /// the bell minus its minimum is 0 everywhere and DiffSynth's formula divides 0 by 0 (NaN).
    public func stepWeights(for schedule: Schedule) -> [Float] {
        schedule.steps == 1 ? [1] : Self.trainingWeights(timesteps: schedule.timesteps)
    }

    // MARK: - Tables

    /// The N sampling sigmas (without the final 0), in diffusers' float32 arithmetic.
    static func sigmas(_ config: FlowMatchEulerConfiguration, steps: Int, strength: Float, mu: Double) -> [Float] {
        // The pipeline passes float64 sigmas, which set_timesteps converts to float32 first; every
        // later operation is float32 (numpy treats the Python scalars as float32 too).
        let base: [Float] = strength == 1
            ? ScheduleMath.numpyLinspace(1, 1 / Double(steps), count: steps).map { Float($0) }
            : Array(ScheduleMath.torchLinspace(strength, 0, count: steps + 1).dropLast())
        var sigmas: [Float]
        if config.useDynamicShifting {
            let m = Float(config.timeShiftType == .exponential ? Foundation.exp(mu) : mu)
            sigmas = base.map { m / (m + (1 / $0 - 1)) }
        } else {
            let shift = Float(config.shift)
            let shiftMinusOne = Float(config.shift - 1)
            sigmas = base.map { shift * $0 / (1 + shiftMinusOne * $0) }
        }
        if let terminal = config.shiftTerminal, terminal != 0, let last = sigmas.last, last != 1 {
            let scale = (1 - last) / Float(1 - terminal)
            sigmas = sigmas.map { 1 - (1 - $0) / scale }
        }
        return sigmas
    }

    /// DiffSynth-Studio's `set_training_weight`: a Gaussian bell over the timestep, minus its
    /// minimum, scaled to mean 1 over a 1000-entry table (with DiffSynth's "empirical" rescale for
    /// tables of other lengths). Computed in float64 and rounded once; DiffSynth's float32
    /// arithmetic agrees to a few 1e-7.
    static func trainingWeights(timesteps: [Float]) -> [Float] {
        let steps = 1000.0
        let bell = timesteps.map { t -> Double in
            let x = (Double(t) - steps / 2) / steps
            return Foundation.exp(-2 * x * x)
        }
        let floor = bell.min() ?? 0
        let shifted = bell.map { $0 - floor }
        let total = shifted.reduce(0, +)
        var weights = shifted.map { total > 0 ? $0 * (steps / total) : 0 }
        if weights.count != 1000 {
            weights = weights.map { $0 * (Double(timesteps.count) / steps) }
            let offset = weights.count > 1 ? weights[1] : 0
            weights = weights.map { $0 + offset }
        }
        return weights.map { Float($0) }
    }
}

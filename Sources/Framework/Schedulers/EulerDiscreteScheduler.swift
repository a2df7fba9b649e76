import Foundation

/// Deterministic Euler sampling on the Karras ODE (diffusers' `EulerDiscreteScheduler` with
/// `s_churn = 0`), with DDPM training examples; SDXL base ships with it.
///
/// The sample lives in "Euler space", `x = x₀ + σ·ε`; the denoiser sees `x / √(σ² + 1)`
/// (``scaleModelInput(_:step:in:)``) and its output is read as ε or v per the prediction type.
/// Training index `i` is the integer timestep `t = i` (0 = cleanest … T − 1 = noisiest), with the
/// DDPM input a diffusers training script builds (``trainingExample(clean:noise:index:)``).
public struct EulerDiscreteScheduler: Scheduler {
    /// The diffusers configuration this scheduler was built from.
    public let configuration: EulerDiscreteConfiguration
    /// Betas, cumulative alphas and sigmas of the training timesteps.
    public let noiseTable: DiscreteNoiseTable

    /// The scheduler of `config`.
    ///
    /// - Throws: ``SchedulerConfigurationError`` naming the key of an unsupported setting.
    public init(config: EulerDiscreteConfiguration) throws {
        try config.validate(ancestral: false)
        self.init(validated: config)
    }

    private init(validated config: EulerDiscreteConfiguration) {
        configuration = config
        noiseTable = DiscreteNoiseTable(config)
    }

    /// SDXL base 1.0's scheduler (``EulerDiscreteConfiguration/sdxlBase``).
    public static let sdxlBase = EulerDiscreteScheduler(validated: .sdxlBase)

    /// `prediction_type`: epsilon or v-prediction.
    public var predictionType: PredictionType { configuration.predictionType }
    /// False: `s_churn` is 0, so steps are deterministic.
    public var needsStepNoise: Bool { false }
    /// `num_train_timesteps`: training indices are the timesteps 0 … T − 1.
    public var trainingTimestepCount: Int { configuration.numTrainTimesteps }

    /// Timesteps of the configured spacing, sigmas interpolated from the training table, a final
    /// sigma (0, or σ(0) for `final_sigmas_type` "sigma_min"), diffusers' `init_noise_sigma`.
    /// Strength < 1 drops the first `N − int(N·strength)` steps, as diffusers' img2img does.
    public func schedule(steps: Int, context: ScheduleContext) -> Schedule {
        let finalSigma: Float = configuration.finalSigmasType == .zero ? 0 : noiseTable.sigmas[0]
        return noiseTable.schedule(
            steps: steps, context: context, spacing: configuration.timestepSpacing,
            offset: configuration.stepsOffset, finalSigma: finalSigma
        )
    }

    /// `x / √(σ² + 1)`: the DDPM-scaled input the denoiser was trained on.
    public func scaleModelInput(_ sample: Tensor, step: Int, in schedule: Schedule) -> Tensor {
        let sigma = schedule.sigmas[step]
        return sample / (sigma * sigma + 1).squareRoot()
    }

    /// One Euler step: the clean estimate `x₀` from the prediction, the slope `(x − x₀)/σ`, then
    /// `x + slope·(σ_next − σ)` (at σ_next = 0 that is `x₀`). Same operation order as diffusers.
    public func step(prediction: Tensor, sample: Tensor, step: Int, in schedule: Schedule, noise: Tensor?) -> Tensor {
        let sigma = schedule.sigmas[step]
        let clean = Self.cleanEstimate(prediction: prediction, sample: sample, sigma: sigma, type: predictionType)
        let slope = (sample - clean) / sigma
        return sample + slope * (schedule.sigmas[step + 1] - sigma)
    }

    /// `x₀ + σ·ε` at the sigma of `step` (unscaled Euler space, like diffusers' `add_noise`).
    public func addNoise(to clean: Tensor, noise: Tensor, step: Int, in schedule: Schedule) -> Tensor {
        clean + noise * schedule.sigmas[step]
    }

    /// The DDPM example at timestep `t = index` (0 = cleanest): input `√ᾱ·x₀ + √(1−ᾱ)·ε` (the
    /// scaled model input of `x₀ + σ·ε`), target ε or `√ᾱ·ε − √(1−ᾱ)·x₀`, weight 1.
    public func trainingExample(clean: Tensor, noise: Tensor, index: Int) -> TrainingExample {
        noiseTable.trainingExample(clean: clean, noise: noise, timestep: index, prediction: predictionType)
    }

    /// diffusers' `pred_original_sample` for epsilon and v-prediction outputs at noise level `sigma`.
    static func cleanEstimate(prediction: Tensor, sample: Tensor, sigma: Float, type: PredictionType) -> Tensor {
        switch type {
        case .epsilon:
            return sample - prediction * sigma
        case .vPrediction:
            let variance = sigma * sigma + 1
            return prediction * (-sigma / variance.squareRoot()) + sample / variance
        case .flowVelocity, .sample:
            preconditionFailure("Euler schedulers support epsilon and v_prediction, not \(type.rawValue)")
        }
    }
}

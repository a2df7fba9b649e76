import Foundation

/// Ancestral Euler sampling (diffusers' `EulerAncestralDiscreteScheduler`): each step goes down to
/// `σ_down` deterministically and adds fresh noise of size `σ_up`; SDXL-Turbo ships with it.
///
/// Schedules, input scaling, `addNoise` and training examples are those of
/// ``EulerDiscreteScheduler`` (always linear interpolation and a final sigma 0: the ancestral
/// class has no such options). Every step, the last included, consumes one unit-Gaussian tensor
/// of the sample's shape — at the last step `σ_up = 0`, but diffusers still draws it, so the
/// generator stays in step with diffusers for whatever is drawn next.
public struct EulerAncestralScheduler: Scheduler {
    /// The diffusers configuration this scheduler was built from (interpolation, final-sigma and
    /// alternative-sigma keys are ignored, as diffusers' ancestral class does).
    public let configuration: EulerDiscreteConfiguration
    /// Betas, cumulative alphas and sigmas of the training timesteps.
    public let noiseTable: DiscreteNoiseTable

    /// The scheduler of `config`.
    ///
    /// - Throws: ``SchedulerConfigurationError`` naming the key of an unsupported setting.
    public init(config: EulerDiscreteConfiguration) throws {
        try config.validate(ancestral: true)
        self.init(validated: config)
    }

    private init(validated config: EulerDiscreteConfiguration) {
        configuration = config
        noiseTable = DiscreteNoiseTable(config)
    }

    /// SDXL-Turbo's scheduler (``EulerDiscreteConfiguration/sdxlTurbo``: trailing spacing).
    public static let sdxlTurbo = EulerAncestralScheduler(validated: .sdxlTurbo)

    /// `prediction_type`: epsilon or v-prediction.
    public var predictionType: PredictionType { configuration.predictionType }
    /// True: every step adds fresh noise (see the type's discussion).
    public var needsStepNoise: Bool { true }
    /// `num_train_timesteps`: training indices are the timesteps 0 … T − 1.
    public var trainingTimestepCount: Int { configuration.numTrainTimesteps }

    /// As ``EulerDiscreteScheduler/schedule(steps:context:)`` with a final sigma 0.
    public func schedule(steps: Int, context: ScheduleContext) -> Schedule {
        noiseTable.schedule(
            steps: steps, context: context, spacing: configuration.timestepSpacing,
            offset: configuration.stepsOffset, finalSigma: 0
        )
    }

    /// `x / √(σ² + 1)`.
    public func scaleModelInput(_ sample: Tensor, step: Int, in schedule: Schedule) -> Tensor {
        let sigma = schedule.sigmas[step]
        return sample / (sigma * sigma + 1).squareRoot()
    }

    /// `x + (x − x₀)/σ·(σ_down − σ) + σ_up·noise` with `σ_up = √(σ_next²(σ² − σ_next²)/σ²)` and
    /// `σ_down = √(σ_next² − σ_up²)`, in diffusers' operation order. `noise` is required at every
    /// step.
    public func step(prediction: Tensor, sample: Tensor, step: Int, in schedule: Schedule, noise: Tensor?) -> Tensor {
        guard let noise else {
            preconditionFailure("EulerAncestralScheduler.step needs unit Gaussian noise at every step, the last included")
        }
        let sigma = schedule.sigmas[step]
        let next = schedule.sigmas[step + 1]
        let sigmaUp = (next * next * (sigma * sigma - next * next) / (sigma * sigma)).squareRoot()
        let sigmaDown = (next * next - sigmaUp * sigmaUp).squareRoot()
        let clean = EulerDiscreteScheduler.cleanEstimate(prediction: prediction, sample: sample, sigma: sigma, type: predictionType)
        let slope = (sample - clean) / sigma
        return sample + slope * (sigmaDown - sigma) + noise * sigmaUp
    }

    /// `x₀ + σ·ε` at the sigma of `step`.
    public func addNoise(to clean: Tensor, noise: Tensor, step: Int, in schedule: Schedule) -> Tensor {
        clean + noise * schedule.sigmas[step]
    }

    /// The DDPM example at timestep `t = index` (see ``EulerDiscreteScheduler/trainingExample(clean:noise:index:)``).
    public func trainingExample(clean: Tensor, noise: Tensor, index: Int) -> TrainingExample {
        noiseTable.trainingExample(clean: clean, noise: noise, timestep: index, prediction: predictionType)
    }
}

import Foundation

/// The settings of diffusers' `EulerDiscreteScheduler` and `EulerAncestralDiscreteScheduler`, as
/// stored in a `scheduler_config.json` (snake_case keys; keys left out take diffusers' constructor
/// defaults, which the two classes share).
///
/// The ancestral class has no `interpolation_type`, `final_sigmas_type`, alternative-sigma or
/// `timestep_type` parameters; like diffusers, ``EulerAncestralScheduler`` ignores those keys.
/// Keys of neither class (`clip_sample`, `skip_prk_steps`, … left over from other schedulers in
/// shipped files) are ignored too.
public struct EulerDiscreteConfiguration: Codable, Sendable, Equatable {
    /// How the training betas grow with the timestep.
    public enum BetaSchedule: String, Codable, Sendable, CaseIterable {
        /// `linspace(beta_start, beta_end)`.
        case linear
        /// `linspace(√beta_start, √beta_end)²` (Stable Diffusion).
        case scaledLinear = "scaled_linear"
        /// The Glide cosine schedule (not supported).
        case squaredcosCapV2 = "squaredcos_cap_v2"
    }

    /// Where the N sampling timesteps sit among the training timesteps.
    public enum TimestepSpacing: String, Codable, Sendable, CaseIterable {
        /// `linspace(0, T − 1, N)` reversed (fractional timesteps; ends at 0).
        case linspace
        /// `i·(T // N)` reversed, plus `steps_offset` (SDXL base: 981 … 1).
        case leading
        /// `round(T − i·T/N) − 1` (SDXL-Turbo: starts at T − 1).
        case trailing
    }

    /// How sigmas between training timesteps are found.
    public enum InterpolationType: String, Codable, Sendable, CaseIterable {
        /// `np.interp` over the training sigma table.
        case linear
        /// Log-linear spacing between the extreme sigmas (not supported).
        case logLinear = "log_linear"
    }

    /// The sigma after the last step.
    public enum FinalSigmasType: String, Codable, Sendable, CaseIterable {
        /// 0: the last step returns the clean estimate.
        case zero
        /// The smallest training sigma, σ(t = 0).
        case sigmaMin = "sigma_min"
    }

    /// What the model is given as its timestep.
    public enum TimestepType: String, Codable, Sendable, CaseIterable {
        /// The (possibly fractional) training timestep.
        case discrete
        /// `0.25·log σ` for v-prediction models (not supported).
        case continuous
    }

    /// `num_train_timesteps` (default 1000).
    public var numTrainTimesteps: Int
    /// `beta_start` (default 0.0001).
    public var betaStart: Double
    /// `beta_end` (default 0.02).
    public var betaEnd: Double
    /// `beta_schedule` (default linear).
    public var betaSchedule: BetaSchedule
    /// `trained_betas`: explicit betas that replace the schedule (default none).
    public var trainedBetas: [Double]?
    /// `prediction_type`: epsilon or v_prediction (default epsilon; `"original_sample"` reads as
    /// ``PredictionType/sample``, which these schedulers reject).
    public var predictionType: PredictionType
    /// `interpolation_type` (default linear; Euler discrete only).
    public var interpolationType: InterpolationType
    /// `use_karras_sigmas` (default false; Euler discrete only; not supported).
    public var useKarrasSigmas: Bool
    /// `use_exponential_sigmas` (default false; Euler discrete only; not supported).
    public var useExponentialSigmas: Bool
    /// `use_beta_sigmas` (default false; Euler discrete only; not supported).
    public var useBetaSigmas: Bool
    /// `timestep_spacing` (default linspace).
    public var timestepSpacing: TimestepSpacing
    /// `timestep_type` (default discrete; Euler discrete only).
    public var timestepType: TimestepType
    /// `steps_offset`: added to leading timesteps (default 0).
    public var stepsOffset: Int
    /// `rescale_betas_zero_snr` (default false; not supported).
    public var rescaleBetasZeroSNR: Bool
    /// `final_sigmas_type` (default zero; Euler discrete only).
    public var finalSigmasType: FinalSigmasType

    /// A configuration with diffusers' defaults for every key not given.
    public init(
        numTrainTimesteps: Int = 1000, betaStart: Double = 0.0001, betaEnd: Double = 0.02,
        betaSchedule: BetaSchedule = .linear, trainedBetas: [Double]? = nil,
        predictionType: PredictionType = .epsilon, interpolationType: InterpolationType = .linear,
        useKarrasSigmas: Bool = false, useExponentialSigmas: Bool = false, useBetaSigmas: Bool = false,
        timestepSpacing: TimestepSpacing = .linspace, timestepType: TimestepType = .discrete,
        stepsOffset: Int = 0, rescaleBetasZeroSNR: Bool = false, finalSigmasType: FinalSigmasType = .zero
    ) {
        self.numTrainTimesteps = numTrainTimesteps
        self.betaStart = betaStart
        self.betaEnd = betaEnd
        self.betaSchedule = betaSchedule
        self.trainedBetas = trainedBetas
        self.predictionType = predictionType
        self.interpolationType = interpolationType
        self.useKarrasSigmas = useKarrasSigmas
        self.useExponentialSigmas = useExponentialSigmas
        self.useBetaSigmas = useBetaSigmas
        self.timestepSpacing = timestepSpacing
        self.timestepType = timestepType
        self.stepsOffset = stepsOffset
        self.rescaleBetasZeroSNR = rescaleBetasZeroSNR
        self.finalSigmasType = finalSigmasType
    }

    /// `stabilityai/stable-diffusion-xl-base-1.0` `scheduler/scheduler_config.json`:
    /// scaled-linear betas 0.00085 … 0.012, leading spacing with offset 1, epsilon.
    public static let sdxlBase = EulerDiscreteConfiguration(
        betaStart: 0.00085, betaEnd: 0.012, betaSchedule: .scaledLinear, timestepSpacing: .leading, stepsOffset: 1
    )

    /// `stabilityai/sdxl-turbo` `scheduler/scheduler_config.json` (an Euler ancestral config): the
    /// SDXL betas with trailing spacing, so one step starts at timestep 999.
    public static let sdxlTurbo = EulerDiscreteConfiguration(
        betaStart: 0.00085, betaEnd: 0.012, betaSchedule: .scaledLinear, timestepSpacing: .trailing, stepsOffset: 1
    )

    enum CodingKeys: String, CodingKey {
        case numTrainTimesteps = "num_train_timesteps"
        case betaStart = "beta_start"
        case betaEnd = "beta_end"
        case betaSchedule = "beta_schedule"
        case trainedBetas = "trained_betas"
        case predictionType = "prediction_type"
        case interpolationType = "interpolation_type"
        case useKarrasSigmas = "use_karras_sigmas"
        case useExponentialSigmas = "use_exponential_sigmas"
        case useBetaSigmas = "use_beta_sigmas"
        case timestepSpacing = "timestep_spacing"
        case timestepType = "timestep_type"
        case stepsOffset = "steps_offset"
        case rescaleBetasZeroSNR = "rescale_betas_zero_snr"
        case finalSigmasType = "final_sigmas_type"
    }

    /// Decodes a `scheduler_config.json` object: missing or `null` keys take diffusers' defaults,
    /// other keys (`_class_name`, `_diffusers_version`, other schedulers' settings) are ignored.
    ///
    /// - Throws: ``SchedulerConfigurationError`` naming the key of a malformed value.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = EulerDiscreteConfiguration()
        numTrainTimesteps = try c.value(.numTrainTimesteps, default: d.numTrainTimesteps)
        betaStart = try c.value(.betaStart, default: d.betaStart)
        betaEnd = try c.value(.betaEnd, default: d.betaEnd)
        betaSchedule = try c.choice(.betaSchedule, default: d.betaSchedule)
        trainedBetas = try c.optionalValue(.trainedBetas)
        let prediction: String = try c.value(.predictionType, default: d.predictionType.rawValue)
        // diffusers spells the clean-sample prediction both ways.
        guard let parsed = prediction == "original_sample" ? .sample : PredictionType(rawValue: prediction) else {
            throw SchedulerConfigurationError(
                key: CodingKeys.predictionType.rawValue,
                reason: "unknown value \"\(prediction)\" (expected \"epsilon\" or \"v_prediction\")"
            )
        }
        predictionType = parsed
        interpolationType = try c.choice(.interpolationType, default: d.interpolationType)
        useKarrasSigmas = try c.value(.useKarrasSigmas, default: d.useKarrasSigmas)
        useExponentialSigmas = try c.value(.useExponentialSigmas, default: d.useExponentialSigmas)
        useBetaSigmas = try c.value(.useBetaSigmas, default: d.useBetaSigmas)
        timestepSpacing = try c.choice(.timestepSpacing, default: d.timestepSpacing)
        timestepType = try c.choice(.timestepType, default: d.timestepType)
        stepsOffset = try c.value(.stepsOffset, default: d.stepsOffset)
        rescaleBetasZeroSNR = try c.value(.rescaleBetasZeroSNR, default: d.rescaleBetasZeroSNR)
        finalSigmasType = try c.choice(.finalSigmasType, default: d.finalSigmasType)
    }

    /// Throws for settings that one of the two Euler schedulers does not implement.
    ///
    /// - Parameter ancestral: check only the keys `EulerAncestralDiscreteScheduler` reads.
    func validate(ancestral: Bool) throws {
        func fail(_ key: CodingKeys, _ reason: String) -> SchedulerConfigurationError {
            SchedulerConfigurationError(key: key.rawValue, reason: reason)
        }
        let scheduler = ancestral ? "EulerAncestralScheduler" : "EulerDiscreteScheduler"
        if numTrainTimesteps < 2 { throw fail(.numTrainTimesteps, "must be at least 2, got \(numTrainTimesteps)") }
        if let trainedBetas {
            if trainedBetas.count != numTrainTimesteps {
                throw fail(.trainedBetas, "has \(trainedBetas.count) values for \(numTrainTimesteps) training timesteps")
            }
        } else if betaSchedule == .squaredcosCapV2 {
            throw fail(.betaSchedule, "\"\(betaSchedule.rawValue)\" is not supported (use \"linear\" or \"scaled_linear\")")
        }
        if predictionType != .epsilon && predictionType != .vPrediction {
            throw fail(.predictionType, "\"\(predictionType.rawValue)\" is not supported by \(scheduler) (use \"epsilon\" or \"v_prediction\")")
        }
        if rescaleBetasZeroSNR { throw fail(.rescaleBetasZeroSNR, "true is not supported by \(scheduler)") }
        if stepsOffset < 0 { throw fail(.stepsOffset, "must not be negative, got \(stepsOffset)") }
        guard !ancestral else { return }
        if interpolationType != .linear {
            throw fail(.interpolationType, "\"\(interpolationType.rawValue)\" is not supported (use \"linear\")")
        }
        for (flag, key) in [(useKarrasSigmas, CodingKeys.useKarrasSigmas), (useExponentialSigmas, .useExponentialSigmas),
                            (useBetaSigmas, .useBetaSigmas)] where flag {
            throw fail(key, "true is not supported by \(scheduler)")
        }
        // diffusers only uses continuous timesteps together with v-prediction.
        if timestepType == .continuous && predictionType == .vPrediction {
            throw fail(.timestepType, "\"continuous\" with v_prediction is not supported")
        }
    }
}

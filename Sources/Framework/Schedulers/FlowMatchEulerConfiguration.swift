import Foundation

/// The settings of diffusers' `FlowMatchEulerDiscreteScheduler`, as stored in a
/// `scheduler_config.json` (snake_case keys; keys left out take diffusers' constructor defaults).
///
/// Every key diffusers accepts is decoded, so a configuration round-trips; the ones this port does
/// not implement (Karras/exponential/beta sigmas, inverted sigmas, stochastic sampling) are
/// rejected by ``FlowMatchEulerScheduler/init(config:trainingMu:)`` rather than ignored.
public struct FlowMatchEulerConfiguration: Codable, Sendable, Equatable {
    /// How the resolution-dependent shift `mu` bends the sigmas.
    public enum TimeShiftType: String, Codable, Sendable, CaseIterable {
        /// σ' = eᵘ / (eᵘ + (1/σ − 1)) (Qwen-Image, FLUX).
        case exponential
        /// σ' = μ / (μ + (1/σ − 1)).
        case linear
    }

    /// `num_train_timesteps`: timesteps are sigmas times this (default 1000).
    public var numTrainTimesteps: Int
    /// `shift`: the fixed shift σ' = sσ / (1 + (s − 1)σ) used when dynamic shifting is off (default 1).
    public var shift: Double
    /// `use_dynamic_shifting`: shift by `mu` derived from the image token count (default false).
    public var useDynamicShifting: Bool
    /// `base_shift`: `mu` at `base_image_seq_len` tokens (default 0.5).
    public var baseShift: Double
    /// `max_shift`: `mu` at `max_image_seq_len` tokens (default 1.15).
    public var maxShift: Double
    /// `base_image_seq_len` (default 256).
    public var baseImageSequenceLength: Int
    /// `max_image_seq_len` (default 4096).
    public var maxImageSequenceLength: Int
    /// `invert_sigmas` (Mochi only; default false; not supported).
    public var invertSigmas: Bool
    /// `shift_terminal`: stretch the shifted sigmas so the last one equals this (default none).
    public var shiftTerminal: Double?
    /// `use_karras_sigmas` (default false; not supported).
    public var useKarrasSigmas: Bool
    /// `use_exponential_sigmas` (default false; not supported).
    public var useExponentialSigmas: Bool
    /// `use_beta_sigmas` (default false; not supported).
    public var useBetaSigmas: Bool
    /// `time_shift_type` (default exponential).
    public var timeShiftType: TimeShiftType
    /// `stochastic_sampling` (default false; not supported).
    public var stochasticSampling: Bool

    /// A configuration with diffusers' defaults for every key not given.
    public init(
        numTrainTimesteps: Int = 1000, shift: Double = 1, useDynamicShifting: Bool = false,
        baseShift: Double = 0.5, maxShift: Double = 1.15,
        baseImageSequenceLength: Int = 256, maxImageSequenceLength: Int = 4096,
        invertSigmas: Bool = false, shiftTerminal: Double? = nil,
        useKarrasSigmas: Bool = false, useExponentialSigmas: Bool = false, useBetaSigmas: Bool = false,
        timeShiftType: TimeShiftType = .exponential, stochasticSampling: Bool = false
    ) {
        self.numTrainTimesteps = numTrainTimesteps
        self.shift = shift
        self.useDynamicShifting = useDynamicShifting
        self.baseShift = baseShift
        self.maxShift = maxShift
        self.baseImageSequenceLength = baseImageSequenceLength
        self.maxImageSequenceLength = maxImageSequenceLength
        self.invertSigmas = invertSigmas
        self.shiftTerminal = shiftTerminal
        self.useKarrasSigmas = useKarrasSigmas
        self.useExponentialSigmas = useExponentialSigmas
        self.useBetaSigmas = useBetaSigmas
        self.timeShiftType = timeShiftType
        self.stochasticSampling = stochasticSampling
    }

    /// `Qwen/Qwen-Image` `scheduler/scheduler_config.json`: dynamic exponential shift with
    /// mu from 0.5 (256 tokens) to 0.9 (8192 tokens), stretched to end at sigma 0.02.
    public static let qwenImage = FlowMatchEulerConfiguration(
        useDynamicShifting: true, baseShift: 0.5, maxShift: 0.9,
        baseImageSequenceLength: 256, maxImageSequenceLength: 8192,
        shiftTerminal: 0.02, timeShiftType: .exponential
    )

    enum CodingKeys: String, CodingKey {
        case numTrainTimesteps = "num_train_timesteps"
        case shift
        case useDynamicShifting = "use_dynamic_shifting"
        case baseShift = "base_shift"
        case maxShift = "max_shift"
        case baseImageSequenceLength = "base_image_seq_len"
        case maxImageSequenceLength = "max_image_seq_len"
        case invertSigmas = "invert_sigmas"
        case shiftTerminal = "shift_terminal"
        case useKarrasSigmas = "use_karras_sigmas"
        case useExponentialSigmas = "use_exponential_sigmas"
        case useBetaSigmas = "use_beta_sigmas"
        case timeShiftType = "time_shift_type"
        case stochasticSampling = "stochastic_sampling"
    }

    /// Decodes a `scheduler_config.json` object: missing or `null` keys take diffusers' defaults,
    /// other keys (`_class_name`, `_diffusers_version`, other schedulers' settings) are ignored.
    ///
    /// - Throws: ``SchedulerConfigurationError`` naming the key of a malformed value.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = FlowMatchEulerConfiguration()
        numTrainTimesteps = try c.value(.numTrainTimesteps, default: d.numTrainTimesteps)
        shift = try c.value(.shift, default: d.shift)
        useDynamicShifting = try c.value(.useDynamicShifting, default: d.useDynamicShifting)
        baseShift = try c.value(.baseShift, default: d.baseShift)
        maxShift = try c.value(.maxShift, default: d.maxShift)
        baseImageSequenceLength = try c.value(.baseImageSequenceLength, default: d.baseImageSequenceLength)
        maxImageSequenceLength = try c.value(.maxImageSequenceLength, default: d.maxImageSequenceLength)
        invertSigmas = try c.value(.invertSigmas, default: d.invertSigmas)
        shiftTerminal = try c.optionalValue(.shiftTerminal)
        useKarrasSigmas = try c.value(.useKarrasSigmas, default: d.useKarrasSigmas)
        useExponentialSigmas = try c.value(.useExponentialSigmas, default: d.useExponentialSigmas)
        useBetaSigmas = try c.value(.useBetaSigmas, default: d.useBetaSigmas)
        timeShiftType = try c.choice(.timeShiftType, default: d.timeShiftType)
        stochasticSampling = try c.value(.stochasticSampling, default: d.stochasticSampling)
    }

    /// Throws for settings ``FlowMatchEulerScheduler`` does not implement or cannot compute with.
    func validate() throws {
        func fail(_ key: CodingKeys, _ reason: String) -> SchedulerConfigurationError {
            SchedulerConfigurationError(key: key.rawValue, reason: reason)
        }
        if numTrainTimesteps < 1 { throw fail(.numTrainTimesteps, "must be at least 1, got \(numTrainTimesteps)") }
        for (flag, key) in [(useKarrasSigmas, CodingKeys.useKarrasSigmas), (useExponentialSigmas, .useExponentialSigmas),
                            (useBetaSigmas, .useBetaSigmas), (invertSigmas, .invertSigmas),
                            (stochasticSampling, .stochasticSampling)] where flag {
            throw fail(key, "true is not supported by FlowMatchEulerScheduler")
        }
        if useDynamicShifting {
            if maxImageSequenceLength == baseImageSequenceLength {
                throw fail(.maxImageSequenceLength, "must differ from base_image_seq_len (\(baseImageSequenceLength)) to interpolate mu")
            }
        } else if !(shift > 0) {
            throw fail(.shift, "must be positive, got \(shift)")
        }
        if let shiftTerminal, !(shiftTerminal >= 0 && shiftTerminal < 1) {
            throw fail(.shiftTerminal, "must be in [0, 1), got \(shiftTerminal)")
        }
    }
}

import Foundation

/// The DDPM noise schedule behind the discrete Euler schedulers: betas, cumulative alphas and the
/// Karras-style noise level of every training timestep, plus the N-step timestep spacings.
///
/// Values follow diffusers: betas from float32 `torch.linspace` (squared for `scaled_linear`),
/// `alphas_cumprod` as torch's CPU `cumprod` (float64 accumulator, float32 outputs), and
/// `σ(t) = √((1 − ᾱ_t)/ᾱ_t)` in float32. torch's vectorised square root may round the last
/// bit differently (about 6 of 1000 SDXL sigmas, 1 float32 ulp); this table uses the correctly
/// rounded one.
public struct DiscreteNoiseTable: Sendable, Equatable {
    /// `ᾱ_t = ∏_{s ≤ t}(1 − β_s)` for t = 0 … T − 1.
    public let alphasCumprod: [Float]
    /// `σ(t) = √((1 − ᾱ_t)/ᾱ_t)` for t = 0 … T − 1 (increasing).
    public let sigmas: [Float]

    /// The table of a validated Euler configuration (the schedulers' initialisers validate).
    init(_ config: EulerDiscreteConfiguration) {
        let count = config.numTrainTimesteps
        let betas: [Float]
        if let trained = config.trainedBetas {
            betas = trained.map { Float($0) }
        } else if config.betaSchedule == .scaledLinear {
            // Python's `beta_start**0.5` is libm pow in float64, then torch takes the float32.
            let roots = ScheduleMath.torchLinspace(
                Float(Foundation.pow(config.betaStart, 0.5)), Float(Foundation.pow(config.betaEnd, 0.5)), count: count
            )
            betas = roots.map { $0 * $0 }
        } else {
            betas = ScheduleMath.torchLinspace(Float(config.betaStart), Float(config.betaEnd), count: count)
        }
        var product = 1.0
        alphasCumprod = betas.map { beta in
            product *= Double(1 - beta)
            return Float(product)
        }
        sigmas = alphasCumprod.map { ((1 - $0) / $0).squareRoot() }
    }

    /// Number of training timesteps T.
    public var count: Int { alphasCumprod.count }

    /// The N sampling timesteps of `spacing`, largest first, as float32 (diffusers'
    /// `set_timesteps`).
    ///
    /// Trailing spacing takes numpy's `arange(T, 0, −T/N)`, which for some N (61, 103, 121, …)
    /// yields N + 1 values, the last being timestep −1; diffusers then runs one step more than
    /// asked. This keeps the first N, which is the schedule asked for.
    public func timesteps(steps: Int, spacing: EulerDiscreteConfiguration.TimestepSpacing, offset: Int) -> [Float] {
        precondition(steps >= 1 && steps <= count, "steps must be in 1...\(count), got \(steps)")
        switch spacing {
        case .linspace:
            return ScheduleMath.numpyLinspace(0, Double(count - 1), count: steps).reversed().map { Float($0) }
        case .leading:
            let ratio = count / steps
            return (0..<steps).reversed().map { Float($0 * ratio) + Float(offset) }
        case .trailing:
            let values = ScheduleMath.numpyArange(Double(count), 0, step: -(Double(count) / Double(steps)))
            return values.prefix(steps).map { Float($0.rounded(.toNearestOrEven)) - 1 }
        }
    }

    /// `np.interp(t, 0…T−1, sigmas)`: the sigma at a possibly fractional timestep, in float64 and
    /// then rounded to float32 as diffusers does; clamped outside the table.
    public func sigma(at timestep: Float) -> Float {
        let x = Double(timestep)
        guard x > 0 else { return sigmas[0] }
        guard x < Double(count - 1) else { return sigmas[count - 1] }
        let j = Int(x.rounded(.down))
        let low = Double(sigmas[j])
        let high = Double(sigmas[j + 1])
        if x == Double(j) { return sigmas[j] }
        return Float((high - low) * (x - Double(j)) + low)
    }

    /// The N-step schedule shared by both Euler schedulers: interpolated sigmas, `finalSigma`
    /// appended, and diffusers' `init_noise_sigma` (max σ, or √(max σ² + 1) for leading spacing).
    /// For img2img (strength < 1) the first `N − int(N·strength)` steps are dropped, as diffusers'
    /// img2img pipelines do (`get_timesteps`); the initial noise scale is the full schedule's.
    func schedule(
        steps: Int, context: ScheduleContext, spacing: EulerDiscreteConfiguration.TimestepSpacing, offset: Int,
        finalSigma: Float
    ) -> Schedule {
        precondition(context.strength > 0 && context.strength <= 1, "strength must be in (0, 1], got \(context.strength)")
        let timesteps = self.timesteps(steps: steps, spacing: spacing, offset: offset)
        let sigmas = timesteps.map { sigma(at: $0) } + [finalSigma]
        let largest = sigmas.max() ?? 0
        let initialNoiseScale = spacing == .leading ? (largest * largest + 1).squareRoot() : largest
        // diffusers: int(N * strength) in float64, with the strength as the user wrote it.
        let kept = min(Int(Double(steps) * ScheduleMath.decimal(context.strength)), steps)
        let start = steps - kept
        return Schedule(sigmas: Array(sigmas[start...]), timesteps: Array(timesteps[start...]), initialNoiseScale: initialNoiseScale)
    }

    /// diffusers' DDPM training example at integer timestep `t`: input `√ᾱ_t·x₀ + √(1−ᾱ_t)·ε`,
    /// target ε (epsilon) or `√ᾱ_t·ε − √(1−ᾱ_t)·x₀` (v-prediction), weight 1.
    func trainingExample(clean: Tensor, noise: Tensor, timestep t: Int, prediction: PredictionType) -> TrainingExample {
        precondition(t >= 0 && t < count, "training timestep \(t) outside 0..<\(count)")
        let alpha = alphasCumprod[t]
        let signal = alpha.squareRoot()
        let noiseLevel = (1 - alpha).squareRoot()
        let target = prediction == .vPrediction ? noise * signal - clean * noiseLevel : noise
        return TrainingExample(modelInput: clean * signal + noise * noiseLevel, timestep: Float(t), target: target, weight: 1)
    }
}

/// The VAE posterior `N(mean, exp(logVariance))` per latent element (diffusers'
/// `DiagonalGaussianDistribution`; the log-variance is clamped to [−30, 20]).
public struct DiagonalGaussianDistribution: Sendable {
    /// Posterior mean `[B, C, h, w]`.
    public let mean: Tensor
    /// Log-variance, clamped to [−30, 20] as diffusers does.
    public let logVariance: Tensor

    /// Splits encoder moments `[B, 2C, h, w]` into mean (first C channels) and log-variance.
    public init(moments: Tensor) {
        let halves = moments.chunked(2, axis: 1)
        mean = halves[0]
        logVariance = halves[1].clamp(min: -30, max: 20)
    }

    /// `exp(logVariance / 2)`.
    public var standardDeviation: Tensor { (logVariance * 0.5).exp() }

    /// The mode (= mean): the deterministic latent pipelines use for targets.
    public var mode: Tensor { mean }

    /// `mean + std · ε` with ε drawn from `generator` exactly as `torch.randn(mean.shape, generator=g)`.
    public func sample(generator: inout TorchGenerator) -> Tensor {
        mean + standardDeviation * Tensor.randn(mean.shape, generator: &generator)
    }
}

import DiffSynth

/// The Qwen-Image VAE (diffusers `AutoencoderKLQwenImage`, a Wan-2.1-style causal 3-D VAE) for
/// single images.
///
/// An image is one frame, which the reference encodes and decodes as its first chunk: every causal
/// 3-D convolution then reduces exactly to a 2-D convolution with its last temporal tap (see
/// ``QwenImageCausalConv3d``) and the temporal resamplers are skipped (see ``QwenImageVAEResample``),
/// so the whole network runs as a 2-D network on `[N, C, H, W]` with no frame axis.
public final class AutoencoderKLQwenImage: Module {
    /// The settings the VAE was built with (including the latent statistics).
    public let configuration: QwenImageVAEConfiguration
    /// `encoder`.
    public let encoder: QwenImageVAEEncoder
    /// `quant_conv` (1×1×1, 2z → 2z).
    public let quantConvolution: QwenImageCausalConv3d
    /// `post_quant_conv` (1×1×1, z → z).
    public let postQuantConvolution: QwenImageCausalConv3d
    /// `decoder`.
    public let decoder: QwenImageVAEDecoder

    /// `scope` is the root of a `vae/` folder.
    public init(_ scope: ParameterScope, configuration: QwenImageVAEConfiguration) {
        self.configuration = configuration
        let z = configuration.zDim
        encoder = QwenImageVAEEncoder(scope["encoder"], configuration: configuration)
        quantConvolution = QwenImageCausalConv3d(scope["quant_conv"], inChannels: 2 * z, outChannels: 2 * z, kernelSize: 1)
        postQuantConvolution = QwenImageCausalConv3d(scope["post_quant_conv"], inChannels: z, outChannels: z, kernelSize: 1)
        decoder = QwenImageVAEDecoder(scope["decoder"], configuration: configuration)
    }

    /// The diagonal Gaussian posterior of images `[N, C, H, W]` in [-1, 1]: mean and log-variance
    /// `[N, z, H/8, W/8]` (log-variance clamped to [-30, 20] as `DiagonalGaussianDistribution`).
    public func encode(_ images: Tensor) -> (mean: Tensor, logVariance: Tensor) {
        precondition(images.rank == 4 && images.shape[1] == configuration.inputChannels
                     && images.shape[2] % configuration.spatialScaleFactor == 0 && images.shape[3] % configuration.spatialScaleFactor == 0,
                     "VAE encode: images \(images.shape) must be [N, \(configuration.inputChannels), H, W] with H, W multiples of \(configuration.spatialScaleFactor)")
        let moments = quantConvolution(encoder(images)).chunked(2, axis: 1)
        return (moments[0], moments[1].clamp(min: -30, max: 20))
    }

    /// Raw (un-normalised) latents `[N, z, h, w]` → images `[N, C, 8h, 8w]` clamped to [-1, 1], as
    /// `AutoencoderKLQwenImage._decode` clamps.
    public func decode(_ latents: Tensor) -> Tensor {
        precondition(latents.rank == 4 && latents.shape[1] == configuration.zDim,
                     "VAE decode: latents \(latents.shape) must be [N, \(configuration.zDim), h, w]")
        return decodeUnclamped(latents).clamp(min: -1, max: 1)
    }

    /// `(z − mean) · (1 / std)` per channel: the pipelines' latent normalisation, written with the
    /// reciprocal exactly as diffusers computes it (`latents_std = 1 / tensor(std)`).
    public func normalize(_ latents: Tensor) -> Tensor {
        (latents - channelTensor(configuration.latentsMean)) * channelTensor(configuration.latentsStd.map { 1 / $0 })
    }

    /// The inverse, `z / (1 / std) + mean`, as diffusers' pipeline de-normalises before decoding.
    public func denormalize(_ latents: Tensor) -> Tensor {
        latents / channelTensor(configuration.latentsStd.map { 1 / $0 }) + channelTensor(configuration.latentsMean)
    }

    private func channelTensor(_ values: [Float]) -> Tensor {
        Tensor(shape: [1, values.count, 1, 1], scalars: values)
    }

    /// The decoder's output before the final clamp: what reconstruction training regresses (the
    /// clamp has zero gradient wherever the output leaves [-1, 1], which would stall training).
    public func decodeUnclamped(_ latents: Tensor) -> Tensor {
        decoder(postQuantConvolution(latents))
    }
}

/// diffusers' `AutoencoderKL` (SDXL's VAE; FLUX's with 16 latent channels and no quant convs):
/// encoder → `quant_conv` → diagonal Gaussian posterior; `post_quant_conv` → decoder. Images are `[B, 3, H, W]` in [-1, 1]; latents here are the raw
/// VAE latents (scaling by ``AutoencoderKLConfiguration/scalingFactor`` happens in
/// ``normalize(_:)`` / ``denormalize(_:)``, as the pipeline does).
///
/// Keys are the current diffusers names; old files that name the mid-block attention
/// `query`/`key`/`value`/`proj_attn` (possibly as 1×1 convolution weights) are mapped on load by
/// ``weightSource(_:)``.
public final class AutoencoderKL: Module {
    /// The configuration the VAE was built from.
    public let configuration: AutoencoderKLConfiguration
    let encoder: VAEEncoder
    let decoder: VAEDecoder
    let quantConv: Conv2d?
    let postQuantConv: Conv2d?

    /// Builds the VAE under `scope` (the checkpoint root: keys start with `encoder.`, `decoder.`, `quant_conv.`, `post_quant_conv.`).
    public init(configuration c: AutoencoderKLConfiguration, scope: ParameterScope = ParameterScope()) {
        configuration = c
        encoder = VAEEncoder(scope["encoder"], configuration: c)
        decoder = VAEDecoder(scope["decoder"], configuration: c)
        quantConv = c.useQuantConv
            ? Conv2d(scope["quant_conv"], inChannels: 2 * c.latentChannels, outChannels: 2 * c.latentChannels, kernelSize: (1, 1)) : nil
        postQuantConv = c.usePostQuantConv
            ? Conv2d(scope["post_quant_conv"], inChannels: c.latentChannels, outChannels: c.latentChannels, kernelSize: (1, 1)) : nil
    }

    /// The posterior of `image` `[B, 3, H, W]` (H and W multiples of the spatial scale factor
    /// give exact latent sizes).
    public func encode(_ image: Tensor) -> DiagonalGaussianDistribution {
        let h = encoder(image)
        return DiagonalGaussianDistribution(moments: quantConv.map { $0(h) } ?? h)
    }

    /// The image of raw latents `z` `[B, C, h, w]`.
    public func decode(_ z: Tensor) -> Tensor {
        decoder(postQuantConv.map { $0(z) } ?? z)
    }

    /// Raw VAE latents → the denoiser's latent space: `(z − mean) · scaling / std` with published
    /// statistics, else `(z − shift) · scaling` (SDXL: `z · 0.13025`).
    public func normalize(_ z: Tensor) -> Tensor {
        let c = configuration
        if let mean = c.latentsMean, let std = c.latentsStandardDeviation {
            let shape = [1, c.latentChannels, 1, 1]
            return (z - Tensor(shape: shape, scalars: mean)) * c.scalingFactor / Tensor(shape: shape, scalars: std)
        }
        return (c.shiftFactor.map { z - $0 } ?? z) * c.scalingFactor
    }

    /// The inverse of ``normalize(_:)``: what the pipeline divides by before decoding.
    public func denormalize(_ latents: Tensor) -> Tensor {
        let c = configuration
        if let mean = c.latentsMean, let std = c.latentsStandardDeviation {
            let shape = [1, c.latentChannels, 1, 1]
            return latents * Tensor(shape: shape, scalars: std) / c.scalingFactor + Tensor(shape: shape, scalars: mean)
        }
        let unscaled = latents / c.scalingFactor
        return c.shiftFactor.map { unscaled + $0 } ?? unscaled
    }
}

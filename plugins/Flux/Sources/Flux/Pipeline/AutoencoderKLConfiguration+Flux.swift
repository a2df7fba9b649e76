import DiffSynth

extension AutoencoderKLConfiguration {
    /// FLUX.1's `vae/config.json` (dev and schnell share it): SDXL's layout with 16 latent
    /// channels, no quant convs, and latents `(z − 0.1159) · 0.3611` (83,819,683 parameters).
    public static let flux = AutoencoderKLConfiguration(
        inChannels: 3, outChannels: 3, latentChannels: 16, blockOutChannels: [128, 256, 512, 512], layersPerBlock: 2,
        normGroups: 32, scalingFactor: 0.3611, shiftFactor: 0.1159, latentsMean: nil, latentsStandardDeviation: nil,
        useQuantConv: false, usePostQuantConv: false, midBlockAddAttention: true, sampleSize: 1024, forceUpcast: true)
}

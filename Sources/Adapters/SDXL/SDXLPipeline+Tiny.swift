import DiffSynth

extension SDXLPipeline {
    /// A random-weight pipeline of the spec's tiny SDXL configuration ("config A": 2-level UNet
    /// of 32/64 channels, 2-level VAE with factor 2, 5-layer width-32 CLIP encoders with
    /// quick-GELU / GELU, vocabulary 603): every code path of the real model at test speed.
    ///
    /// - Parameters:
    ///   - seed: seeds the weights (PyTorch's default layer initialisation, drawn in order).
    ///   - scheduler: defaults to SDXL base's Euler scheduler (SDXL-Turbo's Euler ancestral one
    ///     for the Turbo preset).
    ///   - tokenizers: defaults to ``ByteLevelStandInTokenizer``s (pad `<|endoftext|>` / `!`, as
    ///     the real folders), since a random model has no vocabulary to honour.
    public static func tiny(seed: UInt64 = 0, scheduler: (any Scheduler)? = nil,
                            tokenizers: (first: any PaddedTokenizer, second: any PaddedTokenizer)? = nil,
                            preset: SDXLPreset = .base) throws -> SDXLPipeline {
        let vocabulary = 603
        let unet = UNet2DConditionModel(configuration: .tiny, scope: ParameterScope(.random(seed: seed)))
        let vae = AutoencoderKL(configuration: .tiny, scope: ParameterScope(.random(seed: seed &+ 1)))
        let textEncoder = CLIPTextEncoder(configuration: .tiny(vocabularySize: vocabulary, activation: .quickGelu, hasProjection: false),
                                          scope: ParameterScope(.random(seed: seed &+ 2)))
        let textEncoder2 = CLIPTextEncoder(configuration: .tiny(vocabularySize: vocabulary, activation: .gelu, hasProjection: true),
                                           scope: ParameterScope(.random(seed: seed &+ 3)))
        // Frozen like a loaded pipeline; training unfreezes the denoiser or injects LoRA.
        for module in [unet, textEncoder, textEncoder2, vae] as [any Module] { module.freeze() }
        let standIns = (first: ByteLevelStandInTokenizer(vocabularySize: vocabulary, padID: vocabulary - 1) as any PaddedTokenizer,
                        second: ByteLevelStandInTokenizer(vocabularySize: vocabulary, padID: 0) as any PaddedTokenizer)
        return try SDXLPipeline(unet: unet, textEncoder: textEncoder, textEncoder2: textEncoder2, vae: vae,
                                scheduler: scheduler ?? (preset == .turbo ? EulerAncestralScheduler.sdxlTurbo : EulerDiscreteScheduler.sdxlBase),
                                tokenizers: tokenizers ?? standIns, preset: preset, origin: "tiny SDXL")
    }
}

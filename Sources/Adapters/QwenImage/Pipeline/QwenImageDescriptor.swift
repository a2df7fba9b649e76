import DiffSynth

extension PipelineDescriptor {
    /// Qwen-Image's shapes and defaults: 16-channel latents at 1/8 resolution packed into 2×2
    /// patches (so image sides are multiples of 16), flow-matching velocity, diffusers' inference
    /// defaults for the teacher (1024×1024, 50 steps, true CFG 4) and the distilled student (4 steps,
    /// no CFG), and DiffSynth-Studio's LoRA target list for the DiT.
    ///
    /// - Parameter noisePrecision: `.float32` draws seeded noise as diffusers does;
    ///   `.bfloat16` as DiffSynth-Studio's Qwen-Image pipeline does (sampled in bf16).
    public static func qwenImage(noisePrecision: NoisePrecision = .float32) -> PipelineDescriptor {
        PipelineDescriptor(
            family: "qwen-image", latentChannels: 16, vaeScaleFactor: 8, resolutionMultiple: 16,
            defaultResolution: (1024, 1024), predictionType: .flowVelocity,
            teacher: SamplingSettings(steps: 50, guidanceScale: 4), student: SamplingSettings(steps: 4, guidanceScale: 1),
            defaultLoRATargets: QwenImagePipeline.defaultLoRATargets, noisePrecision: noisePrecision,
            // diffusers' QwenImageLoraLoaderMixin converts DiffSynth's names (keys with `.default.`).
            loraFiles: LoRAFileConvention(diffusersPrefix: "transformer", diffusersConvertsDiffSynthNames: true))
    }
}

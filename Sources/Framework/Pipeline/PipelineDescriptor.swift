/// Sampling settings: step count and classifier-free guidance scale.
public struct SamplingSettings: Sendable, Equatable, Codable {
    public var steps: Int
    public var guidanceScale: Float

    public init(steps: Int, guidanceScale: Float) {
        self.steps = steps
        self.guidanceScale = guidanceScale
    }
}

/// How an adapter draws its initial noise from a seed.
public enum NoisePrecision: String, Sendable, Codable {
    /// `torch.randn(shape, generator=Generator("cpu").manual_seed(seed))` in float32 (diffusers, DiffSynth SDXL).
    case float32
    /// The same draw rounded to bfloat16 (DiffSynth-Studio's Qwen-Image pipeline samples in bf16).
    case bfloat16
}

/// What the framework needs to know about a model family: its shapes, defaults and names.
/// Each adapter owns its descriptor; nothing family-specific lives in the framework or host.
public struct PipelineDescriptor: Sendable {
    /// Family identifier, e.g. `qwen-image`, `sdxl`.
    public var family: String
    /// Channels of the VAE latent.
    public var latentChannels: Int
    /// Pixels per latent cell along each side (8 for both families).
    public var vaeScaleFactor: Int
    /// Image sides must be multiples of this (16 for Qwen-Image, 8 for SDXL).
    public var resolutionMultiple: Int
    /// The default image size (height, width).
    public var defaultResolution: (height: Int, width: Int)
    /// What the denoiser predicts.
    public var predictionType: PredictionType
    /// Teacher defaults (e.g. 50 steps, guidance 4).
    public var teacher: SamplingSettings
    /// Student defaults (e.g. 4 steps, guidance 1).
    public var student: SamplingSettings
    /// Layer-name suffixes that LoRA targets by default (DiffSynth's script list for the family).
    public var defaultLoRATargets: [String]
    /// How initial noise is drawn from a seed.
    public var noisePrecision: NoisePrecision
    /// Which guidance scales turn classifier-free guidance on.
    public var guidance: GuidanceRule
    /// How the family's diffusers pipeline reads LoRA files; nil writes DiffSynth's names only.
    public var loraFiles: LoRAFileConvention?
    /// The default scale of a guidance embedding the denoiser reads as an input (FLUX.1-dev: 3.5;
    /// see ``DiffusionPipeline/embeddedGuidance``); nil for families without one.
    public var embeddedGuidance: Float?

    public init(family: String, latentChannels: Int, vaeScaleFactor: Int, resolutionMultiple: Int,
                defaultResolution: (height: Int, width: Int), predictionType: PredictionType,
                teacher: SamplingSettings, student: SamplingSettings, defaultLoRATargets: [String],
                noisePrecision: NoisePrecision, guidance: GuidanceRule = .unlessScaleIsOne,
                loraFiles: LoRAFileConvention? = nil, embeddedGuidance: Float? = nil) {
        self.family = family
        self.latentChannels = latentChannels
        self.vaeScaleFactor = vaeScaleFactor
        self.resolutionMultiple = resolutionMultiple
        self.defaultResolution = defaultResolution
        self.predictionType = predictionType
        self.teacher = teacher
        self.student = student
        self.defaultLoRATargets = defaultLoRATargets
        self.noisePrecision = noisePrecision
        self.guidance = guidance
        self.loraFiles = loraFiles
        self.embeddedGuidance = embeddedGuidance
    }
}

import DiffSynth
import Foundation

/// SDXL's entry point for the host's ``AdapterRegistry`` (family `sdxl`): SDXL base 1.0 and
/// SDXL-Turbo diffusers folders, and a tiny random-weight model for conformance runs.
/// Folders load with the framework's CLIP BPE tokenizers from `tokenizer/` and `tokenizer_2/`.
public enum SDXLAdapter: ModelAdapter {
    /// The family name on the command line.
    public static let family = "sdxl"
    /// One line for `diffsynth adapters`.
    public static let summary = "Stable Diffusion XL base 1.0 / SDXL-Turbo (diffusers folders): two CLIP text encoders, ε-prediction UNet, KL VAE"
    /// The component folders of an SDXL diffusers folder.
    public static let components = ["unet", "vae", "text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2", "scheduler"]

    /// SDXL base 1.0's descriptor (1024 px, 50 steps at guidance 5 for the teacher).
    public static var publishedDescriptor: PipelineDescriptor { SDXLPipeline.descriptor() }

    /// Whether `folder`'s `model_index.json` names a `StableDiffusionXL…Pipeline`.
    public static func canLoad(_ folder: URL) -> Bool { SDXLPipeline.canLoad(folder) }

    /// Loads a diffusers SDXL folder with its shipped scheduler (see ``SDXLPipeline``).
    public static func load(from folder: URL, options: AdapterLoadOptions) throws -> any DiffusionPipeline {
        // Both CLIP encoders read a fixed 77-token window (diffusers' SDXL pipeline has no such argument).
        _ = try options.maxSequenceLength(default: 77, range: 77...77, folder: folder)
        return try SDXLPipeline.load(from: folder, variant: options.variant, noisePrecision: options.noisePrecision ?? .float32,
                              randomWeights: options.randomWeights)
    }

    /// The tiny random-weight SDXL (``SDXLPipeline/tiny(seed:scheduler:tokenizers:preset:)``).
    public static func tiny(seed: UInt64) throws -> any DiffusionPipeline {
        try SDXLPipeline.tiny(seed: seed)
    }
}

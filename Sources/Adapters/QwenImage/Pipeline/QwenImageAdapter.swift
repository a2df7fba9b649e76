import DiffSynth
import Foundation

/// The Qwen-Image family for the host and the adapter registry
/// (`try AdapterRegistry.shared.register(QwenImageAdapter.self)`).
public enum QwenImageAdapter: ModelAdapter {
    /// `qwen-image`.
    public static let family = "qwen-image"
    /// One line for `diffsynth adapters`.
    public static let summary = "Qwen-Image: 20B MMDiT, Qwen2.5-VL-7B text encoder, Wan-style VAE (diffusers layout)"
    /// The component folders of a diffusers-layout Qwen-Image model.
    public static var components: [String] { QwenImagePipeline.components }
    /// `Qwen/Qwen-Image`'s descriptor (1024 px, teacher 50 steps at guidance 4).
    public static var publishedDescriptor: PipelineDescriptor { .qwenImage() }

    /// Whether `folder`'s `model_index.json` names `QwenImagePipeline`.
    public static func canLoad(_ folder: URL) -> Bool { QwenImagePipeline.canLoad(folder) }

    /// Loads the folder with its own `tokenizer/` (Qwen2 BPE) and `scheduler/`.
    public static func load(from folder: URL, options: AdapterLoadOptions) throws -> any DiffusionPipeline {
        let tokenizer = try Qwen2Tokenizer(folder: folder.appendingPathComponent("tokenizer"))
        // diffusers' QwenImagePipeline refuses max_sequence_length above 1024.
        let length = try options.maxSequenceLength(default: 512, range: 1...1024, folder: folder)
        return try QwenImagePipeline.load(from: folder, tokenizer: tokenizer, options: options, maxSequenceLength: length)
    }

    /// The tiny random-weight model with a byte tokenizer (Qwen's three special tokens, then bytes)
    /// and four DiT blocks rather than the spec's two: the last block's text path is discarded by
    /// design, and with four blocks it stays a small share of the LoRA layers that shared checks
    /// expect gradients to reach.
    public static func tiny(seed: UInt64) throws -> any DiffusionPipeline {
        let tokenizer = ByteTokenizer(specialTokens: ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
        var transformer = QwenImageTransformerConfiguration.tiny
        transformer.numLayers = 4
        return QwenImagePipeline.tiny(seed: seed, tokenizer: tokenizer, vocabularySize: tokenizer.count, transformerConfiguration: transformer)
    }
}

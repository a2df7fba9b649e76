import DiffSynth
import Foundation

extension QwenImagePipeline {
    /// The component folders of a Qwen-Image model in diffusers' layout.
    public static let components = ["scheduler", "text_encoder", "tokenizer", "transformer", "vae"]

    /// The class `model_index.json` must name for each network component.
    static let componentClasses = ["transformer": "QwenImageTransformer2DModel", "vae": "AutoencoderKLQwenImage",
                                   "text_encoder": "Qwen2_5_VLForConditionalGeneration"]

    /// Whether `folder` looks like a Qwen-Image model (its `model_index.json` names `QwenImagePipeline`).
    public static func canLoad(_ folder: URL) -> Bool {
        (try? DiffusersFolder(folder))?.pipelineClass == "QwenImagePipeline"
    }

    /// Loads a model folder laid out exactly as `Qwen/Qwen-Image` ships (and as diffusers'
    /// `save_pretrained` writes): `model_index.json`, `transformer/` (sharded with an index),
    /// `text_encoder/` (sharded with an index), `vae/`, `tokenizer/`, `scheduler/`.
    ///
    /// Everything is checked before anything is computed or read in bulk: the pipeline and component
    /// classes, every config, and every checkpoint's tensor names, shapes and element types against
    /// the model (strictly: no parameter may be missing, no tensor left over — except the text
    /// encoder's `visual.*` and `lm_head.*`, which text-to-image never uses and which are skipped
    /// without being read). Only then are the weights read, one tensor at a time, BF16/F16 widened to
    /// Float32.
    ///
    /// - Parameters:
    ///   - tokenizer: the Qwen2 tokenizer of `tokenizer/` (tokenizers live in the framework's text module).
    ///   - scheduler: the schedule to sample and train with; nil builds the folder's own from
    ///     `scheduler/scheduler_config.json` (``DiffSynth/SchedulerConfiguration``).
    ///   - options: `variant` selects e.g. `*.fp16.safetensors` files; `noisePrecision` overrides how
    ///     seeded noise is drawn (default diffusers' float32).
    ///   - maxSequenceLength: prompt-embedding length cap (diffusers' default 512).
    /// - Throws: ``DiffSynth/ModelFolderError``, ``DiffSynth/ConfigurationError``,
    ///   ``DiffSynth/SchedulerConfigurationError``, ``DiffSynth/SafetensorsError`` or ``QwenImageError``,
    ///   each naming the file (and key) at fault.
    public static func load(from folder: URL, tokenizer: any TextTokenizer, scheduler: (any Scheduler)? = nil,
                            options: AdapterLoadOptions = AdapterLoadOptions(), maxSequenceLength: Int = 512) throws -> QwenImagePipeline {
        let model = try DiffusersFolder(folder)
        try model.requireLayout(pipeline: "QwenImagePipeline", components: components, classes: componentClasses)
        // The folder's own schedule unless the caller brings one (e.g. a distilled model's).
        let schedulerConfigurationURL = try model.folder("scheduler").appendingPathComponent("scheduler_config.json")
        let scheduler = try scheduler ?? SchedulerConfiguration.load(contentsOf: schedulerConfigurationURL)

        let transformerConfiguration = try model.configuration("transformer", as: QwenImageTransformerConfiguration.self)
        try transformerConfiguration.validate(path: try model.folder("transformer").appendingPathComponent("config.json").path)
        let textConfigurationURL = try model.folder("text_encoder").appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: textConfigurationURL.path) else { throw ModelFolderError.missingFile(path: textConfigurationURL.path) }
        let textConfiguration = try QwenImageTextEncoderConfiguration.decode(from: textConfigurationURL)
        let vaeConfiguration = try model.configuration("vae", as: QwenImageVAEConfiguration.self)
        try vaeConfiguration.validate(path: try model.folder("vae").appendingPathComponent("config.json").path)

        // Uninitialised parameters (untouched memory until the load writes them), or seeded random
        // ones for a model that is about to be trained from scratch.
        let scope = options.randomWeights.map { ParameterScope(.random(seed: $0)) } ?? ParameterScope(.uninitialized)
        let transformer = QwenImageTransformer2DModel(scope, configuration: transformerConfiguration)
        let textEncoder = QwenImageTextEncoder(scope, configuration: textConfiguration)
        let vae = AutoencoderKLQwenImage(scope, configuration: vaeConfiguration)

        if options.randomWeights == nil {
            let parts: [(component: String, module: any Module, weights: ShardedSafetensors, key: (String) -> String?)] = [
                ("transformer", transformer, try model.weights("transformer", variant: options.variant), { $0 }),
                ("text_encoder", textEncoder, try model.weights("text_encoder", variant: options.variant), QwenImageTextEncoder.keyForSourceName),
                ("vae", vae, try model.weights("vae", variant: options.variant), { $0 }),
            ]
            // Every component is checked (names, shapes, element types) before any is loaded.
            let source = { (part: (component: String, module: any Module, weights: ShardedSafetensors, key: (String) -> String?)) in
                "\(part.component)/\(part.weights.url.lastPathComponent)"
            }
            for part in parts { try part.module.checkLoad(from: part.weights, sourceName: source(part), keyForSourceName: part.key) }
            for part in parts { try part.module.load(from: part.weights, sourceName: source(part), keyForSourceName: part.key) }
        }
        // Inference models are frozen; training unfreezes the denoiser or injects LoRA into it.
        transformer.freeze()
        textEncoder.freeze()
        vae.freeze()
        return QwenImagePipeline(transformer: transformer, textEncoder: textEncoder, vae: vae, tokenizer: tokenizer,
                                 scheduler: scheduler, maxSequenceLength: maxSequenceLength,
                                 noisePrecision: options.noisePrecision ?? .float32)
    }

}

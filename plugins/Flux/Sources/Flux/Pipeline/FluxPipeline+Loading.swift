import DiffSynth
import Foundation

extension FluxPipeline {
    /// The component folders of a FLUX.1 model in diffusers' layout.
    public static let components = ["scheduler", "text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2", "transformer", "vae"]

    /// The class `model_index.json` must name for each network component.
    static let componentClasses = ["transformer": "FluxTransformer2DModel", "vae": "AutoencoderKL",
                                   "text_encoder": "CLIPTextModel", "text_encoder_2": "T5EncoderModel"]

    /// Whether `folder` looks like a FLUX.1 model (its `model_index.json` names `FluxPipeline`).
    public static func canLoad(_ folder: URL) -> Bool {
        (try? DiffusersFolder(folder))?.pipelineClass == "FluxPipeline"
    }

    /// Loads a model folder laid out as `black-forest-labs/FLUX.1-dev` and `FLUX.1-schnell` ship
    /// (and as diffusers' `save_pretrained` writes): `model_index.json`, `transformer/` (sharded
    /// with an index), `text_encoder/`, `text_encoder_2/` (sharded), `vae/`, `tokenizer/`,
    /// `tokenizer_2/`, `scheduler/`.
    ///
    /// Every class, config and checkpoint (tensor names, shapes, element types, strictly) is
    /// checked before any weight is read in bulk; then the weights are read one tensor at a time,
    /// BF16/F16 widened to Float32 (or kept in 16 bits under the framework's `LoadedWeights`).
    ///
    /// - Parameters:
    ///   - clipTokenizer: nil reads `tokenizer/` with the framework's CLIP tokenizer (77 ids).
    ///   - t5Tokenizer: nil reads `tokenizer_2/` with the framework's T5 tokenizer, padded and
    ///     truncated to `maxSequenceLength`.
    ///   - scheduler: nil builds the folder's own from `scheduler/scheduler_config.json`.
    ///   - options: `variant` selects e.g. `*.fp16.safetensors`; `randomWeights` builds the
    ///     configuration with seeded random weights instead of reading them.
    ///   - maxSequenceLength: diffusers' `max_sequence_length` (512).
    /// - Throws: ``DiffSynth/ModelFolderError``, ``DiffSynth/ConfigurationError``,
    ///   ``DiffSynth/SchedulerConfigurationError``, ``DiffSynth/SafetensorsError``,
    ///   ``DiffSynth/TokenizerError`` or ``FluxError``, each naming the file (and key) at fault.
    public static func load(from folder: URL, clipTokenizer: (any PaddedTokenizer)? = nil, t5Tokenizer: (any PaddedTokenizer)? = nil,
                            scheduler: (any Scheduler)? = nil, options: AdapterLoadOptions = AdapterLoadOptions(),
                            maxSequenceLength: Int = 512) throws -> FluxPipeline {
        let model = try DiffusersFolder(folder)
        try model.requireLayout(pipeline: "FluxPipeline", components: components, classes: componentClasses)
        let scheduler = try scheduler
            ?? SchedulerConfiguration.load(contentsOf: try model.folder("scheduler").appendingPathComponent("scheduler_config.json"))
        func config(_ component: String) throws -> URL {
            try DiffusersFolder.existingFile(try model.folder(component).appendingPathComponent("config.json"))
        }
        let transformerConfiguration = try FluxTransformerConfiguration(contentsOf: try config("transformer"))
        let vaeConfiguration = try AutoencoderKLConfiguration(contentsOf: try config("vae"))
        let clipConfiguration = try CLIPTextConfiguration(contentsOf: try config("text_encoder"))
        let t5Configuration = try T5Configuration(contentsOf: try config("text_encoder_2"))
        let clipTokenizer = try clipTokenizer ?? .clip(folder: try model.folder("tokenizer"))
        let t5Tokenizer = try t5Tokenizer ?? T5Tokenizer.padded(folder: try model.folder("tokenizer_2"), maxLength: maxSequenceLength)

        let scope = options.randomWeights.map { ParameterScope(.random(seed: $0)) } ?? ParameterScope(.uninitialized)
        let transformer = FluxTransformer2DModel(scope, configuration: transformerConfiguration)
        let vae = AutoencoderKL(configuration: vaeConfiguration, scope: scope)
        let clip = CLIPTextEncoder(configuration: clipConfiguration, scope: scope)
        let t5 = T5EncoderModel(configuration: t5Configuration, scope: scope)
        if options.randomWeights == nil {
            func stored(_ component: String) throws -> (weights: ShardedSafetensors, name: String) {
                let weights = try model.weights(component, variant: options.variant)
                return (weights, "\(component)/\(weights.url.lastPathComponent)")
            }
            let (transformerWeights, vaeWeights) = (try stored("transformer"), try stored("vae"))
            let (clipWeights, t5Weights) = (try stored("text_encoder"), try stored("text_encoder_2"))
            let parts: [(module: any Module, weights: any WeightSource, file: String)] = [
                (transformer, transformerWeights.weights, transformerWeights.name),
                (vae, AutoencoderKL.weightSource(vaeWeights.weights), vaeWeights.name),
                (clip, CLIPTextEncoder.weightSource(clipWeights.weights), clipWeights.name),
                (t5, T5EncoderModel.weightSource(t5Weights.weights), t5Weights.name),
            ]
            // Every component is checked (names, shapes, element types) before any is loaded.
            for part in parts { try part.module.checkLoad(from: part.weights, sourceName: part.file) }
            for part in parts { try part.module.load(from: part.weights, sourceName: part.file) }
        }
        for module in [transformer, vae, clip, t5] as [any Module] { module.freeze() }
        return try FluxPipeline(transformer: transformer, vae: vae, clip: clip, t5: t5, clipTokenizer: clipTokenizer,
                                t5Tokenizer: t5Tokenizer, scheduler: scheduler, maxSequenceLength: maxSequenceLength, folder: folder.path)
    }
}

extension T5Tokenizer {
    /// The framework's T5 tokenizer for a `tokenizer_2/` folder as diffusers' FLUX pipeline calls
    /// it: `padding="max_length", max_length=maxLength, truncation=True` (`</s>` kept last).
    public static func padded(folder: URL, maxLength: Int) throws -> ClosureTokenizer {
        let t5 = try T5Tokenizer(folder: folder)
        return ClosureTokenizer { t5.encode($0, maxLength: maxLength).ids }
    }
}

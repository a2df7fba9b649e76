import DiffSynth

extension QwenImagePipeline {
    /// A random-weight pipeline of the real architecture at the tiny test sizes (spec section 5:
    /// transformer 92,448 parameters, VAE 924,491, language model of width 32), for tests and smoke
    /// runs. Every parameter is drawn from one generator seeded with `seed` (PyTorch's default layer
    /// initialisation); the networks start frozen, as loaded ones do.
    ///
    /// - Parameters:
    ///   - scheduler: defaults to Qwen-Image's published flow-match schedule.
    ///   - vocabularySize: rows of the text encoder's embedding table; must exceed every id
    ///     `tokenizer` produces.
    ///   - transformerConfiguration: the DiT's sizes (widths must stay those of ``QwenImageTransformerConfiguration/tiny``;
    ///     e.g. more blocks, so that the last block's discarded text path is a smaller share of the LoRA layers).
    public static func tiny(seed: UInt64 = 0, tokenizer: any TextTokenizer, scheduler: any Scheduler = FlowMatchEulerScheduler.qwenImage,
                            vocabularySize: Int = 512, transformerConfiguration: QwenImageTransformerConfiguration = .tiny,
                            noisePrecision: NoisePrecision = .float32) -> QwenImagePipeline {
        // Root scopes: parameter names equal the checkpoint keys of each component folder.
        let transformer = QwenImageTransformer2DModel(ParameterScope(.random(seed: seed)), configuration: transformerConfiguration)
        let textEncoder = QwenImageTextEncoder(ParameterScope(.random(seed: seed &+ 1)), configuration: .tiny(vocabSize: vocabularySize))
        let vae = AutoencoderKLQwenImage(ParameterScope(.random(seed: seed &+ 2)), configuration: .tiny)
        transformer.freeze()
        textEncoder.freeze()
        vae.freeze()
        return QwenImagePipeline(transformer: transformer, textEncoder: textEncoder, vae: vae, tokenizer: tokenizer,
                                 scheduler: scheduler, noisePrecision: noisePrecision)
    }
}

import DiffSynth

extension FluxPipeline {
    /// A random-weight pipeline of the real architecture at tiny sizes (transformer of width 32
    /// with 2 double- and 2 single-stream blocks, 4-channel VAE, CLIP and T5 of width 32), for
    /// conformance tests and smoke runs. Tokenizers are byte-level stand-ins (a real vocabulary
    /// means nothing for random weights); every network starts frozen, as loaded ones do.
    ///
    /// - Parameter guidance: build FLUX.1-dev's guidance embedding (true) or schnell's layout.
    public static func tiny(seed: UInt64 = 0, guidance: Bool = true, maxSequenceLength: Int = 32) throws -> FluxPipeline {
        let vaeConfiguration = AutoencoderKLConfiguration(
            inChannels: 3, outChannels: 3, latentChannels: 4, blockOutChannels: [32, 32], layersPerBlock: 1, normGroups: 32,
            scalingFactor: 0.3611, shiftFactor: 0.1159, latentsMean: nil, latentsStandardDeviation: nil, useQuantConv: false,
            usePostQuantConv: false, midBlockAddAttention: true, sampleSize: 64, forceUpcast: true)
        let transformerConfiguration = FluxTransformerConfiguration(inChannels: 16, numLayers: 2, numSingleLayers: 2, attentionHeadDim: 16,
                                                                    numAttentionHeads: 2, jointAttentionDim: 32, pooledProjectionDim: 32,
                                                                    guidanceEmbeds: guidance, axesDimsRope: [4, 6, 6])
        let clipConfiguration = CLIPTextConfiguration.tiny(vocabularySize: 300, activation: .quickGelu, hasProjection: false)
        let t5Configuration = T5Configuration(vocabularySize: 300, modelDimension: 32, headDimension: 8, feedForwardDimension: 48, layers: 2,
                                              heads: 4, relativeAttentionBuckets: 32, relativeAttentionMaxDistance: 128, layerNormEps: 1e-6,
                                              isGated: true, activation: .geluTanh)
        let transformer = FluxTransformer2DModel(ParameterScope(.random(seed: seed)), configuration: transformerConfiguration)
        let vae = AutoencoderKL(configuration: vaeConfiguration, scope: ParameterScope(.random(seed: seed &+ 1)))
        let clip = CLIPTextEncoder(configuration: clipConfiguration, scope: ParameterScope(.random(seed: seed &+ 2)))
        let t5 = T5EncoderModel(configuration: t5Configuration, scope: ParameterScope(.random(seed: seed &+ 3)))
        for module in [transformer, vae, clip, t5] as [any Module] { module.freeze() }
        // CLIP: start 298, bytes, end 299, padded with the end id (tokenizer/'s pad token).
        let clipTokenizer = ByteLevelStandInTokenizer(vocabularySize: 300, maxLength: 77, padID: 299)
        return try FluxPipeline(transformer: transformer, vae: vae, clip: clip, t5: t5, clipTokenizer: clipTokenizer,
                                t5Tokenizer: T5ByteStandInTokenizer(maxLength: maxSequenceLength),
                                scheduler: FlowMatchEulerScheduler.fluxDev, maxSequenceLength: maxSequenceLength, folder: "tiny FLUX")
    }
}

/// A T5-shaped stand-in for random-weight models: the UTF-8 bytes as ids 3…258 (after T5's
/// `<pad>` 0, `</s>` 1, `<unk>` 2), then `</s>`, padded with 0 to `maxLength` (truncated so that
/// `</s>` stays last, as T5's tokenizer truncates).
public struct T5ByteStandInTokenizer: PaddedTokenizer {
    /// Padded length.
    public let maxLength: Int

    /// A stand-in producing rows of `maxLength` ids.
    public init(maxLength: Int) {
        precondition(maxLength >= 1, "the stand-in needs room for </s>")
        self.maxLength = maxLength
    }

    /// Byte ids, `</s>`, padding.
    public func paddedTokenIDs(_ text: String) -> [Int] {
        let ids = text.utf8.prefix(maxLength - 1).map { Int($0) + 3 } + [1]
        return ids + Array(repeating: 0, count: maxLength - ids.count)
    }
}

extension FlowMatchEulerScheduler {
    /// FLUX.1-dev's `scheduler/scheduler_config.json`: dynamic exponential shift with mu from 0.5
    /// (256 tokens) to 1.15 (4096 tokens). (schnell's is `shift` 1 without dynamic shifting.)
    public static let fluxDev: FlowMatchEulerScheduler = {
        // A constant configuration that validates; a failure here is a programming error.
        try! FlowMatchEulerScheduler(config: FlowMatchEulerConfiguration(shift: 3, useDynamicShifting: true))
    }()
}

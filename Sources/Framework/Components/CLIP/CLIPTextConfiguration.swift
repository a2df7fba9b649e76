import Foundation

/// The `config.json` of a transformers `CLIPTextModel` / `CLIPTextModelWithProjection`
/// (`text_encoder/`, `text_encoder_2/`), with transformers' defaults for absent keys.
public struct CLIPTextConfiguration: Sendable, Equatable {
    /// The MLP activation (`hidden_act`).
    public enum Activation: String, Sendable, Equatable {
        /// `x · σ(1.702 x)`: OpenAI CLIP ViT-L (SDXL's `text_encoder`).
        case quickGelu = "quick_gelu"
        /// Exact erf GELU: OpenCLIP bigG (SDXL's `text_encoder_2`).
        case gelu
        /// tanh-approximated GELU (`gelu_new` / `gelu_pytorch_tanh`), for other CLIP exports.
        case geluTanh = "gelu_pytorch_tanh"
    }

    /// `vocab_size` (49408 for both SDXL encoders).
    public var vocabularySize: Int
    /// `hidden_size`: token width (768 / 1280).
    public var hiddenSize: Int
    /// `intermediate_size`: MLP width (3072 / 5120).
    public var intermediateSize: Int
    /// `num_hidden_layers` (12 / 32).
    public var layers: Int
    /// `num_attention_heads` (12 / 20; head size 64).
    public var heads: Int
    /// `max_position_embeddings`: sequence length (77).
    public var maxPositions: Int
    /// `hidden_act`.
    public var activation: Activation
    /// `layer_norm_eps` (1e-5).
    public var layerNormEps: Float
    /// `projection_dim`: width of `text_projection` (encoder 2 only).
    public var projectionDimension: Int
    /// `eos_token_id`. The published SDXL configs carry the legacy value 2, which makes
    /// transformers pool at `argmax(input_ids)` (the first highest id: `<|endoftext|>` is the
    /// largest id of the vocabulary); any other value pools at its first occurrence.
    public var eosTokenID: Int
    /// Whether the checkpoint has `text_projection` (`CLIPTextModelWithProjection`).
    public var hasProjection: Bool

    /// SDXL's `text_encoder/`: CLIP ViT-L/14 text model (123,060,480 parameters).
    public static let clipL = CLIPTextConfiguration(vocabularySize: 49408, hiddenSize: 768, intermediateSize: 3072, layers: 12,
                                                    heads: 12, maxPositions: 77, activation: .quickGelu, layerNormEps: 1e-5,
                                                    projectionDimension: 768, eosTokenID: 2, hasProjection: false)
    /// SDXL's `text_encoder_2/`: OpenCLIP ViT-bigG/14 text model with projection (694,659,840 parameters).
    public static let openCLIPBigG = CLIPTextConfiguration(vocabularySize: 49408, hiddenSize: 1280, intermediateSize: 5120, layers: 32,
                                                           heads: 20, maxPositions: 77, activation: .gelu, layerNormEps: 1e-5,
                                                           projectionDimension: 1280, eosTokenID: 2, hasProjection: true)

    /// The tiny encoders of the test fixtures (5 layers, width 32, vocabulary of `vocabularySize`).
    public static func tiny(vocabularySize: Int = 603, activation: Activation, hasProjection: Bool) -> CLIPTextConfiguration {
        CLIPTextConfiguration(vocabularySize: vocabularySize, hiddenSize: 32, intermediateSize: 37, layers: 5, heads: 4,
                              maxPositions: 77, activation: activation, layerNormEps: 1e-5, projectionDimension: 32,
                              eosTokenID: 2, hasProjection: hasProjection)
    }

    /// A configuration from explicit values (see ``clipL``, ``openCLIPBigG`` and ``tiny(vocabularySize:activation:hasProjection:)``).
    public init(vocabularySize: Int, hiddenSize: Int, intermediateSize: Int, layers: Int, heads: Int, maxPositions: Int,
                activation: Activation, layerNormEps: Float, projectionDimension: Int, eosTokenID: Int, hasProjection: Bool) {
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layers = layers
        self.heads = heads
        self.maxPositions = maxPositions
        self.activation = activation
        self.layerNormEps = layerNormEps
        self.projectionDimension = projectionDimension
        self.eosTokenID = eosTokenID
        self.hasProjection = hasProjection
    }

    /// Reads a transformers text-encoder `config.json`. `hasProjection` comes from
    /// `architectures` (`CLIPTextModelWithProjection`) unless given.
    public init(contentsOf url: URL, hasProjection: Bool? = nil) throws {
        struct File: Decodable {
            var architectures: [String]?
            var vocab_size: Int?
            var hidden_size: Int?
            var intermediate_size: Int?
            var num_hidden_layers: Int?
            var num_attention_heads: Int?
            var max_position_embeddings: Int?
            var hidden_act: String?
            var layer_norm_eps: Double?
            var projection_dim: Int?
            var eos_token_id: Int?
        }
        let file = try ConfigurationFile.decode(File.self, from: url)
        let activationName = file.hidden_act ?? "quick_gelu"
        let activation: Activation
        switch activationName {
        case "quick_gelu": activation = .quickGelu
        case "gelu": activation = .gelu
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": activation = .geluTanh
        default:
            throw ConfigurationError.unsupported(path: url.path, key: "hidden_act", value: activationName,
                                                 supported: "quick_gelu, gelu, gelu_new, gelu_pytorch_tanh")
        }
        let hidden = file.hidden_size ?? 512, heads = file.num_attention_heads ?? 8
        try ConfigurationCheck.require(heads > 0 && hidden % heads == 0, key: "num_attention_heads", path: url.path,
                                       "\(hidden) is not divisible into \(heads) heads")
        self.init(vocabularySize: file.vocab_size ?? 49408, hiddenSize: hidden, intermediateSize: file.intermediate_size ?? 2048,
                  layers: file.num_hidden_layers ?? 12, heads: heads, maxPositions: file.max_position_embeddings ?? 77,
                  activation: activation, layerNormEps: Float(file.layer_norm_eps ?? 1e-5),
                  projectionDimension: file.projection_dim ?? 512, eosTokenID: file.eos_token_id ?? 49407,
                  hasProjection: hasProjection ?? (file.architectures?.contains("CLIPTextModelWithProjection") ?? false))
    }
}

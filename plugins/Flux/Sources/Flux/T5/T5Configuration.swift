import DiffSynth
import Foundation

/// The `config.json` of a transformers `T5EncoderModel` (FLUX's `text_encoder_2/`: T5 v1.1 XXL),
/// with transformers' `T5Config` defaults for absent keys.
public struct T5Configuration: Sendable, Equatable {
    /// The feed-forward's activation (`dense_act_fn`, or what `feed_forward_proj` implies).
    public enum Activation: String, Sendable, Equatable {
        /// tanh-approximated GELU (`gelu_new`, T5 v1.1 / FLAN-T5).
        case geluTanh = "gelu_new"
        /// Exact erf GELU.
        case gelu
        /// ReLU (the original T5).
        case relu
    }

    /// `vocab_size` (32128).
    public var vocabularySize: Int
    /// `d_model` (4096 for XXL).
    public var modelDimension: Int
    /// `d_kv`: width of one head (64).
    public var headDimension: Int
    /// `d_ff` (10240).
    public var feedForwardDimension: Int
    /// `num_layers` (24).
    public var layers: Int
    /// `num_heads` (64).
    public var heads: Int
    /// `relative_attention_num_buckets` (32).
    public var relativeAttentionBuckets: Int
    /// `relative_attention_max_distance` (128).
    public var relativeAttentionMaxDistance: Int
    /// `layer_norm_epsilon` (1e-6).
    public var layerNormEps: Float
    /// Whether the feed-forward is gated (`feed_forward_proj` "gated-…": `wi_0`, `wi_1`, `wo`).
    public var isGated: Bool
    /// The feed-forward activation.
    public var activation: Activation

    /// FLUX.1's `text_encoder_2`: T5 v1.1 XXL's encoder (4,762,310,656 parameters).
    public static let xxl = T5Configuration(vocabularySize: 32128, modelDimension: 4096, headDimension: 64, feedForwardDimension: 10240,
                                            layers: 24, heads: 64, relativeAttentionBuckets: 32, relativeAttentionMaxDistance: 128,
                                            layerNormEps: 1e-6, isGated: true, activation: .geluTanh)

    /// A configuration from explicit values (see ``xxl``).
    public init(vocabularySize: Int, modelDimension: Int, headDimension: Int, feedForwardDimension: Int, layers: Int, heads: Int,
                relativeAttentionBuckets: Int, relativeAttentionMaxDistance: Int, layerNormEps: Float, isGated: Bool, activation: Activation) {
        self.vocabularySize = vocabularySize
        self.modelDimension = modelDimension
        self.headDimension = headDimension
        self.feedForwardDimension = feedForwardDimension
        self.layers = layers
        self.heads = heads
        self.relativeAttentionBuckets = relativeAttentionBuckets
        self.relativeAttentionMaxDistance = relativeAttentionMaxDistance
        self.layerNormEps = layerNormEps
        self.isGated = isGated
        self.activation = activation
    }

    /// Reads a transformers T5 `config.json`; each failure names the file and key.
    public init(contentsOf url: URL) throws {
        struct File: Decodable {
            var vocab_size: Int?
            var d_model: Int?
            var d_kv: Int?
            var d_ff: Int?
            var num_layers: Int?
            var num_heads: Int?
            var relative_attention_num_buckets: Int?
            var relative_attention_max_distance: Int?
            var layer_norm_epsilon: Double?
            var feed_forward_proj: String?
        }
        let path = url.path
        let file = try ConfigurationFile.decode(File.self, from: url)
        // transformers: "gated-gelu" means gated with gelu_new; otherwise the name is the activation.
        let projection = file.feed_forward_proj ?? "relu"
        let parts = projection.split(separator: "-").map(String.init)
        let isGated = parts.count == 2 && parts[0] == "gated"
        try ConfigurationCheck.require(parts.count == 1 || isGated, key: "feed_forward_proj", path: path,
                                       "'\(projection)' is neither '{ACT_FN}' nor 'gated-{ACT_FN}'")
        // As T5Config derives it (a stored dense_act_fn is recomputed from feed_forward_proj).
        let activationName = projection == "gated-gelu" ? "gelu_new" : (parts.last ?? "relu")
        let activation: Activation
        switch activationName {
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": activation = .geluTanh
        case "gelu": activation = .gelu
        case "relu": activation = .relu
        default:
            throw ConfigurationError.unsupported(path: path, key: "feed_forward_proj", value: activationName, supported: "gelu_new, gelu, relu")
        }
        self.init(vocabularySize: file.vocab_size ?? 32128, modelDimension: file.d_model ?? 512, headDimension: file.d_kv ?? 64,
                  feedForwardDimension: file.d_ff ?? 2048, layers: file.num_layers ?? 6, heads: file.num_heads ?? 8,
                  relativeAttentionBuckets: file.relative_attention_num_buckets ?? 32,
                  relativeAttentionMaxDistance: file.relative_attention_max_distance ?? 128,
                  layerNormEps: Float(file.layer_norm_epsilon ?? 1e-6), isGated: isGated, activation: activation)
        try ConfigurationCheck.require(relativeAttentionBuckets >= 4 && relativeAttentionMaxDistance > relativeAttentionBuckets / 4,
                                       key: "relative_attention_num_buckets", path: path,
                                       "\(relativeAttentionBuckets) buckets over a distance of \(relativeAttentionMaxDistance) leave no logarithmic range")
    }
}

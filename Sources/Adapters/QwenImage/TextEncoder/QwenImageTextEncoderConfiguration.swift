import DiffSynth
import Foundation

/// The language-model part of `text_encoder/config.json` (transformers `Qwen2_5_VLTextConfig`).
///
/// Accepts both layouts transformers reads: the nested `text_config` object that transformers 5
/// writes, and the flat layout of older saves, where the language-model keys sit at the top level
/// (transformers 5 then pops them into `text_config`). The RoPE base is looked up as transformers
/// does: `rope_scaling` (legacy) or `rope_parameters`, then `rope_theta`, then the default 1e6.
/// Missing keys take `Qwen2_5_VLTextConfig`'s defaults.
public struct QwenImageTextEncoderConfiguration: Sendable, Equatable {
    /// `vocab_size`: rows of the embedding table.
    public var vocabSize = 152064
    /// `hidden_size`: model width.
    public var hiddenSize = 8192
    /// `intermediate_size`: SwiGLU width.
    public var intermediateSize = 29568
    /// `num_hidden_layers`.
    public var numHiddenLayers = 80
    /// `num_attention_heads` (query heads).
    public var numAttentionHeads = 64
    /// Key/value heads (grouped-query attention); transformers uses `numAttentionHeads` when null.
    public var numKeyValueHeads = 8
    /// `rms_norm_eps`.
    public var rmsNormEps: Float = 1e-5
    /// RoPE base θ (`rope_parameters.rope_theta` / `rope_theta`).
    public var ropeTheta: Float = 1_000_000
    /// `hidden_act`; only SiLU is implemented.
    public var hiddenAct = "silu"
    /// The RoPE variant: "default" (Qwen2.5-VL's mRoPE reduces to it for text) is the only one implemented.
    public var ropeType = "default"
    /// Sliding-window attention (off in every Qwen2.5-VL release).
    public var useSlidingWindow = false

    /// `Qwen2_5_VLTextConfig`'s defaults.
    public init() {}

    /// Width of one attention head (transformers: hidden / heads; the config has no `head_dim`).
    public var headDimension: Int { hiddenSize / numAttentionHeads }

    /// Qwen2.5-VL-7B's language model, as in Qwen/Qwen-Image's `text_encoder/config.json`
    /// (7,070,619,136 parameters).
    public static let qwenImage: QwenImageTextEncoderConfiguration = {
        var c = QwenImageTextEncoderConfiguration()
        (c.vocabSize, c.hiddenSize, c.intermediateSize, c.numHiddenLayers) = (152064, 3584, 18944, 28)
        (c.numAttentionHeads, c.numKeyValueHeads, c.rmsNormEps) = (28, 4, 1e-6)
        return c
    }()

    /// The tiny test configuration (spec section 5): width 32, 2 layers, 4 query heads on 2 key/value heads.
    public static func tiny(vocabSize: Int) -> QwenImageTextEncoderConfiguration {
        var c = QwenImageTextEncoderConfiguration()
        (c.vocabSize, c.hiddenSize, c.intermediateSize, c.numHiddenLayers) = (vocabSize, 32, 64, 2)
        (c.numAttentionHeads, c.numKeyValueHeads, c.rmsNormEps) = (4, 2, 1e-6)
        return c
    }

    /// Reads `url` (a `config.json`), naming the file and key on error.
    public static func decode(from url: URL) throws -> QwenImageTextEncoderConfiguration {
        let file = try ConfigurationFile.decode(File.self, from: url)
        let fields = file.textConfig ?? file.flat
        var c = QwenImageTextEncoderConfiguration()
        c.vocabSize = fields.vocabSize ?? c.vocabSize
        c.hiddenSize = fields.hiddenSize ?? c.hiddenSize
        c.intermediateSize = fields.intermediateSize ?? c.intermediateSize
        c.numHiddenLayers = fields.numHiddenLayers ?? c.numHiddenLayers
        c.numAttentionHeads = fields.numAttentionHeads ?? c.numAttentionHeads
        c.numKeyValueHeads = fields.numKeyValueHeads ?? (fields.hasNullKeyValueHeads ? c.numAttentionHeads : c.numKeyValueHeads)
        c.rmsNormEps = fields.rmsNormEps ?? c.rmsNormEps
        c.hiddenAct = fields.hiddenAct ?? c.hiddenAct
        c.useSlidingWindow = fields.useSlidingWindow ?? c.useSlidingWindow
        let rope = fields.ropeScaling ?? fields.ropeParameters
        c.ropeTheta = rope?.ropeTheta ?? fields.ropeTheta ?? c.ropeTheta
        // transformers maps the legacy "mrope" type to "default".
        let type = rope?.ropeType ?? rope?.type ?? "default"
        c.ropeType = type == "mrope" ? "default" : type
        try c.validate(path: url.path)
        return c
    }

    /// Throws for settings this port does not implement or that cannot form a model.
    public func validate(path: String) throws {
        let prefix = "text_config."
        guard ropeType == "default" else {
            throw ConfigurationError.unsupported(path: path, key: prefix + "rope_parameters.rope_type", value: ropeType, supported: "default, mrope")
        }
        guard hiddenAct == "silu" else {
            throw ConfigurationError.unsupported(path: path, key: prefix + "hidden_act", value: hiddenAct, supported: "silu")
        }
        guard !useSlidingWindow else {
            throw ConfigurationError.unsupported(path: path, key: prefix + "use_sliding_window", value: "true", supported: "false")
        }
        guard hiddenSize % numAttentionHeads == 0, headDimension % 2 == 0, numAttentionHeads % numKeyValueHeads == 0 else {
            throw ConfigurationError.invalid(path: path, key: prefix + "num_attention_heads",
                                             reason: "hidden_size \(hiddenSize), \(numAttentionHeads) heads and \(numKeyValueHeads) key/value heads do not form an even head width with whole head groups")
        }
    }

    // MARK: - File layout

    private struct Rope: Decodable {
        let ropeTheta: Float?
        let ropeType: String?
        let type: String?
        enum CodingKeys: String, CodingKey { case ropeTheta = "rope_theta", ropeType = "rope_type", type }
    }

    private struct Fields: Decodable {
        let vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, numKeyValueHeads: Int?
        let hasNullKeyValueHeads: Bool
        let rmsNormEps, ropeTheta: Float?
        let hiddenAct: String?
        let useSlidingWindow: Bool?
        let ropeScaling, ropeParameters: Rope?

        enum CodingKeys: String, CodingKey {
            case vocabSize = "vocab_size", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
            case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
            case numKeyValueHeads = "num_key_value_heads", rmsNormEps = "rms_norm_eps", ropeTheta = "rope_theta"
            case hiddenAct = "hidden_act", useSlidingWindow = "use_sliding_window"
            case ropeScaling = "rope_scaling", ropeParameters = "rope_parameters"
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize)
            hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize)
            intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize)
            numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers)
            numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads)
            numKeyValueHeads = try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads)
            hasNullKeyValueHeads = c.contains(.numKeyValueHeads) && numKeyValueHeads == nil
            rmsNormEps = try c.decodeIfPresent(Float.self, forKey: .rmsNormEps)
            ropeTheta = try c.decodeIfPresent(Float.self, forKey: .ropeTheta)
            hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct)
            useSlidingWindow = try c.decodeIfPresent(Bool.self, forKey: .useSlidingWindow)
            ropeScaling = try c.decodeIfPresent(Rope.self, forKey: .ropeScaling)
            ropeParameters = try c.decodeIfPresent(Rope.self, forKey: .ropeParameters)
        }
    }

    private struct File: Decodable {
        let textConfig: Fields?
        let flat: Fields
        enum CodingKeys: String, CodingKey { case textConfig = "text_config" }
        init(from decoder: any Decoder) throws {
            textConfig = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(Fields.self, forKey: .textConfig)
            flat = try Fields(from: decoder)
        }
    }
}

import DiffSynth
import Foundation

/// The configuration of ``QwenImageTransformer2DModel``: diffusers' `transformer/config.json`.
///
/// Keys are decoded with diffusers' snake_case names; every key is optional and falls back to the
/// default of diffusers' `QwenImageTransformer2DModel.__init__`, which equals the published
/// Qwen/Qwen-Image file. Keys the class no longer takes (`pooled_projection_dim` in the published
/// file) and bookkeeping keys (`_class_name`, `_diffusers_version`) are ignored, as diffusers does.
public struct QwenImageTransformerConfiguration: Codable, Sendable, Equatable {
    /// Side of the square latent patch packed into one token (the pipeline packs 2×2).
    public var patchSize: Int = 2
    /// Channels of a packed token: latent channels × patchSize².
    public var inChannels: Int = 64
    /// Latent channels of the prediction (per patch cell); diffusers falls back to `inChannels` when null.
    public var outChannels: Int? = 16
    /// Number of dual-stream blocks.
    public var numLayers: Int = 60
    /// Width of one attention head.
    public var attentionHeadDim: Int = 128
    /// Attention heads; the model width is `numAttentionHeads × attentionHeadDim`.
    public var numAttentionHeads: Int = 24
    /// Width of the text encoder's hidden states.
    public var jointAttentionDim: Int = 3584
    /// Guidance-distilled variants only; diffusers' class has no module for it, so it must be false.
    public var guidanceEmbeds: Bool = false
    /// RoPE widths of the frame, row and column axes (sum = head width).
    public var axesDimsRope: [Int] = [16, 56, 56]
    /// Edit-model feature (per-token timestep of reference images); unsupported, must be false.
    public var zeroCondT: Bool = false
    /// Layered-model feature; unsupported, must be false.
    public var useAdditionalTCond: Bool = false
    /// Layered-model RoPE; unsupported, must be false.
    public var useLayer3dRope: Bool = false

    enum CodingKeys: String, CodingKey {
        case patchSize = "patch_size"
        case inChannels = "in_channels"
        case outChannels = "out_channels"
        case numLayers = "num_layers"
        case attentionHeadDim = "attention_head_dim"
        case numAttentionHeads = "num_attention_heads"
        case jointAttentionDim = "joint_attention_dim"
        case guidanceEmbeds = "guidance_embeds"
        case axesDimsRope = "axes_dims_rope"
        case zeroCondT = "zero_cond_t"
        case useAdditionalTCond = "use_additional_t_cond"
        case useLayer3dRope = "use_layer3d_rope"
    }

    /// The defaults (the published Qwen/Qwen-Image transformer).
    public init() {}

    /// Decodes `transformer/config.json`; absent keys keep diffusers' defaults, unknown keys are ignored.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var d = QwenImageTransformerConfiguration()
        d.patchSize = try c.decodeIfPresent(Int.self, forKey: .patchSize) ?? d.patchSize
        d.inChannels = try c.decodeIfPresent(Int.self, forKey: .inChannels) ?? d.inChannels
        // An explicit null means "same as in_channels" in diffusers; an absent key means the default 16.
        if c.contains(.outChannels) { d.outChannels = try c.decodeIfPresent(Int.self, forKey: .outChannels) }
        d.numLayers = try c.decodeIfPresent(Int.self, forKey: .numLayers) ?? d.numLayers
        d.attentionHeadDim = try c.decodeIfPresent(Int.self, forKey: .attentionHeadDim) ?? d.attentionHeadDim
        d.numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? d.numAttentionHeads
        d.jointAttentionDim = try c.decodeIfPresent(Int.self, forKey: .jointAttentionDim) ?? d.jointAttentionDim
        d.guidanceEmbeds = try c.decodeIfPresent(Bool.self, forKey: .guidanceEmbeds) ?? d.guidanceEmbeds
        d.axesDimsRope = try c.decodeIfPresent([Int].self, forKey: .axesDimsRope) ?? d.axesDimsRope
        d.zeroCondT = try c.decodeIfPresent(Bool.self, forKey: .zeroCondT) ?? d.zeroCondT
        d.useAdditionalTCond = try c.decodeIfPresent(Bool.self, forKey: .useAdditionalTCond) ?? d.useAdditionalTCond
        d.useLayer3dRope = try c.decodeIfPresent(Bool.self, forKey: .useLayer3dRope) ?? d.useLayer3dRope
        self = d
    }

    /// The published Qwen/Qwen-Image transformer (20,430,401,088 parameters in 1933 tensors).
    public static let qwenImage = QwenImageTransformerConfiguration()

    /// The tiny test configuration of the architecture spec (92,448 parameters): 2 blocks, 2 heads of
    /// 16, text width 32, RoPE axes (4, 6, 6).
    public static let tiny: QwenImageTransformerConfiguration = {
        var c = QwenImageTransformerConfiguration()
        c.numLayers = 2
        c.attentionHeadDim = 16
        c.numAttentionHeads = 2
        c.jointAttentionDim = 32
        c.axesDimsRope = [4, 6, 6]
        return c
    }()

    /// Model width: heads × head width.
    public var innerDim: Int { numAttentionHeads * attentionHeadDim }

    /// Output channels per patch cell (diffusers: `out_channels or in_channels`).
    public var resolvedOutChannels: Int { outChannels ?? inChannels }

    /// Throws ``ConfigurationError/unsupported(path:key:value:supported:)`` or
    /// ``ConfigurationError/invalid(path:key:reason:)`` for settings this port does not implement
    /// or that cannot form a model. `path` names the file in the error.
    public func validate(path: String = "transformer/config.json") throws {
        func unsupported(_ key: String, _ value: Any, _ supported: String) -> ConfigurationError {
            .unsupported(path: path, key: key, value: "\(value)", supported: supported)
        }
        if guidanceEmbeds { throw unsupported("guidance_embeds", guidanceEmbeds, "false") }
        if zeroCondT { throw unsupported("zero_cond_t", zeroCondT, "false (Qwen-Image-Edit-2511 feature)") }
        if useAdditionalTCond { throw unsupported("use_additional_t_cond", useAdditionalTCond, "false (Qwen-Image-Layered feature)") }
        if useLayer3dRope { throw unsupported("use_layer3d_rope", useLayer3dRope, "false (Qwen-Image-Layered feature)") }
        if patchSize != 2 { throw unsupported("patch_size", patchSize, "2 (the pipeline packs 2×2 patches)") }
        guard axesDimsRope.count == 3, axesDimsRope.allSatisfy({ $0 > 0 && $0 % 2 == 0 }),
              axesDimsRope.reduce(0, +) == attentionHeadDim else {
            throw ConfigurationError.invalid(path: path, key: "axes_dims_rope",
                                             reason: "\(axesDimsRope) must be three even widths summing to attention_head_dim \(attentionHeadDim)")
        }
        guard inChannels == resolvedOutChannels * patchSize * patchSize else {
            throw ConfigurationError.invalid(path: path, key: "in_channels",
                                             reason: "\(inChannels) must equal out_channels × patch_size² = \(resolvedOutChannels * patchSize * patchSize)")
        }
    }
}

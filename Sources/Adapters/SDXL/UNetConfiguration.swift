import DiffSynth
import Foundation

/// The `unet/config.json` settings of an SDXL-style `UNet2DConditionModel`, with diffusers'
/// constructor defaults for absent keys and validation of everything this port does not
/// implement (errors name the file and key).
public struct UNetConfiguration: Sendable, Equatable {
    /// The kinds of down and up blocks SDXL uses.
    public enum BlockKind: String, Sendable, Equatable {
        case down = "DownBlock2D"
        case crossAttentionDown = "CrossAttnDownBlock2D"
        case up = "UpBlock2D"
        case crossAttentionUp = "CrossAttnUpBlock2D"

        /// Whether the block pairs each resnet with a ``Transformer2DModel``.
        public var hasAttention: Bool { self == .crossAttentionDown || self == .crossAttentionUp }
    }

    /// Latent side of the default resolution (`sample_size`, 128 for SDXL).
    public var sampleSize: Int?
    /// `in_channels` (4).
    public var inChannels: Int
    /// `out_channels` (4).
    public var outChannels: Int
    /// `block_out_channels`: width per level.
    public var blockOutChannels: [Int]
    /// `down_block_types`.
    public var downBlockTypes: [BlockKind]
    /// `up_block_types`.
    public var upBlockTypes: [BlockKind]
    /// Resnets per down block (up blocks have one more).
    public var layersPerBlock: [Int]
    /// Transformer blocks per Transformer2DModel, per level (up blocks read it reversed; the mid
    /// block uses the last entry).
    public var transformerLayersPerBlock: [Int]
    /// Attention heads per level: `num_attention_heads`, or — diffusers' historic misnaming —
    /// `attention_head_dim` when that is null (as in SDXL's config).
    public var attentionHeads: [Int]
    /// Width of the text tokens (`cross_attention_dim`, 2048 for SDXL).
    public var crossAttentionDimension: Int
    /// `addition_embed_type`: "text_time" (SDXL micro-conditioning) or nil.
    public var additionEmbedType: String?
    /// Sinusoid width per time id (`addition_time_embed_dim`, 256).
    public var additionTimeEmbedDimension: Int?
    /// `projection_class_embeddings_input_dim` = 6 × time-id width + pooled text width (2816).
    public var projectionClassEmbeddingsInputDimension: Int?
    /// `norm_num_groups` (resnets, transformers, `conv_norm_out`).
    public var normGroups: Int
    /// `norm_eps` of resnets and `conv_norm_out` (transformer GroupNorms use 1e-6).
    public var normEps: Float
    /// `flip_sin_to_cos`: sinusoids as `[cos | sin]`.
    public var flipSinToCos: Bool
    /// `freq_shift` of the sinusoid frequencies.
    public var freqShift: Float
    /// `downsample_padding` of the downsampler convolutions.
    public var downsamplePadding: Int
    /// `conv_in_kernel`.
    public var convInKernel: Int
    /// `conv_out_kernel`.
    public var convOutKernel: Int
    /// `mid_block_scale_factor`: output divisor of the mid-block resnets.
    public var midBlockScaleFactor: Float
    /// `resnet_out_scale_factor`: output divisor of the other resnets.
    public var resnetOutScaleFactor: Float
    /// Width of `emb` (`time_embedding_dim`, default 4 × the first block width).
    public var timeEmbeddingDimension: Int

    /// Number of levels.
    public var levels: Int { blockOutChannels.count }
    /// Overall downsampling factor of the encoder half (2 per downsampler).
    public var downsamplingFactor: Int { 1 << (levels - 1) }

    /// SDXL base 1.0 (and SDXL-Turbo), as published.
    public static let sdxlBase = UNetConfiguration(
        sampleSize: 128, inChannels: 4, outChannels: 4, blockOutChannels: [320, 640, 1280],
        downBlockTypes: [.down, .crossAttentionDown, .crossAttentionDown], upBlockTypes: [.crossAttentionUp, .crossAttentionUp, .up],
        layersPerBlock: [2, 2, 2], transformerLayersPerBlock: [1, 2, 10], attentionHeads: [5, 10, 20],
        crossAttentionDimension: 2048, additionEmbedType: "text_time", additionTimeEmbedDimension: 256,
        projectionClassEmbeddingsInputDimension: 2816, normGroups: 32, normEps: 1e-5, flipSinToCos: true, freqShift: 0,
        downsamplePadding: 1, convInKernel: 3, convOutKernel: 3, midBlockScaleFactor: 1, resnetOutScaleFactor: 1,
        timeEmbeddingDimension: 1280)

    /// The spec's tiny "config A" (2 levels, 32/64 channels, head size 16; 1,976,516 parameters).
    public static let tiny = UNetConfiguration(
        sampleSize: 32, inChannels: 4, outChannels: 4, blockOutChannels: [32, 64],
        downBlockTypes: [.down, .crossAttentionDown], upBlockTypes: [.crossAttentionUp, .up],
        layersPerBlock: [2, 2], transformerLayersPerBlock: [1, 2], attentionHeads: [2, 4],
        crossAttentionDimension: 64, additionEmbedType: "text_time", additionTimeEmbedDimension: 8,
        projectionClassEmbeddingsInputDimension: 80, normGroups: 32, normEps: 1e-5, flipSinToCos: true, freqShift: 0,
        downsamplePadding: 1, convInKernel: 3, convOutKernel: 3, midBlockScaleFactor: 1, resnetOutScaleFactor: 1,
        timeEmbeddingDimension: 128)

    /// A configuration from explicit values (see ``sdxlBase`` and ``tiny``).
    public init(sampleSize: Int?, inChannels: Int, outChannels: Int, blockOutChannels: [Int], downBlockTypes: [BlockKind],
                upBlockTypes: [BlockKind], layersPerBlock: [Int], transformerLayersPerBlock: [Int], attentionHeads: [Int],
                crossAttentionDimension: Int, additionEmbedType: String?, additionTimeEmbedDimension: Int?,
                projectionClassEmbeddingsInputDimension: Int?, normGroups: Int, normEps: Float, flipSinToCos: Bool,
                freqShift: Float, downsamplePadding: Int, convInKernel: Int, convOutKernel: Int, midBlockScaleFactor: Float,
                resnetOutScaleFactor: Float, timeEmbeddingDimension: Int) {
        self.sampleSize = sampleSize
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.blockOutChannels = blockOutChannels
        self.downBlockTypes = downBlockTypes
        self.upBlockTypes = upBlockTypes
        self.layersPerBlock = layersPerBlock
        self.transformerLayersPerBlock = transformerLayersPerBlock
        self.attentionHeads = attentionHeads
        self.crossAttentionDimension = crossAttentionDimension
        self.additionEmbedType = additionEmbedType
        self.additionTimeEmbedDimension = additionTimeEmbedDimension
        self.projectionClassEmbeddingsInputDimension = projectionClassEmbeddingsInputDimension
        self.normGroups = normGroups
        self.normEps = normEps
        self.flipSinToCos = flipSinToCos
        self.freqShift = freqShift
        self.downsamplePadding = downsamplePadding
        self.convInKernel = convInKernel
        self.convOutKernel = convOutKernel
        self.midBlockScaleFactor = midBlockScaleFactor
        self.resnetOutScaleFactor = resnetOutScaleFactor
        self.timeEmbeddingDimension = timeEmbeddingDimension
    }

    /// Reads and validates a diffusers `unet/config.json`.
    public init(contentsOf url: URL) throws {
        let file = try ConfigurationFile.decode(File.self, from: url)
        try self.init(file, path: url.path)
    }

    // MARK: - Decoding

    /// The JSON as written, every key optional (diffusers fills absent or null keys with defaults).
    struct File: Decodable {
        var _class_name: String?
        var sample_size: Int?
        var in_channels: Int?
        var out_channels: Int?
        var center_input_sample: Bool?
        var flip_sin_to_cos: Bool?
        var freq_shift: Double?
        var down_block_types: [String]?
        var mid_block_type: String?
        var up_block_types: [String]?
        var only_cross_attention: Bool?
        var block_out_channels: [Int]?
        var layers_per_block: IntOrList?
        var downsample_padding: Int?
        var mid_block_scale_factor: Double?
        var act_fn: String?
        var norm_num_groups: Int?
        var norm_eps: Double?
        var cross_attention_dim: IntOrList?
        var transformer_layers_per_block: IntOrList?
        var reverse_transformer_layers_per_block: [[Int]]?
        var encoder_hid_dim: Int?
        var encoder_hid_dim_type: String?
        var attention_head_dim: IntOrList?
        var num_attention_heads: IntOrList?
        var dual_cross_attention: Bool?
        var use_linear_projection: Bool?
        var class_embed_type: String?
        var addition_embed_type: String?
        var addition_time_embed_dim: Int?
        var num_class_embeds: Int?
        var resnet_time_scale_shift: String?
        var resnet_skip_time_act: Bool?
        var resnet_out_scale_factor: Double?
        var time_embedding_type: String?
        var time_embedding_dim: Int?
        var time_embedding_act_fn: String?
        var timestep_post_act: String?
        var time_cond_proj_dim: Int?
        var conv_in_kernel: Int?
        var conv_out_kernel: Int?
        var projection_class_embeddings_input_dim: Int?
        var attention_type: String?
        var class_embeddings_concat: Bool?
        var mid_block_only_cross_attention: Bool?
        var cross_attention_norm: String?
    }

    init(_ file: File, path: String) throws {
        typealias Check = ConfigurationCheck
        let blocks = file.block_out_channels ?? [320, 640, 1280, 1280]
        let downTypes = file.down_block_types ?? ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"]
        let upTypes = file.up_block_types ?? ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]
        try Check.require(!blocks.isEmpty, key: "block_out_channels", path: path, "is empty")
        try Check.require(downTypes.count == blocks.count, key: "down_block_types", path: path,
                          "has \(downTypes.count) entries for \(blocks.count) block_out_channels")
        try Check.require(upTypes.count == blocks.count, key: "up_block_types", path: path,
                          "has \(upTypes.count) entries for \(blocks.count) block_out_channels")
        let down = try downTypes.map { name -> BlockKind in
            try Check.require(name, in: [BlockKind.down.rawValue, BlockKind.crossAttentionDown.rawValue], key: "down_block_types", path: path)
            return BlockKind(rawValue: name)!
        }
        let up = try upTypes.map { name -> BlockKind in
            try Check.require(name, in: [BlockKind.up.rawValue, BlockKind.crossAttentionUp.rawValue], key: "up_block_types", path: path)
            return BlockKind(rawValue: name)!
        }
        try Check.require(file.mid_block_type ?? "UNetMidBlock2DCrossAttn", in: ["UNetMidBlock2DCrossAttn"], key: "mid_block_type", path: path)
        try Check.require(file.use_linear_projection ?? false, in: [true], key: "use_linear_projection", path: path)
        try Check.require(file.act_fn ?? "silu", in: ["silu"], key: "act_fn", path: path)
        try Check.require(file.time_embedding_type ?? "positional", in: ["positional"], key: "time_embedding_type", path: path)
        try Check.require(file.resnet_time_scale_shift ?? "default", in: ["default"], key: "resnet_time_scale_shift", path: path)
        try Check.require(file.attention_type ?? "default", in: ["default"], key: "attention_type", path: path)
        for (key, value) in [("center_input_sample", file.center_input_sample), ("only_cross_attention", file.only_cross_attention),
                             ("dual_cross_attention", file.dual_cross_attention), ("resnet_skip_time_act", file.resnet_skip_time_act),
                             ("class_embeddings_concat", file.class_embeddings_concat),
                             ("mid_block_only_cross_attention", file.mid_block_only_cross_attention)] {
            try Check.require(value ?? false, in: [false], key: key, path: path)
        }
        try Check.requireAbsent(file.class_embed_type, key: "class_embed_type", path: path)
        try Check.requireAbsent(file.num_class_embeds, key: "num_class_embeds", path: path)
        try Check.requireAbsent(file.encoder_hid_dim, key: "encoder_hid_dim", path: path)
        try Check.requireAbsent(file.encoder_hid_dim_type, key: "encoder_hid_dim_type", path: path)
        try Check.requireAbsent(file.time_embedding_act_fn, key: "time_embedding_act_fn", path: path)
        try Check.requireAbsent(file.timestep_post_act, key: "timestep_post_act", path: path)
        try Check.requireAbsent(file.time_cond_proj_dim, key: "time_cond_proj_dim", path: path)
        try Check.requireAbsent(file.reverse_transformer_layers_per_block, key: "reverse_transformer_layers_per_block", path: path)
        try Check.requireAbsent(file.cross_attention_norm, key: "cross_attention_norm", path: path)

        let crossAttention = try (file.cross_attention_dim ?? .single(1280)).perBlock(blocks.count, key: "cross_attention_dim", path: path)
        try Check.require(Set(crossAttention).count == 1, key: "cross_attention_dim", path: path, "differs between blocks (unsupported)")
        let heads = try (file.num_attention_heads ?? file.attention_head_dim ?? .single(8))
            .perBlock(blocks.count, key: file.num_attention_heads == nil ? "attention_head_dim" : "num_attention_heads", path: path)
        for (channels, count) in zip(blocks, heads) {
            try Check.require(count > 0 && channels % count == 0, key: "attention_head_dim", path: path,
                              "\(channels) channels do not split into \(count) heads")
        }
        let groups = file.norm_num_groups ?? 32
        for channels in blocks {
            try Check.require(channels % groups == 0, key: "norm_num_groups", path: path, "\(channels) channels do not split into \(groups) groups")
        }
        let addition = file.addition_embed_type
        if let addition {
            try Check.require(addition, in: ["text_time"], key: "addition_embed_type", path: path)
            try Check.require(file.addition_time_embed_dim != nil, key: "addition_time_embed_dim", path: path, "missing for text_time")
            try Check.require(file.projection_class_embeddings_input_dim != nil, key: "projection_class_embeddings_input_dim",
                              path: path, "missing for text_time")
        }
        let inKernel = file.conv_in_kernel ?? 3, outKernel = file.conv_out_kernel ?? 3
        try Check.require(inKernel % 2 == 1, key: "conv_in_kernel", path: path, "must be odd")
        try Check.require(outKernel % 2 == 1, key: "conv_out_kernel", path: path, "must be odd")
        self.init(
            sampleSize: file.sample_size, inChannels: file.in_channels ?? 4, outChannels: file.out_channels ?? 4,
            blockOutChannels: blocks, downBlockTypes: down, upBlockTypes: up,
            layersPerBlock: try (file.layers_per_block ?? .single(2)).perBlock(blocks.count, key: "layers_per_block", path: path),
            transformerLayersPerBlock: try (file.transformer_layers_per_block ?? .single(1))
                .perBlock(blocks.count, key: "transformer_layers_per_block", path: path),
            attentionHeads: heads, crossAttentionDimension: crossAttention[0], additionEmbedType: addition,
            additionTimeEmbedDimension: file.addition_time_embed_dim,
            projectionClassEmbeddingsInputDimension: file.projection_class_embeddings_input_dim,
            normGroups: groups, normEps: Float(file.norm_eps ?? 1e-5), flipSinToCos: file.flip_sin_to_cos ?? true,
            freqShift: Float(file.freq_shift ?? 0), downsamplePadding: file.downsample_padding ?? 1,
            convInKernel: inKernel, convOutKernel: outKernel,
            midBlockScaleFactor: Float(file.mid_block_scale_factor ?? 1), resnetOutScaleFactor: Float(file.resnet_out_scale_factor ?? 1),
            timeEmbeddingDimension: file.time_embedding_dim ?? 4 * blocks[0])
    }
}

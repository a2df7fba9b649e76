import DiffSynth
import Foundation

/// The `transformer/config.json` of a diffusers `FluxTransformer2DModel`, with diffusers'
/// constructor defaults (FLUX.1's published sizes) for absent keys.
public struct FluxTransformerConfiguration: Sendable, Equatable {
    /// `patch_size` (1: the pipeline packs 2×2 latent patches itself).
    public var patchSize: Int
    /// `in_channels`: packed patch width, 4 × the VAE's latent channels (64).
    public var inChannels: Int
    /// `out_channels` (nil: `in_channels`).
    public var outChannels: Int?
    /// `num_layers`: double-stream blocks (19).
    public var numLayers: Int
    /// `num_single_layers`: single-stream blocks (38).
    public var numSingleLayers: Int
    /// `attention_head_dim` (128).
    public var attentionHeadDim: Int
    /// `num_attention_heads` (24).
    public var numAttentionHeads: Int
    /// `joint_attention_dim`: the T5 encoder's width (4096).
    public var jointAttentionDim: Int
    /// `pooled_projection_dim`: the CLIP encoder's pooled width (768).
    public var pooledProjectionDim: Int
    /// `guidance_embeds`: FLUX.1-dev's embedded guidance (true), schnell has none (false).
    public var guidanceEmbeds: Bool
    /// `axes_dims_rope`: RoPE widths of the (text/index, row, column) position axes, summing to the head width.
    public var axesDimsRope: [Int]

    /// Model width: heads × head width (3072).
    public var innerDim: Int { numAttentionHeads * attentionHeadDim }
    /// Output channels per patch cell.
    public var resolvedOutChannels: Int { outChannels ?? inChannels }

    /// FLUX.1-dev's transformer (11,901,408,320 parameters).
    public static let dev = FluxTransformerConfiguration(guidanceEmbeds: true)
    /// FLUX.1-schnell's transformer (no guidance embedding; 11,891,178,560 parameters).
    public static let schnell = FluxTransformerConfiguration(guidanceEmbeds: false)

    /// A configuration from explicit values; the defaults are FLUX.1's.
    public init(patchSize: Int = 1, inChannels: Int = 64, outChannels: Int? = nil, numLayers: Int = 19, numSingleLayers: Int = 38,
                attentionHeadDim: Int = 128, numAttentionHeads: Int = 24, jointAttentionDim: Int = 4096,
                pooledProjectionDim: Int = 768, guidanceEmbeds: Bool = false, axesDimsRope: [Int] = [16, 56, 56]) {
        self.patchSize = patchSize
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.numLayers = numLayers
        self.numSingleLayers = numSingleLayers
        self.attentionHeadDim = attentionHeadDim
        self.numAttentionHeads = numAttentionHeads
        self.jointAttentionDim = jointAttentionDim
        self.pooledProjectionDim = pooledProjectionDim
        self.guidanceEmbeds = guidanceEmbeds
        self.axesDimsRope = axesDimsRope
    }

    /// Reads and checks a diffusers `transformer/config.json`; each failure names the file and key.
    public init(contentsOf url: URL) throws {
        struct File: Decodable {
            var patch_size: Int?
            var in_channels: Int?
            var out_channels: Int?
            var num_layers: Int?
            var num_single_layers: Int?
            var attention_head_dim: Int?
            var num_attention_heads: Int?
            var joint_attention_dim: Int?
            var pooled_projection_dim: Int?
            var guidance_embeds: Bool?
            var axes_dims_rope: [Int]?
        }
        let path = url.path
        let file = try ConfigurationFile.decode(File.self, from: url)
        let d = FluxTransformerConfiguration()
        self.init(patchSize: file.patch_size ?? d.patchSize, inChannels: file.in_channels ?? d.inChannels, outChannels: file.out_channels,
                  numLayers: file.num_layers ?? d.numLayers, numSingleLayers: file.num_single_layers ?? d.numSingleLayers,
                  attentionHeadDim: file.attention_head_dim ?? d.attentionHeadDim,
                  numAttentionHeads: file.num_attention_heads ?? d.numAttentionHeads,
                  jointAttentionDim: file.joint_attention_dim ?? d.jointAttentionDim,
                  pooledProjectionDim: file.pooled_projection_dim ?? d.pooledProjectionDim,
                  guidanceEmbeds: file.guidance_embeds ?? d.guidanceEmbeds, axesDimsRope: file.axes_dims_rope ?? d.axesDimsRope)
        // The pipeline packs 2×2 patches itself; a transformer that patches again is another model.
        try ConfigurationCheck.require(patchSize, in: [1], key: "patch_size", path: path)
        try ConfigurationCheck.require(inChannels > 0 && inChannels % 4 == 0, key: "in_channels", path: path,
                                       "\(inChannels) is not 4 × the VAE's latent channels")
        try ConfigurationCheck.require(attentionHeadDim > 0 && numAttentionHeads > 0, key: "num_attention_heads", path: path,
                                       "heads and head width must be positive")
        try ConfigurationCheck.require(axesDimsRope.count == 3 && axesDimsRope.allSatisfy { $0 > 0 && $0 % 2 == 0 }, key: "axes_dims_rope",
                                       path: path, "needs three even widths (index, row, column), got \(axesDimsRope)")
        try ConfigurationCheck.require(axesDimsRope.reduce(0, +) == attentionHeadDim, key: "axes_dims_rope", path: path,
                                       "\(axesDimsRope) sums to \(axesDimsRope.reduce(0, +)), not attention_head_dim \(attentionHeadDim)")
    }
}

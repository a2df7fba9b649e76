import Foundation

/// The `vae/config.json` of a diffusers `AutoencoderKL` (SDXL's and FLUX's VAE), with diffusers'
/// constructor defaults for absent keys.
public struct AutoencoderKLConfiguration: Sendable, Equatable {
    /// `in_channels`: image channels (3).
    public var inChannels: Int
    /// `out_channels`: decoded image channels (3).
    public var outChannels: Int
    /// `latent_channels` (4).
    public var latentChannels: Int
    /// Encoder widths per level; the decoder uses them reversed.
    public var blockOutChannels: [Int]
    /// Resnets per encoder block (decoder blocks have one more).
    public var layersPerBlock: Int
    /// `norm_num_groups` of every GroupNorm (eps is always 1e-6 in this VAE).
    public var normGroups: Int
    /// Latents are `(z − shift) · scalingFactor` (0.13025 for SDXL, no shift).
    public var scalingFactor: Float
    /// `shift_factor` (null for SDXL).
    public var shiftFactor: Float?
    /// Per-channel latent statistics some VAEs publish (`latents_mean` / `latents_std`; null for SDXL).
    public var latentsMean: [Float]?
    /// `latents_std`, paired with ``latentsMean``.
    public var latentsStandardDeviation: [Float]?
    /// `use_quant_conv`: whether `quant_conv` exists.
    public var useQuantConv: Bool
    /// `use_post_quant_conv`: whether `post_quant_conv` exists.
    public var usePostQuantConv: Bool
    /// `mid_block_add_attention`: whether the mid blocks have their attention.
    public var midBlockAddAttention: Bool
    /// Image side of the default resolution (`sample_size`).
    public var sampleSize: Int
    /// diffusers runs this VAE in Float32 even when the weights are Float16 (SDXL's VAE
    /// overflows in fp16). Compute here is always Float32, so this is informational.
    public var forceUpcast: Bool

    /// Pixels per latent cell: 2^(levels − 1) (8 for SDXL).
    public var spatialScaleFactor: Int { 1 << (blockOutChannels.count - 1) }

    /// SDXL base 1.0 / SDXL-Turbo (83,653,863 parameters).
    public static let sdxl = AutoencoderKLConfiguration(
        inChannels: 3, outChannels: 3, latentChannels: 4, blockOutChannels: [128, 256, 512, 512], layersPerBlock: 2,
        normGroups: 32, scalingFactor: 0.13025, shiftFactor: nil, latentsMean: nil, latentsStandardDeviation: nil,
        useQuantConv: true, usePostQuantConv: true, midBlockAddAttention: true, sampleSize: 1024, forceUpcast: true)

    /// The spec's tiny "config A" VAE (2 levels, 32/64 channels, factor 2; 843,847 parameters).
    public static let tiny = AutoencoderKLConfiguration(
        inChannels: 3, outChannels: 3, latentChannels: 4, blockOutChannels: [32, 64], layersPerBlock: 2,
        normGroups: 32, scalingFactor: 0.13025, shiftFactor: nil, latentsMean: nil, latentsStandardDeviation: nil,
        useQuantConv: true, usePostQuantConv: true, midBlockAddAttention: true, sampleSize: 64, forceUpcast: true)

    /// A configuration from explicit values (see ``sdxl`` and ``tiny`` for the published and test ones).
    public init(inChannels: Int, outChannels: Int, latentChannels: Int, blockOutChannels: [Int], layersPerBlock: Int,
                normGroups: Int, scalingFactor: Float, shiftFactor: Float?, latentsMean: [Float]?, latentsStandardDeviation: [Float]?,
                useQuantConv: Bool, usePostQuantConv: Bool, midBlockAddAttention: Bool, sampleSize: Int, forceUpcast: Bool) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.latentChannels = latentChannels
        self.blockOutChannels = blockOutChannels
        self.layersPerBlock = layersPerBlock
        self.normGroups = normGroups
        self.scalingFactor = scalingFactor
        self.shiftFactor = shiftFactor
        self.latentsMean = latentsMean
        self.latentsStandardDeviation = latentsStandardDeviation
        self.useQuantConv = useQuantConv
        self.usePostQuantConv = usePostQuantConv
        self.midBlockAddAttention = midBlockAddAttention
        self.sampleSize = sampleSize
        self.forceUpcast = forceUpcast
    }

    /// Reads and validates a diffusers `vae/config.json`.
    public init(contentsOf url: URL) throws {
        struct File: Decodable {
            var in_channels: Int?
            var out_channels: Int?
            var latent_channels: Int?
            var block_out_channels: [Int]?
            var down_block_types: [String]?
            var up_block_types: [String]?
            var layers_per_block: Int?
            var act_fn: String?
            var norm_num_groups: Int?
            var scaling_factor: Double?
            var shift_factor: Double?
            var latents_mean: [Double]?
            var latents_std: [Double]?
            var use_quant_conv: Bool?
            var use_post_quant_conv: Bool?
            var mid_block_add_attention: Bool?
            var sample_size: IntOrList?
            var force_upcast: Bool?
        }
        let path = url.path
        let file = try ConfigurationFile.decode(File.self, from: url)
        let blocks = file.block_out_channels ?? [64]
        try ConfigurationCheck.require(!blocks.isEmpty, key: "block_out_channels", path: path, "is empty")
        for name in file.down_block_types ?? [] {
            try ConfigurationCheck.require(name, in: ["DownEncoderBlock2D"], key: "down_block_types", path: path)
        }
        for name in file.up_block_types ?? [] {
            try ConfigurationCheck.require(name, in: ["UpDecoderBlock2D"], key: "up_block_types", path: path)
        }
        try ConfigurationCheck.require((file.down_block_types ?? blocks.map { _ in "" }).count == blocks.count, key: "down_block_types",
                                       path: path, "needs one entry per block_out_channels entry")
        try ConfigurationCheck.require((file.up_block_types ?? blocks.map { _ in "" }).count == blocks.count, key: "up_block_types",
                                       path: path, "needs one entry per block_out_channels entry")
        try ConfigurationCheck.require(file.act_fn ?? "silu", in: ["silu"], key: "act_fn", path: path)
        let groups = file.norm_num_groups ?? 32
        for channels in blocks {
            try ConfigurationCheck.require(channels % groups == 0, key: "norm_num_groups", path: path,
                                           "\(channels) channels do not split into \(groups) groups")
        }
        let latent = file.latent_channels ?? 4
        if let mean = file.latents_mean {
            try ConfigurationCheck.require(mean.count == latent, key: "latents_mean", path: path, "needs \(latent) entries")
        }
        if let std = file.latents_std {
            try ConfigurationCheck.require(std.count == latent, key: "latents_std", path: path, "needs \(latent) entries")
        }
        let sampleSize: Int
        switch file.sample_size {
        case .single(let side): sampleSize = side
        case .list(let sides): sampleSize = sides.first ?? 32
        case nil: sampleSize = 32
        }
        self.init(inChannels: file.in_channels ?? 3, outChannels: file.out_channels ?? 3, latentChannels: latent,
                  blockOutChannels: blocks, layersPerBlock: file.layers_per_block ?? 1, normGroups: groups,
                  scalingFactor: Float(file.scaling_factor ?? 0.18215), shiftFactor: file.shift_factor.map(Float.init),
                  latentsMean: file.latents_mean?.map(Float.init), latentsStandardDeviation: file.latents_std?.map(Float.init),
                  useQuantConv: file.use_quant_conv ?? true, usePostQuantConv: file.use_post_quant_conv ?? true,
                  midBlockAddAttention: file.mid_block_add_attention ?? true, sampleSize: sampleSize,
                  forceUpcast: file.force_upcast ?? true)
    }
}

import DiffSynth

/// The configuration of ``AutoencoderKLQwenImage``: diffusers' `vae/config.json`, snake_case keys,
/// defaults of `AutoencoderKLQwenImage.__init__` (which equal the published Qwen/Qwen-Image file).
public struct QwenImageVAEConfiguration: Codable, Sendable, Equatable {
    /// `base_dim`: width of the first stage.
    public var baseDim = 96
    /// `z_dim`: latent channels.
    public var zDim = 16
    /// `dim_mult`: width multipliers of the stages.
    public var dimMult = [1, 2, 4, 4]
    /// `num_res_blocks` per encoder stage (the decoder has one more).
    public var numResBlocks = 2
    /// Resolution scales (1, 0.5, …) whose encoder stages get attention blocks; empty for Qwen-Image.
    public var attnScales: [Double] = []
    /// Which encoder stages also downsample in time (sic, "temperal" as in the reference); the
    /// decoder upsamples in time on the reversed list. Irrelevant for single images.
    public var temperalDownsample = [false, true, true]
    /// `dropout` (0 in every release; identity at inference).
    public var dropout: Double = 0
    /// `input_channels`: image channels.
    public var inputChannels = 3
    /// Per-channel statistics of the latents: the pipeline normalises `(z − mean) / std`.
    public var latentsMean: [Float] = [-0.7571, -0.7089, -0.9113, 0.1075, -0.1745, 0.9653, -0.1517, 1.5508,
                                       0.4134, -0.0715, 0.5517, -0.3632, -0.1922, -0.9497, 0.2503, -0.2921]
    /// Per-channel standard deviations of the latents.
    public var latentsStd: [Float] = [2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743,
                                      3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.9160]

    enum CodingKeys: String, CodingKey {
        case baseDim = "base_dim", zDim = "z_dim", dimMult = "dim_mult", numResBlocks = "num_res_blocks"
        case attnScales = "attn_scales", temperalDownsample = "temperal_downsample", dropout
        case inputChannels = "input_channels", latentsMean = "latents_mean", latentsStd = "latents_std"
    }

    /// The defaults (the published Qwen/Qwen-Image VAE).
    public init() {}

    /// Decodes `vae/config.json`; absent keys keep their defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var d = QwenImageVAEConfiguration()
        d.baseDim = try c.decodeIfPresent(Int.self, forKey: .baseDim) ?? d.baseDim
        d.zDim = try c.decodeIfPresent(Int.self, forKey: .zDim) ?? d.zDim
        d.dimMult = try c.decodeIfPresent([Int].self, forKey: .dimMult) ?? d.dimMult
        d.numResBlocks = try c.decodeIfPresent(Int.self, forKey: .numResBlocks) ?? d.numResBlocks
        d.attnScales = try c.decodeIfPresent([Double].self, forKey: .attnScales) ?? d.attnScales
        d.temperalDownsample = try c.decodeIfPresent([Bool].self, forKey: .temperalDownsample) ?? d.temperalDownsample
        d.dropout = try c.decodeIfPresent(Double.self, forKey: .dropout) ?? d.dropout
        d.inputChannels = try c.decodeIfPresent(Int.self, forKey: .inputChannels) ?? d.inputChannels
        d.latentsMean = try c.decodeIfPresent([Float].self, forKey: .latentsMean) ?? d.latentsMean
        d.latentsStd = try c.decodeIfPresent([Float].self, forKey: .latentsStd) ?? d.latentsStd
        self = d
    }

    /// The published Qwen/Qwen-Image VAE (126,892,531 parameters in 194 tensors).
    public static let qwenImage = QwenImageVAEConfiguration()

    /// The tiny test configuration (spec section 5): base width 8, real depth, z 16, real statistics.
    public static let tiny: QwenImageVAEConfiguration = {
        var c = QwenImageVAEConfiguration()
        c.baseDim = 8
        return c
    }()

    /// Pixels per latent cell (diffusers: `2 ** len(temperal_downsample)`).
    public var spatialScaleFactor: Int { 1 << temperalDownsample.count }

    /// Throws when the configuration cannot form the network.
    public func validate(path: String = "vae/config.json") throws {
        guard temperalDownsample.count == dimMult.count - 1 else {
            throw ConfigurationError.invalid(path: path, key: "temperal_downsample",
                                             reason: "\(temperalDownsample.count) entries for \(dimMult.count) stages (needs one fewer)")
        }
        guard latentsMean.count == zDim, latentsStd.count == zDim, latentsStd.allSatisfy({ $0 > 0 }) else {
            throw ConfigurationError.invalid(path: path, key: "latents_std", reason: "latents_mean/latents_std need \(zDim) values (std > 0)")
        }
        guard baseDim % 2 == 0 else {
            throw ConfigurationError.invalid(path: path, key: "base_dim", reason: "\(baseDim) must be even (upsampling halves channels)")
        }
    }
}

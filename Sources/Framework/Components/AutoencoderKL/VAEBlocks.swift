/// The VAE's mid-block attention (diffusers `Attention` built with `_from_deprecated_attn_block`):
/// `group_norm` (eps 1e-6), one head as wide as the channels, `to_q`/`to_k`/`to_v`/`to_out.0`
/// with biases over the `H·W` pixels, plus the input (residual connection).
final class VAEAttention: Module {
    let groupNorm: GroupNorm
    let attention: DiffusersAttention

    init(_ scope: ParameterScope, channels: Int, groups: Int) {
        groupNorm = GroupNorm(scope["group_norm"], groups: groups, channels: channels, eps: 1e-6)
        attention = DiffusersAttention(scope, queryDimension: channels, heads: 1, headDimension: channels, projectionBias: true)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        let (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let tokens = groupNorm(x).reshaped([batch, channels, height * width]).transposed(1, 2)
        let attended = attention(tokens).transposed(1, 2).reshaped(x.shape)
        return attended + x
    }
}

/// `UNetMidBlock2D` of the VAE: resnet, optional attention, resnet (no time embedding, eps 1e-6).
final class VAEMidBlock: Module {
    let resnets: [ResnetBlock2D]
    let attentions: [VAEAttention]

    init(_ scope: ParameterScope, channels: Int, groups: Int, addAttention: Bool) {
        resnets = (0..<2).map {
            ResnetBlock2D(scope["resnets"][$0], inChannels: channels, outChannels: channels, timeEmbeddingChannels: nil,
                          groups: groups, eps: 1e-6)
        }
        attentions = addAttention ? [VAEAttention(scope["attentions"][0], channels: channels, groups: groups)] : []
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var h = resnets[0](x)
        if let attention = attentions.first { h = attention(h) }
        return resnets[1](h)
    }
}

/// The VAE encoder: `conv_in`, `DownEncoderBlock2D`s (resnets, then a right/bottom-padded
/// stride-2 downsampler except at the last level), mid block, `conv_norm_out` → SiLU →
/// `conv_out` to `2 · latent_channels` (mean and log-variance).
final class VAEEncoder: Module {
    let convIn: Conv2d
    let downBlocks: [(resnets: [ResnetBlock2D], downsampler: Downsample2D?)]
    let midBlock: VAEMidBlock
    let convNormOut: GroupNorm
    let convOut: Conv2d

    init(_ scope: ParameterScope, configuration c: AutoencoderKLConfiguration) {
        let widths = c.blockOutChannels
        convIn = Conv2d(scope["conv_in"], inChannels: c.inChannels, outChannels: widths[0], kernelSize: (3, 3), padding: (1, 1))
        var output = widths[0]
        downBlocks = widths.indices.map { i in
            let input = output
            output = widths[i]
            let block = scope["down_blocks"][i]
            let resnets = (0..<c.layersPerBlock).map { j in
                ResnetBlock2D(block["resnets"][j], inChannels: j == 0 ? input : output, outChannels: output,
                              timeEmbeddingChannels: nil, groups: c.normGroups, eps: 1e-6)
            }
            let downsampler = i < widths.count - 1 ? Downsample2D(block["downsamplers"][0], channels: output, padding: 0) : nil
            return (resnets, downsampler)
        }
        midBlock = VAEMidBlock(scope["mid_block"], channels: widths[widths.count - 1], groups: c.normGroups,
                               addAttention: c.midBlockAddAttention)
        convNormOut = GroupNorm(scope["conv_norm_out"], groups: c.normGroups, channels: widths[widths.count - 1], eps: 1e-6)
        convOut = Conv2d(scope["conv_out"], inChannels: widths[widths.count - 1], outChannels: 2 * c.latentChannels,
                         kernelSize: (3, 3), padding: (1, 1))
    }

    func callAsFunction(_ image: Tensor) -> Tensor {
        var h = convIn(image)
        for block in downBlocks {
            for resnet in block.resnets { h = resnet(h) }
            if let downsampler = block.downsampler { h = downsampler(h) }
        }
        return convOut(convNormOut(midBlock(h)).silu())
    }
}

/// The VAE decoder: `conv_in`, mid block, `UpDecoderBlock2D`s (resnets over the reversed widths,
/// then a 2× nearest upsampler + conv except at the last level), `conv_norm_out` → SiLU → `conv_out`.
final class VAEDecoder: Module {
    let convIn: Conv2d
    let midBlock: VAEMidBlock
    let upBlocks: [(resnets: [ResnetBlock2D], upsampler: Upsample2D?)]
    let convNormOut: GroupNorm
    let convOut: Conv2d

    init(_ scope: ParameterScope, configuration c: AutoencoderKLConfiguration) {
        let widths = Array(c.blockOutChannels.reversed())
        convIn = Conv2d(scope["conv_in"], inChannels: c.latentChannels, outChannels: widths[0], kernelSize: (3, 3), padding: (1, 1))
        midBlock = VAEMidBlock(scope["mid_block"], channels: widths[0], groups: c.normGroups, addAttention: c.midBlockAddAttention)
        var output = widths[0]
        upBlocks = widths.indices.map { i in
            let previous = output
            output = widths[i]
            let block = scope["up_blocks"][i]
            let resnets = (0...c.layersPerBlock).map { j in
                ResnetBlock2D(block["resnets"][j], inChannels: j == 0 ? previous : output, outChannels: output,
                              timeEmbeddingChannels: nil, groups: c.normGroups, eps: 1e-6)
            }
            let upsampler = i < widths.count - 1 ? Upsample2D(block["upsamplers"][0], channels: output) : nil
            return (resnets, upsampler)
        }
        convNormOut = GroupNorm(scope["conv_norm_out"], groups: c.normGroups, channels: widths[widths.count - 1], eps: 1e-6)
        convOut = Conv2d(scope["conv_out"], inChannels: widths[widths.count - 1], outChannels: c.outChannels,
                         kernelSize: (3, 3), padding: (1, 1))
    }

    func callAsFunction(_ latents: Tensor) -> Tensor {
        var h = midBlock(convIn(latents))
        for block in upBlocks {
            for resnet in block.resnets { h = resnet(h) }
            if let upsampler = block.upsampler { h = upsampler(h) }
        }
        return convOut(convNormOut(h).silu())
    }
}

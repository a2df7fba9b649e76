import DiffSynth

/// A UNet down block (`DownBlock2D` or `CrossAttnDownBlock2D`): resnets, each followed by a
/// ``Transformer2DModel`` in the cross-attention kind, then an optional downsampler. Every
/// resnet(+transformer) output and the downsampler output are skip connections for the up half.
final class UNetDownBlock: Module {
    let resnets: [ResnetBlock2D]
    let attentions: [Transformer2DModel]
    let downsampler: Downsample2D?
    let checkpointing: GradientCheckpointSwitch

    init(_ scope: ParameterScope, kind: UNetConfiguration.BlockKind, inChannels: Int, outChannels: Int, layers: Int,
         transformerDepth: Int, heads: Int, downsamples: Bool, configuration c: UNetConfiguration,
         checkpointing: GradientCheckpointSwitch) {
        resnets = (0..<layers).map {
            ResnetBlock2D(scope["resnets"][$0], inChannels: $0 == 0 ? inChannels : outChannels, outChannels: outChannels,
                          timeEmbeddingChannels: c.timeEmbeddingDimension, groups: c.normGroups, eps: c.normEps,
                          outputScale: c.resnetOutScaleFactor)
        }
        attentions = kind.hasAttention ? (0..<layers).map {
            Transformer2DModel(scope["attentions"][$0], channels: outChannels, heads: heads, depth: transformerDepth,
                               contextDimension: c.crossAttentionDimension, groups: c.normGroups, checkpointing: checkpointing)
        } : []
        downsampler = downsamples ? Downsample2D(scope["downsamplers"][0], channels: outChannels, padding: c.downsamplePadding) : nil
        self.checkpointing = checkpointing
    }

    /// Returns the block output and the skips it produced, in order.
    func callAsFunction(_ x: Tensor, embedding: Tensor, context: Tensor) -> (output: Tensor, skips: [Tensor]) {
        var h = x
        var skips: [Tensor] = []
        for (index, resnet) in resnets.enumerated() {
            h = checkpointing.run([h, embedding]) { resnet($0[0], activatedEmbedding: $0[1]) }
            if !attentions.isEmpty { h = attentions[index](h, context: context) }
            skips.append(h)
        }
        if let downsampler {
            h = downsampler(h)
            skips.append(h)
        }
        return (h, skips)
    }
}

/// `UNetMidBlock2DCrossAttn`: resnet, Transformer2DModel, resnet at the deepest width.
final class UNetMidBlock: Module {
    let resnets: [ResnetBlock2D]
    let attentions: [Transformer2DModel]
    let checkpointing: GradientCheckpointSwitch

    init(_ scope: ParameterScope, channels: Int, transformerDepth: Int, heads: Int, configuration c: UNetConfiguration,
         checkpointing: GradientCheckpointSwitch) {
        resnets = (0..<2).map {
            ResnetBlock2D(scope["resnets"][$0], inChannels: channels, outChannels: channels,
                          timeEmbeddingChannels: c.timeEmbeddingDimension, groups: c.normGroups, eps: c.normEps,
                          outputScale: c.midBlockScaleFactor)
        }
        attentions = [Transformer2DModel(scope["attentions"][0], channels: channels, heads: heads, depth: transformerDepth,
                                         contextDimension: c.crossAttentionDimension, groups: c.normGroups, checkpointing: checkpointing)]
        self.checkpointing = checkpointing
    }

    func callAsFunction(_ x: Tensor, embedding: Tensor, context: Tensor) -> Tensor {
        var h = checkpointing.run([x, embedding]) { self.resnets[0]($0[0], activatedEmbedding: $0[1]) }
        h = attentions[0](h, context: context)
        return checkpointing.run([h, embedding]) { self.resnets[1]($0[0], activatedEmbedding: $0[1]) }
    }
}

/// A UNet up block (`UpBlock2D` or `CrossAttnUpBlock2D`): each resnet takes the current hidden
/// state concatenated (current first) with the most recent unused skip, is followed by a
/// ``Transformer2DModel`` in the cross-attention kind, then an optional upsampler.
final class UNetUpBlock: Module {
    let resnets: [ResnetBlock2D]
    let attentions: [Transformer2DModel]
    let upsampler: Upsample2D?
    let checkpointing: GradientCheckpointSwitch

    /// - Parameters:
    ///   - inChannels: width of the skips from the matching down level's input (diffusers' `in_channels`).
    ///   - previousChannels: width of the hidden state entering the block.
    init(_ scope: ParameterScope, kind: UNetConfiguration.BlockKind, inChannels: Int, outChannels: Int, previousChannels: Int,
         layers: Int, transformerDepth: Int, heads: Int, upsamples: Bool, configuration c: UNetConfiguration,
         checkpointing: GradientCheckpointSwitch) {
        resnets = (0..<layers).map { i in
            let skipChannels = i == layers - 1 ? inChannels : outChannels
            let hiddenChannels = i == 0 ? previousChannels : outChannels
            return ResnetBlock2D(scope["resnets"][i], inChannels: hiddenChannels + skipChannels, outChannels: outChannels,
                                 timeEmbeddingChannels: c.timeEmbeddingDimension, groups: c.normGroups, eps: c.normEps,
                                 outputScale: c.resnetOutScaleFactor)
        }
        attentions = kind.hasAttention ? (0..<layers).map {
            Transformer2DModel(scope["attentions"][$0], channels: outChannels, heads: heads, depth: transformerDepth,
                               contextDimension: c.crossAttentionDimension, groups: c.normGroups, checkpointing: checkpointing)
        } : []
        upsampler = upsamples ? Upsample2D(scope["upsamplers"][0], channels: outChannels) : nil
        self.checkpointing = checkpointing
    }

    /// Consumes `resnets.count` skips from the end of `skips`.
    /// - Parameter upsampleSize: explicit output size of the upsampler (odd latent sizes), nil for 2×.
    func callAsFunction(_ x: Tensor, skips: inout [Tensor], embedding: Tensor, context: Tensor,
                        upsampleSize: (height: Int, width: Int)?) -> Tensor {
        var h = x
        for (index, resnet) in resnets.enumerated() {
            let skip = skips.removeLast()
            h = checkpointing.run([h, skip, embedding]) { inputs in
                resnet(Tensor.concat([inputs[0], inputs[1]], axis: 1), activatedEmbedding: inputs[2])
            }
            if !attentions.isEmpty { h = attentions[index](h, context: context) }
        }
        if let upsampler { h = upsampler(h, size: upsampleSize) }
        return h
    }
}

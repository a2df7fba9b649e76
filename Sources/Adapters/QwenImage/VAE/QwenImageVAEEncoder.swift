import DiffSynth

/// diffusers' `QwenImageEncoder3d` on single frames: `conv_in`, `down_blocks` (residual blocks,
/// optional attention, a resample between stages), `mid_block`, `norm_out`, SiLU, `conv_out`
/// to 2·z channels (posterior mean and log-variance).
public final class QwenImageVAEEncoder: UnaryModule {
    /// `conv_in`: image channels → base width.
    public let inputConvolution: QwenImageCausalConv3d
    /// `down_blocks`: the flat list of the reference (residual, attention and resample modules).
    public let downBlocks: [any UnaryModule]
    /// `mid_block`.
    public let midBlock: QwenImageVAEMidBlock
    /// `norm_out`.
    public let outputNorm: QwenImageVAERMSNorm
    /// `conv_out`: → 2z moments.
    public let outputConvolution: QwenImageCausalConv3d

    /// The encoder of configuration `c` under `scope` (`encoder`).
    public init(_ scope: ParameterScope, configuration c: QwenImageVAEConfiguration) {
        let dims = ([1] + c.dimMult).map { c.baseDim * $0 }
        inputConvolution = QwenImageCausalConv3d(scope["conv_in"], inChannels: c.inputChannels, outChannels: dims[0], kernelSize: 3, padding: 1)
        var blocks: [any UnaryModule] = []
        var scale = 1.0
        for stage in 0..<c.dimMult.count {
            var inDim = dims[stage]
            let outDim = dims[stage + 1]
            for _ in 0..<c.numResBlocks {
                blocks.append(QwenImageVAEResidualBlock(scope["down_blocks"][blocks.count], inChannels: inDim, outChannels: outDim))
                if c.attnScales.contains(scale) {
                    blocks.append(QwenImageVAEAttentionBlock(scope["down_blocks"][blocks.count], channels: outDim))
                }
                inDim = outDim
            }
            if stage != c.dimMult.count - 1 {
                blocks.append(QwenImageVAEResample(scope["down_blocks"][blocks.count], channels: outDim,
                                                   mode: c.temperalDownsample[stage] ? .downsample3d : .downsample2d))
                scale /= 2
            }
        }
        downBlocks = blocks
        let width = dims.last!
        midBlock = QwenImageVAEMidBlock(scope["mid_block"], channels: width)
        outputNorm = QwenImageVAERMSNorm(scope["norm_out"], channels: width, images: false)
        outputConvolution = QwenImageCausalConv3d(scope["conv_out"], inChannels: width, outChannels: 2 * c.zDim, kernelSize: 3, padding: 1)
    }

    /// Images `[N, C, H, W]` → `[N, 2z, H/8, W/8]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var x = inputConvolution(x)
        for block in downBlocks { x = block(x) }
        return outputConvolution(outputNorm(midBlock(x)).silu())
    }
}

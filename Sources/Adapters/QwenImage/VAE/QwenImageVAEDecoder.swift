import DiffSynth

/// diffusers' `QwenImageUpBlock`: `num_res_blocks + 1` residual blocks and an optional upsampler.
public final class QwenImageVAEUpBlock: UnaryModule {
    /// `resnets`.
    public let residualBlocks: [QwenImageVAEResidualBlock]
    /// `upsamplers.0`.
    public let upsampler: QwenImageVAEResample?

    /// An up block under `scope`; the first residual block maps `inChannels` to `outChannels`.
    public init(_ scope: ParameterScope, inChannels: Int, outChannels: Int, residualBlockCount: Int, upsample: QwenImageVAEResample.Mode?) {
        residualBlocks = (0..<residualBlockCount).map {
            QwenImageVAEResidualBlock(scope["resnets"][$0], inChannels: $0 == 0 ? inChannels : outChannels, outChannels: outChannels)
        }
        upsampler = upsample.map { QwenImageVAEResample(scope["upsamplers"][0], channels: outChannels, mode: $0) }
    }

    /// `x`: `[N, C, H, W]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var x = x
        for block in residualBlocks { x = block(x) }
        return upsampler?(x) ?? x
    }
}

/// diffusers' `QwenImageDecoder3d` on single frames: `conv_in`, `mid_block`, `up_blocks`,
/// `norm_out`, SiLU, `conv_out` to image channels.
public final class QwenImageVAEDecoder: UnaryModule {
    /// `conv_in`: z → widest channels.
    public let inputConvolution: QwenImageCausalConv3d
    /// `mid_block`.
    public let midBlock: QwenImageVAEMidBlock
    /// `up_blocks`.
    public let upBlocks: [QwenImageVAEUpBlock]
    /// `norm_out`.
    public let outputNorm: QwenImageVAERMSNorm
    /// `conv_out`: → image channels.
    public let outputConvolution: QwenImageCausalConv3d

    /// The decoder of configuration `c` under `scope` (`decoder`).
    public init(_ scope: ParameterScope, configuration c: QwenImageVAEConfiguration) {
        let dims = ([c.dimMult.last!] + c.dimMult.reversed()).map { c.baseDim * $0 }
        let temporalUpsample = Array(c.temperalDownsample.reversed())
        inputConvolution = QwenImageCausalConv3d(scope["conv_in"], inChannels: c.zDim, outChannels: dims[0], kernelSize: 3, padding: 1)
        midBlock = QwenImageVAEMidBlock(scope["mid_block"], channels: dims[0])
        upBlocks = (0..<c.dimMult.count).map { i in
            // Every stage after the first receives half the previous width (the upsampler halves it).
            let inDim = i > 0 ? dims[i] / 2 : dims[i]
            let mode: QwenImageVAEResample.Mode? = i == c.dimMult.count - 1 ? nil : (temporalUpsample[i] ? .upsample3d : .upsample2d)
            return QwenImageVAEUpBlock(scope["up_blocks"][i], inChannels: inDim, outChannels: dims[i + 1],
                                       residualBlockCount: c.numResBlocks + 1, upsample: mode)
        }
        outputNorm = QwenImageVAERMSNorm(scope["norm_out"], channels: dims.last!, images: false)
        outputConvolution = QwenImageCausalConv3d(scope["conv_out"], inChannels: dims.last!, outChannels: c.inputChannels, kernelSize: 3, padding: 1)
    }

    /// Latents `[N, z, h, w]` (after `post_quant_conv`) → images `[N, C, 8h, 8w]`, not clamped.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var x = midBlock(inputConvolution(x))
        for block in upBlocks { x = block(x) }
        return outputConvolution(outputNorm(x).silu())
    }
}

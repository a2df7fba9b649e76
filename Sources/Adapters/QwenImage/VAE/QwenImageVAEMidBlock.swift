import DiffSynth

/// diffusers' `QwenImageMidBlock` (with `num_layers=1`): residual block, attention, residual block.
public final class QwenImageVAEMidBlock: UnaryModule {
    /// `resnets.0`, `resnets.1`.
    public let residualBlocks: [QwenImageVAEResidualBlock]
    /// `attentions.0`.
    public let attentions: [QwenImageVAEAttentionBlock]

    /// A mid block of width `channels` under `scope`.
    public init(_ scope: ParameterScope, channels: Int) {
        residualBlocks = (0..<2).map { QwenImageVAEResidualBlock(scope["resnets"][$0], inChannels: channels, outChannels: channels) }
        attentions = [QwenImageVAEAttentionBlock(scope["attentions"][0], channels: channels)]
    }

    /// `x`: `[N, C, H, W]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var x = residualBlocks[0](x)
        for (attention, residual) in zip(attentions, residualBlocks.dropFirst()) { x = residual(attention(x)) }
        return x
    }
}

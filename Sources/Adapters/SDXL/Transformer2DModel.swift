import DiffSynth

/// diffusers' `Transformer2DModel` for continuous inputs with `use_linear_projection=True` (SDXL):
/// GroupNorm (eps 1e-6), NCHW → `[B, H·W, C]` tokens (row-major over height then width), linear
/// `proj_in`, `depth` ``BasicTransformerBlock``s, linear `proj_out`, back to NCHW, plus the input.
public final class Transformer2DModel: Module {
    /// `norm`: GroupNorm, eps 1e-6.
    public let norm: GroupNorm
    /// `proj_in`.
    public let projectionIn: Linear
    /// `transformer_blocks`.
    public let blocks: [BasicTransformerBlock]
    /// `proj_out`.
    public let projectionOut: Linear
    let checkpointing: GradientCheckpointSwitch

    init(_ scope: ParameterScope, channels: Int, heads: Int, depth: Int, contextDimension: Int, groups: Int,
         checkpointing: GradientCheckpointSwitch) {
        norm = GroupNorm(scope["norm"], groups: groups, channels: channels, eps: 1e-6)
        projectionIn = Linear(scope["proj_in"], inFeatures: channels, outFeatures: channels)
        blocks = (0..<depth).map {
            BasicTransformerBlock(scope["transformer_blocks"][$0], dimension: channels, heads: heads, contextDimension: contextDimension)
        }
        projectionOut = Linear(scope["proj_out"], inFeatures: channels, outFeatures: channels)
        self.checkpointing = checkpointing
    }

    /// `x` `[B, C, H, W]`, `context` `[B, Ltext, Ctext]`. With gradient checkpointing on, each
    /// transformer block is recomputed during backward instead of keeping its activations.
    public func callAsFunction(_ x: Tensor, context: Tensor) -> Tensor {
        let (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var h = projectionIn(norm(x).permuted([0, 2, 3, 1]).reshaped([batch, height * width, channels]))
        for block in blocks {
            h = checkpointing.run([h, context]) { block($0[0], context: $0[1]) }
        }
        h = projectionOut(h).reshaped([batch, height, width, channels]).permuted([0, 3, 1, 2])
        return h + x
    }
}

import DiffSynth

/// The modulation of a LayerNorm without affine parameters (eps 1e-6) by a learned function of
/// the conditioning vector: `norm(x) · (1 + scale) + shift`, with `scale`/`shift` `[B, D]`
/// broadcast over the tokens. Shared by diffusers' `AdaLayerNormZero`, `…ZeroSingle` and `…Continuous`.
func modulated(_ x: Tensor, shift: Tensor, scale: Tensor) -> Tensor {
    x.layerNorm(eps: 1e-6) * (scale.unsqueezed(1) + 1) + shift.unsqueezed(1)
}

/// diffusers' `AdaLayerNormZero` (`norm1`, `norm1_context`): `linear(SiLU(temb))` → six vectors
/// `[shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp]`; the input is returned
/// modulated by the first two.
public final class AdaLayerNormZero: Module {
    /// `linear`: D → 6D.
    public let linear: Linear

    /// The norm of a block of width `dimension` under `scope` (`…norm1`).
    public init(_ scope: ParameterScope, dimension: Int) {
        linear = Linear(scope["linear"], inFeatures: dimension, outFeatures: 6 * dimension)
    }

    /// - Parameter activatedEmbedding: SiLU(temb) `[B, D]`, computed once per forward by the model.
    /// - Returns: the modulated input and the six vectors `[B, D]` in the reference's order.
    public func callAsFunction(_ x: Tensor, activatedEmbedding: Tensor) -> (normed: Tensor, parameters: [Tensor]) {
        let parameters = linear(activatedEmbedding).chunked(6, axis: -1)
        return (modulated(x, shift: parameters[0], scale: parameters[1]), parameters)
    }
}

/// diffusers' `AdaLayerNormZeroSingle` (`single_transformer_blocks.i.norm`): D → 3D =
/// `[shift, scale, gate]`; returns the modulated input and the gate.
public final class AdaLayerNormZeroSingle: Module {
    /// `linear`: D → 3D.
    public let linear: Linear

    /// The norm of a single-stream block of width `dimension` under `scope` (`…norm`).
    public init(_ scope: ParameterScope, dimension: Int) {
        linear = Linear(scope["linear"], inFeatures: dimension, outFeatures: 3 * dimension)
    }

    /// - Parameter activatedEmbedding: SiLU(temb) `[B, D]`.
    public func callAsFunction(_ x: Tensor, activatedEmbedding: Tensor) -> (normed: Tensor, gate: Tensor) {
        let parameters = linear(activatedEmbedding).chunked(3, axis: -1)
        return (modulated(x, shift: parameters[0], scale: parameters[1]), parameters[2])
    }
}

/// diffusers' `AdaLayerNormContinuous` as `norm_out` (no affine LayerNorm, eps 1e-6): D → 2D,
/// chunked as `[scale, shift]` — the reverse of the blocks' order.
public final class AdaLayerNormContinuous: Module {
    /// `linear`: D → 2D.
    public let linear: Linear

    /// `norm_out` of a model of width `dimension` under `scope`.
    public init(_ scope: ParameterScope, dimension: Int) {
        linear = Linear(scope["linear"], inFeatures: dimension, outFeatures: 2 * dimension)
    }

    /// - Parameter activatedEmbedding: SiLU(temb) `[B, D]`.
    public func callAsFunction(_ x: Tensor, activatedEmbedding: Tensor) -> Tensor {
        let parameters = linear(activatedEmbedding).chunked(2, axis: -1)
        return modulated(x, shift: parameters[1], scale: parameters[0])
    }
}

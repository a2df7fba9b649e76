import DiffSynth

/// `self_attn` of a Qwen2.5-VL decoder layer: grouped-query attention with biased q/k/v
/// projections, an unbiased `o_proj`, and half-split RoPE.
public final class QwenImageTextAttention: Module {
    /// Query heads.
    public let heads: Int
    /// Key/value heads (each serves `heads / keyValueHeads` query heads).
    public let keyValueHeads: Int
    /// `q_proj`, `k_proj`, `v_proj` (with bias), `o_proj` (without).
    public let query: Linear, key: Linear, value: Linear, output: Linear

    /// The attention of configuration `c` under `scope` (`model.layers.i.self_attn`).
    public init(_ scope: ParameterScope, configuration c: QwenImageTextEncoderConfiguration) {
        heads = c.numAttentionHeads
        keyValueHeads = c.numKeyValueHeads
        let d = c.headDimension
        query = Linear(scope["q_proj"], inFeatures: c.hiddenSize, outFeatures: heads * d)
        key = Linear(scope["k_proj"], inFeatures: c.hiddenSize, outFeatures: keyValueHeads * d)
        value = Linear(scope["v_proj"], inFeatures: c.hiddenSize, outFeatures: keyValueHeads * d)
        output = Linear(scope["o_proj"], inFeatures: heads * d, outFeatures: c.hiddenSize, bias: false)
    }

    /// - Parameters:
    ///   - x: normalised hidden states `[B, L, D]`.
    ///   - rotary: `cos`/`sin` `[L, headDim/2]` of positions 0…L−1.
    ///   - mask: additive `[B or 1, 1, L, L]` causal (+ padding) mask.
    public func callAsFunction(_ x: Tensor, rotary: RotaryTables, mask: Tensor) -> Tensor {
        // `.halves`: feature i pairs with i + headDim/2 (transformers' rotate_half).
        let q = query(x).splittingHeads(heads).applyingRotary(cos: rotary.cos, sin: rotary.sin, style: .halves)
        let k = key(x).splittingHeads(keyValueHeads).applyingRotary(cos: rotary.cos, sin: rotary.sin, style: .halves)
        let v = value(x).splittingHeads(keyValueHeads)
        // The framework's attention reads key/value head h / (heads / kvHeads), as repeat_kv does.
        return output(Tensor.scaledDotProductAttention(query: q, key: k, value: v, mask: mask).mergingHeads())
    }
}

/// `mlp` of a decoder layer (transformers `Qwen2MLP`): `down(silu(gate(x)) · up(x))`, no biases.
public final class QwenImageTextMLP: Module {
    /// `gate_proj`, `up_proj`, `down_proj`.
    public let gate: Linear, up: Linear, down: Linear

    /// The MLP of configuration `c` under `scope` (`model.layers.i.mlp`).
    public init(_ scope: ParameterScope, configuration c: QwenImageTextEncoderConfiguration) {
        gate = Linear(scope["gate_proj"], inFeatures: c.hiddenSize, outFeatures: c.intermediateSize, bias: false)
        up = Linear(scope["up_proj"], inFeatures: c.hiddenSize, outFeatures: c.intermediateSize, bias: false)
        down = Linear(scope["down_proj"], inFeatures: c.intermediateSize, outFeatures: c.hiddenSize, bias: false)
    }

    /// SwiGLU over the last dimension.
    public func callAsFunction(_ x: Tensor) -> Tensor { down(gate(x).silu() * up(x)) }
}

/// One pre-norm decoder layer (transformers `Qwen2_5_VLDecoderLayer`).
public final class QwenImageTextDecoderLayer: Module {
    /// `input_layernorm`, `post_attention_layernorm`.
    public let inputNorm: RMSNorm, postAttentionNorm: RMSNorm
    /// `self_attn`.
    public let attention: QwenImageTextAttention
    /// `mlp`.
    public let mlp: QwenImageTextMLP

    /// Layer `model.layers.i` of configuration `c` under `scope`.
    public init(_ scope: ParameterScope, configuration c: QwenImageTextEncoderConfiguration) {
        inputNorm = RMSNorm(scope["input_layernorm"], dimension: c.hiddenSize, eps: c.rmsNormEps)
        attention = QwenImageTextAttention(scope["self_attn"], configuration: c)
        postAttentionNorm = RMSNorm(scope["post_attention_layernorm"], dimension: c.hiddenSize, eps: c.rmsNormEps)
        mlp = QwenImageTextMLP(scope["mlp"], configuration: c)
    }

    /// `x + attn(norm(x))`, then `+ mlp(norm(·))`; `rotary` and `mask` as ``QwenImageTextAttention``.
    public func callAsFunction(_ x: Tensor, rotary: RotaryTables, mask: Tensor) -> Tensor {
        let h = x + attention(inputNorm(x), rotary: rotary, mask: mask)
        return h + mlp(postAttentionNorm(h))
    }
}

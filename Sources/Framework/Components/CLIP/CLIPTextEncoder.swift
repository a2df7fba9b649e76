/// What a CLIP text encoder returns for a batch of token ids.
public struct CLIPTextEncoderOutput: Sendable {
    /// `layers + 1` tensors `[B, L, D]`: the embeddings, then each layer's output, none of them
    /// final-layer-normed (transformers' `hidden_states`).
    public let hiddenStates: [Tensor]
    /// Final LayerNorm of the last layer (`last_hidden_state`).
    public let lastHiddenState: Tensor
    /// `lastHiddenState` at each sequence's end-of-text position `[B, D]` (`pooler_output`).
    public let pooled: Tensor
    /// `text_projection(pooled)` `[B, P]` for encoders with a projection (`text_embeds`).
    public let textEmbeds: Tensor?

    /// `hiddenStates[count − 2]`: the output of the second-to-last layer, SDXL's per-token context.
    public var penultimate: Tensor { hiddenStates[hiddenStates.count - 2] }
}

/// transformers' `CLIPTextModel` / `CLIPTextModelWithProjection` (SDXL's two text encoders, FLUX's pooled one): learned token and position
/// embeddings, pre-LayerNorm causal self-attention layers, final LayerNorm, pooling at the
/// end-of-text token and (optionally) `text_projection`.
///
/// Parameter keys follow the published SDXL files: `text_model.embeddings.…`,
/// `text_model.encoder.layers.{i}.…`, `text_model.final_layer_norm.…`, `text_projection.weight`.
/// Files written by transformers 5 omit the `text_model.` prefix for `CLIPTextModel`;
/// ``weightKey(_:)`` maps both spellings.
public final class CLIPTextEncoder: Module {
    /// The configuration the encoder was built from.
    public let configuration: CLIPTextConfiguration
    /// `text_model.embeddings.token_embedding`.
    public let tokenEmbedding: Embedding
    /// `text_model.embeddings.position_embedding` (learned, absolute).
    public let positionEmbedding: Embedding
    /// `text_model.encoder.layers`.
    public let layers: [CLIPEncoderLayer]
    /// `text_model.final_layer_norm`.
    public let finalLayerNorm: LayerNorm
    /// `text_projection` (no bias), for `CLIPTextModelWithProjection`.
    public let textProjection: Linear?

    /// Builds the encoder under `scope` (the checkpoint root: keys start with `text_model.`).
    public init(configuration c: CLIPTextConfiguration, scope: ParameterScope = ParameterScope()) {
        configuration = c
        let model = scope["text_model"]
        tokenEmbedding = Embedding(model["embeddings.token_embedding"], count: c.vocabularySize, dimension: c.hiddenSize)
        positionEmbedding = Embedding(model["embeddings.position_embedding"], count: c.maxPositions, dimension: c.hiddenSize)
        layers = (0..<c.layers).map { CLIPEncoderLayer(model["encoder.layers"][$0], configuration: c) }
        finalLayerNorm = LayerNorm(model["final_layer_norm"], dimension: c.hiddenSize, eps: c.layerNormEps)
        textProjection = c.hasProjection
            ? Linear(scope["text_projection"], inFeatures: c.hiddenSize, outFeatures: c.projectionDimension, bias: false) : nil
    }

    /// Encodes equally long rows of token ids (no padding mask: padded positions are processed
    /// like any token, as the SDXL pipeline does; the causal mask keeps them from affecting
    /// earlier positions).
    public func callAsFunction(_ ids: [[Int]]) -> CLIPTextEncoderOutput {
        let batch = ids.count, length = ids.first?.count ?? 0
        precondition(batch > 0 && ids.allSatisfy { $0.count == length }, "CLIP: token rows must be non-empty and equally long")
        precondition(length <= configuration.maxPositions, "CLIP: \(length) tokens exceed \(configuration.maxPositions) positions")
        let flat = ids.flatMap { $0 }
        let positions = positionEmbedding(Array(0..<length), shape: [1, length])
        var h = tokenEmbedding(flat, shape: [batch, length]) + positions
        // Additive causal mask: position i attends to 0…i.
        let keep = Tensor(shape: [1, 1, length, length], scalars: (0..<length * length).map { Float($0 % length <= $0 / length ? 1 : 0) })
        let mask = Tensor.attentionMask(keep: keep)
        var hiddenStates = [h]
        for layer in layers {
            h = layer(h, mask: mask)
            hiddenStates.append(h)
        }
        let last = finalLayerNorm(h)
        let positionsOfEnd = ids.map { endOfTextPosition($0) }
        let pooled = Tensor.concat(positionsOfEnd.enumerated().map { b, position in
            last.slice(axis: 0, b..<(b + 1)).slice(axis: 1, position..<(position + 1)).reshaped([1, configuration.hiddenSize])
        }, axis: 0)
        return CLIPTextEncoderOutput(hiddenStates: hiddenStates, lastHiddenState: last, pooled: pooled,
                                     textEmbeds: textProjection.map { $0(pooled) })
    }

    /// transformers' pooling position: with the legacy `eos_token_id == 2` (the published SDXL
    /// configs) the first position of the largest id (`argmax`); otherwise the first position of
    /// `eos_token_id` (position 0 when absent, as `argmax` of all-false gives).
    public func endOfTextPosition(_ ids: [Int]) -> Int {
        if configuration.eosTokenID == 2 {
            guard let largest = ids.max() else { return 0 }
            return ids.firstIndex(of: largest) ?? 0
        }
        return ids.firstIndex(of: configuration.eosTokenID) ?? 0
    }
}

/// One pre-LayerNorm CLIP encoder layer: `x + out_proj(attn(layer_norm1(x)))`, then
/// `x + fc2(act(fc1(layer_norm2(x))))`. All projections have biases.
public final class CLIPEncoderLayer: Module {
    /// `layer_norm1`, before attention.
    public let layerNorm1: LayerNorm
    /// `self_attn.q_proj`.
    public let queryProjection: Linear
    /// `self_attn.k_proj`.
    public let keyProjection: Linear
    /// `self_attn.v_proj`.
    public let valueProjection: Linear
    /// `self_attn.out_proj`.
    public let outputProjection: Linear
    /// `layer_norm2`, before the MLP.
    public let layerNorm2: LayerNorm
    /// `mlp.fc1`.
    public let fc1: Linear
    /// `mlp.fc2`.
    public let fc2: Linear
    let heads: Int
    let activation: CLIPTextConfiguration.Activation

    init(_ scope: ParameterScope, configuration c: CLIPTextConfiguration) {
        let d = c.hiddenSize
        layerNorm1 = LayerNorm(scope["layer_norm1"], dimension: d, eps: c.layerNormEps)
        queryProjection = Linear(scope["self_attn.q_proj"], inFeatures: d, outFeatures: d)
        keyProjection = Linear(scope["self_attn.k_proj"], inFeatures: d, outFeatures: d)
        valueProjection = Linear(scope["self_attn.v_proj"], inFeatures: d, outFeatures: d)
        outputProjection = Linear(scope["self_attn.out_proj"], inFeatures: d, outFeatures: d)
        layerNorm2 = LayerNorm(scope["layer_norm2"], dimension: d, eps: c.layerNormEps)
        fc1 = Linear(scope["mlp.fc1"], inFeatures: d, outFeatures: c.intermediateSize)
        fc2 = Linear(scope["mlp.fc2"], inFeatures: c.intermediateSize, outFeatures: d)
        heads = c.heads
        activation = c.activation
    }

    func callAsFunction(_ x: Tensor, mask: Tensor) -> Tensor {
        let normed = layerNorm1(x)
        let attended = Tensor.scaledDotProductAttention(query: queryProjection(normed).splittingHeads(heads),
                                                        key: keyProjection(normed).splittingHeads(heads),
                                                        value: valueProjection(normed).splittingHeads(heads), mask: mask)
        let h = x + outputProjection(attended.mergingHeads())
        let inner = fc1(layerNorm2(h))
        let activated: Tensor
        switch activation {
        case .quickGelu: activated = inner.quickGelu()
        case .gelu: activated = inner.gelu()
        case .geluTanh: activated = inner.gelu(approximate: .tanh)
        }
        return h + fc2(activated)
    }
}

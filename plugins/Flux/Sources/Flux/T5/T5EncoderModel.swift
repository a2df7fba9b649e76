import DiffSynth
import Foundation

/// transformers' `T5EncoderModel` (FLUX's `text_encoder_2/`): token embedding `shared`, pre-norm
/// self-attention and feed-forward layers with T5's RMS `layer_norm` (no mean, no bias), a
/// bidirectional relative-position bias computed by block 0 and reused by every block, and
/// `encoder.final_layer_norm`. Attention is unscaled (T5 folds 1/√d into its initialisation).
///
/// Keys follow the published files: `shared.weight`, `encoder.block.{i}.layer.0.SelfAttention.{q,k,v,o}.weight`,
/// `encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight`,
/// `encoder.block.{i}.layer.1.DenseReluDense.{wi_0,wi_1,wo}.weight`, `….layer_norm.weight`.
/// The relative-position bias enters attention as an additive mask, which receives no gradient:
/// the encoder is for inference (FLUX training keeps it frozen).
public final class T5EncoderModel: Module {
    /// The configuration the encoder was built from.
    public let configuration: T5Configuration
    /// `shared`: the token embedding (tied with `encoder.embed_tokens`).
    public let shared: Embedding
    /// `encoder.block`.
    public let blocks: [T5Block]
    /// `encoder.block.0.layer.0.SelfAttention.relative_attention_bias`: buckets → one bias per head.
    public let relativeAttentionBias: Embedding
    /// `encoder.final_layer_norm`.
    public let finalLayerNorm: RMSNorm

    /// Builds the encoder under `scope` (the checkpoint root).
    public init(configuration c: T5Configuration, scope: ParameterScope = ParameterScope()) {
        configuration = c
        shared = Embedding(scope["shared"], count: c.vocabularySize, dimension: c.modelDimension)
        let encoder = scope["encoder"]
        blocks = (0..<c.layers).map { T5Block(encoder["block"][$0], configuration: c) }
        relativeAttentionBias = Embedding(encoder["block"][0]["layer.0.SelfAttention.relative_attention_bias"],
                                          count: c.relativeAttentionBuckets, dimension: c.heads)
        finalLayerNorm = RMSNorm(encoder["final_layer_norm"], dimension: c.modelDimension, eps: c.layerNormEps)
    }

    /// `last_hidden_state` `[B, L, d_model]` of equally long rows of token ids, every position
    /// attended (FLUX passes no attention mask: padding is encoded like any token).
    public func callAsFunction(_ ids: [[Int]]) -> Tensor {
        let batch = ids.count, length = ids.first?.count ?? 0
        precondition(batch > 0 && length > 0 && ids.allSatisfy { $0.count == length }, "T5: token rows must be non-empty and equally long")
        precondition(ids.allSatisfy { $0.allSatisfy { (0..<configuration.vocabularySize).contains($0) } },
                     "T5: token ids must lie in 0..<\(configuration.vocabularySize)")
        var h = shared(ids.flatMap { $0 }, shape: [batch, length])
        let bias = positionBias(length: length)
        for block in blocks { h = block(h, positionBias: bias) }
        return finalLayerNorm(h)
    }

    /// The additive bias `[1, heads, L, L]`: head `h`'s bias for query `i` and key `j` is the
    /// embedding of bucket(j − i).
    func positionBias(length: Int) -> Tensor {
        let buckets = (0..<length * length).map { index in
            Self.relativePositionBucket(index % length - index / length, buckets: configuration.relativeAttentionBuckets,
                                        maxDistance: configuration.relativeAttentionMaxDistance)
        }
        let values = relativeAttentionBias(buckets, shape: [length, length]).detached()  // [L, L, heads]
        return values.permuted([2, 0, 1]).reshaped([1, configuration.heads, length, length])
    }

    /// transformers' `_relative_position_bucket` (bidirectional): half of the buckets for keys
    /// after the query; within each half, exact buckets for distances below half of it and
    /// logarithmic ones up to `maxDistance`, the rest clamped into the last. The logarithm runs in
    /// Float32 as torch runs it, so the bucket edges fall where the reference puts them.
    public static func relativePositionBucket(_ relativePosition: Int, buckets: Int, maxDistance: Int) -> Int {
        let half = buckets / 2
        var bucket = relativePosition > 0 ? half : 0
        let distance = abs(relativePosition)
        let maxExact = half / 2
        if distance < maxExact { return bucket + distance }
        let ratio = Foundation.log(Float(distance) / Float(maxExact))
        let scaled = ratio / Float(Foundation.log(Double(maxDistance) / Double(maxExact))) * Float(half - maxExact)
        bucket += Swift.min(maxExact + Int(scaled), half - 1)
        return bucket
    }
}

/// One T5 encoder block: `x + o(attn(layer_norm(x)) + bias)`, then `x + wo(act(wi_0(n)) · wi_1(n))`
/// (gated) or `x + wo(act(wi(n)))`, with `n = layer_norm(x)`. No projection has a bias.
public final class T5Block: Module {
    /// `layer.0.layer_norm`, `layer.1.layer_norm`.
    public let attentionNorm: RMSNorm, feedForwardNorm: RMSNorm
    /// `layer.0.SelfAttention.q`, `.k`, `.v`, `.o`.
    public let query: Linear, key: Linear, value: Linear, output: Linear
    /// `layer.1.DenseReluDense.wi_0` (gated) or `.wi`.
    public let inputGate: Linear
    /// `layer.1.DenseReluDense.wi_1` (gated only).
    public let inputLinear: Linear?
    /// `layer.1.DenseReluDense.wo`.
    public let outputProjection: Linear
    let heads: Int
    let activation: T5Configuration.Activation

    init(_ scope: ParameterScope, configuration c: T5Configuration) {
        let (d, inner) = (c.modelDimension, c.heads * c.headDimension)
        attentionNorm = RMSNorm(scope["layer.0.layer_norm"], dimension: d, eps: c.layerNormEps)
        query = Linear(scope["layer.0.SelfAttention.q"], inFeatures: d, outFeatures: inner, bias: false)
        key = Linear(scope["layer.0.SelfAttention.k"], inFeatures: d, outFeatures: inner, bias: false)
        value = Linear(scope["layer.0.SelfAttention.v"], inFeatures: d, outFeatures: inner, bias: false)
        output = Linear(scope["layer.0.SelfAttention.o"], inFeatures: inner, outFeatures: d, bias: false)
        feedForwardNorm = RMSNorm(scope["layer.1.layer_norm"], dimension: d, eps: c.layerNormEps)
        let dense = scope["layer.1.DenseReluDense"]
        inputGate = Linear(dense[c.isGated ? "wi_0" : "wi"], inFeatures: d, outFeatures: c.feedForwardDimension, bias: false)
        inputLinear = c.isGated ? Linear(dense["wi_1"], inFeatures: d, outFeatures: c.feedForwardDimension, bias: false) : nil
        outputProjection = Linear(dense["wo"], inFeatures: c.feedForwardDimension, outFeatures: d, bias: false)
        heads = c.heads
        activation = c.activation
    }

    func callAsFunction(_ x: Tensor, positionBias: Tensor) -> Tensor {
        let normed = attentionNorm(x)
        let attended = Tensor.scaledDotProductAttention(query: query(normed).splittingHeads(heads), key: key(normed).splittingHeads(heads),
                                                        value: value(normed).splittingHeads(heads), mask: positionBias, scale: 1)
        let h = x + output(attended.mergingHeads())
        let n = feedForwardNorm(h)
        var inner: Tensor
        switch activation {
        case .geluTanh: inner = inputGate(n).gelu(approximate: .tanh)
        case .gelu: inner = inputGate(n).gelu()
        case .relu: inner = inputGate(n).relu()
        }
        if let inputLinear { inner = inner * inputLinear(n) }
        return h + outputProjection(inner)
    }
}

import DiffSynth
import Foundation

/// The text encoder of Qwen-Image: the language model of Qwen2.5-VL-7B
/// (transformers `Qwen2_5_VLForConditionalGeneration` → `model.language_model`) run on text-only
/// prompts, returning the last hidden state after the final norm — what the pipeline reads as
/// `hidden_states[-1]`. The vision tower and `lm_head` are never used for text-to-image and are
/// not part of this module.
///
/// Parameter keys follow the published file layout (`model.embed_tokens.weight`,
/// `model.layers.0.self_attn.q_proj.weight`, `model.norm.weight`); ``keyForSourceName(_:)`` also
/// maps the in-memory layout of transformers 5 (`model.language_model.*`).
public final class QwenImageTextEncoder: Module {
    /// The language-model settings the module was built with.
    public let configuration: QwenImageTextEncoderConfiguration
    /// `model.embed_tokens`.
    public let embedding: Embedding
    /// `model.layers`.
    public let layers: [QwenImageTextDecoderLayer]
    /// `model.norm`.
    public let finalNorm: RMSNorm

    /// `scope` is the root of a `text_encoder/` folder; parameters live under `model.`.
    public init(_ scope: ParameterScope, configuration: QwenImageTextEncoderConfiguration) {
        self.configuration = configuration
        let model = scope["model"]
        embedding = Embedding(model["embed_tokens"], count: configuration.vocabSize, dimension: configuration.hiddenSize)
        layers = (0..<configuration.numHiddenLayers).map { QwenImageTextDecoderLayer(model["layers"][$0], configuration: configuration) }
        finalNorm = RMSNorm(model["norm"], dimension: configuration.hiddenSize, eps: configuration.rmsNormEps)
    }

    /// Maps a tensor name of a `text_encoder/` checkpoint to this module's key, or nil for tensors the
    /// text path never uses (skipped without being read): `visual.*` / `model.visual.*` (vision
    /// tower) and `lm_head.*`. Both the published layout (`model.layers.*`) and transformers 5's
    /// (`model.language_model.layers.*`) are accepted.
    public static func keyForSourceName(_ name: String) -> String? {
        if name.hasPrefix("visual.") || name.hasPrefix("model.visual.") || name.hasPrefix("lm_head.") { return nil }
        let nested = "model.language_model."
        if name.hasPrefix(nested) { return "model." + name.dropFirst(nested.count) }
        return name
    }

    /// The final hidden states `[B, L, hiddenSize]`.
    ///
    /// - Parameters:
    ///   - tokenIDs: `B` rows of equal length `L` (right-padded).
    ///   - attentionMask: 1 for real tokens, 0 for padding, per row; nil means no padding. Padded keys
    ///     are excluded on top of the causal mask, exactly as transformers' `create_causal_mask`.
    ///     Positions are 0…L−1 for every row regardless of the mask (text-only Qwen2.5-VL infers no
    ///     position ids from the mask), so right padding leaves the real tokens' outputs unchanged.
    public func callAsFunction(tokenIDs: [[Int]], attentionMask: [[Int]]? = nil) -> Tensor {
        let batch = tokenIDs.count, length = tokenIDs.first?.count ?? 0
        precondition(batch > 0 && length > 0 && tokenIDs.allSatisfy { $0.count == length },
                     "text encoder: token rows must be non-empty and of equal length")
        if let bad = tokenIDs.joined().first(where: { $0 < 0 || $0 >= configuration.vocabSize }) {
            preconditionFailure("text encoder: token id \(bad) is outside the vocabulary of \(configuration.vocabSize)")
        }
        var x = embedding(Array(tokenIDs.joined()), shape: [batch, length])
        let rotary = Self.rotaryTables(length: length, headDimension: configuration.headDimension, theta: configuration.ropeTheta)
        let mask = Self.causalMask(length: length, padding: attentionMask)
        for layer in layers { x = layer(x, rotary: rotary, mask: mask) }
        return finalNorm(x)
    }

    /// `cos`/`sin` `[L, headDim/2]` of positions 0…L−1 with inverse frequencies `θ^(−2i/headDim)`,
    /// computed in Float32 as transformers' default RoPE initialiser does. Qwen2.5-VL's mRoPE splits
    /// these frequencies among three position streams (`mrope_section`), which are identical for
    /// text, so it reduces to this 1-D RoPE exactly.
    static func rotaryTables(length: Int, headDimension d: Int, theta: Float) -> RotaryTables {
        let inverse = stride(from: 0, to: d, by: 2).map { 1 / Foundation.pow(theta, Float($0) / Float(d)) }
        let angles = (0..<length).flatMap { p in inverse.map { Float(p) * $0 } }
        return RotaryTables(cos: Tensor(shape: [length, d / 2], scalars: angles.map { Foundation.cos($0) }),
                            sin: Tensor(shape: [length, d / 2], scalars: angles.map { Foundation.sin($0) }))
    }

    /// Additive `[B or 1, 1, L, L]` mask: key k is visible to query q when k ≤ q and k is not padding.
    static func causalMask(length: Int, padding: [[Int]]?) -> Tensor {
        // clamp(q − k + 1, 0, 1) is 1 exactly on and below the diagonal.
        let rows = Tensor.arange(length).reshaped([length, 1]), columns = Tensor.arange(length).reshaped([1, length])
        var keep = (rows - columns + 1).clamp(min: 0, max: 1).reshaped([1, 1, length, length])
        if let padding, padding.contains(where: { $0.contains(0) }) {
            precondition(padding.allSatisfy { $0.count == length }, "text encoder: attention mask rows must match the token rows")
            let keys = Tensor(shape: [padding.count, 1, 1, length], scalars: padding.joined().map { Float($0) })
            keep = keep * keys
        }
        return Tensor.attentionMask(keep: keep)
    }
}

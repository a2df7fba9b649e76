/// A prompt's encoding, as the adapter that made it defines it: named tensors such as
/// `prompt_embeds`, `pooled_prompt_embeds` or `prompt_emb_mask`.
///
/// The framework never looks inside; it only carries conditionings from ``DiffusionPipeline/encode(prompt:)``
/// to ``DiffusionPipeline/predict(latents:timestep:conditioning:)`` and caches them (they are
/// plain tensors, so caches can live in memory or on disk).
public struct Conditioning: Sendable {
    public var tensors: [String: Tensor]

    public init(_ tensors: [String: Tensor]) { self.tensors = tensors }

    /// The tensor named `name`; a missing name is an adapter bug, reported by name.
    public subscript(_ name: String) -> Tensor {
        guard let tensor = tensors[name] else {
            preconditionFailure("conditioning has no tensor '\(name)' (has \(tensors.keys.sorted()))")
        }
        return tensor
    }
}

/// The positive prompt's conditioning and, for classifier-free guidance, the negative one.
public struct PromptPair: Sendable {
    public var positive: Conditioning
    public var negative: Conditioning?

    public init(positive: Conditioning, negative: Conditioning? = nil) {
        self.positive = positive
        self.negative = negative
    }
}

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

    /// Several conditionings as one batch: every tensor concatenated along axis 0. The rows must
    /// have the same keys and shapes (families whose encodings vary in length batch their own way,
    /// e.g. with a padding mask).
    public static func batch(_ rows: [Conditioning]) throws -> Conditioning {
        guard let first = rows.first else { return Conditioning([:]) }
        guard rows.count > 1 else { return first }
        var tensors: [String: Tensor] = [:]
        for (name, tensor) in first.tensors {
            let parts = rows.compactMap { $0.tensors[name] }
            guard parts.count == rows.count, parts.allSatisfy({ Array($0.shape.dropFirst()) == Array(tensor.shape.dropFirst()) }) else {
                throw PipelineError.unbatchable(name: name, shapes: rows.map { $0.tensors[name]?.shape ?? [] })
            }
            tensors[name] = Tensor.concat(parts, axis: 0)
        }
        return Conditioning(tensors)
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

import Foundation

extension CLIPTextEncoder {
    /// transformers key → ``CLIPTextEncoder`` key: published files and `CLIPTextModelWithProjection`
    /// use the `text_model.` prefix, transformers 5 saves `CLIPTextModel` without it; the
    /// non-persistent `position_ids` buffer some exports contain is skipped.
    public static func weightKey(_ name: String) -> String? {
        if name.hasSuffix("position_ids") { return nil }
        if name.hasPrefix("text_model.") || name.hasPrefix("text_projection.") { return name }
        return "text_model." + name
    }

    /// A text encoder checkpoint as ``CLIPTextEncoder`` keys (see ``weightKey(_:)``).
    public static func weightSource(_ source: any WeightSource) -> RenamedWeights {
        RenamedWeights(source, rename: weightKey)
    }

    /// Loads a transformers text-encoder folder on its own, strictly (with or without the
    /// `text_model.` prefix), frozen. Whether it has `text_projection` follows `architectures`.
    public static func load(from folder: URL, variant: String? = nil) throws -> CLIPTextEncoder {
        let configuration = try CLIPTextConfiguration(contentsOf: try DiffusersFolder.existingFile(folder.appendingPathComponent("config.json")))
        let weights = try ShardedSafetensors(url: folder, variant: variant)
        let encoder = CLIPTextEncoder(configuration: configuration, scope: ParameterScope(.uninitialized))
        try encoder.load(from: weightSource(weights), sourceName: weights.url.path)
        encoder.freeze()
        return encoder
    }
}

import DiffSynth
import Foundation

extension T5EncoderModel {
    /// A T5 checkpoint as ``T5EncoderModel`` keys: the token embedding may be stored as
    /// `shared.weight`, as its tied copy `encoder.embed_tokens.weight`, or as both (transformers
    /// loads either); the copy is read only when `shared.weight` is absent.
    public static func weightSource(_ source: any WeightSource) -> RenamedWeights {
        let hasShared = source.shape(of: "shared.weight") != nil
        return RenamedWeights(source, rename: { name in
            guard name == "encoder.embed_tokens.weight" else { return name }
            return hasShared ? nil : "shared.weight"
        })
    }

    /// Loads a transformers `T5EncoderModel` folder (`config.json` + `model.safetensors` or its
    /// shards) on its own, strictly, frozen.
    public static func load(from folder: URL, variant: String? = nil) throws -> T5EncoderModel {
        let configuration = try T5Configuration(contentsOf: try DiffusersFolder.existingFile(folder.appendingPathComponent("config.json")))
        let weights = try ShardedSafetensors(url: folder, variant: variant)
        let encoder = T5EncoderModel(configuration: configuration, scope: ParameterScope(.uninitialized))
        try encoder.load(from: weightSource(weights), sourceName: weights.url.path)
        encoder.freeze()
        return encoder
    }
}

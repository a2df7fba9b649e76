import DiffSynth
import Foundation

extension FluxTransformer2DModel {
    /// Loads a diffusers `transformer/` folder (`config.json` + weights of `variant`, sharded or
    /// not) on its own, strictly, frozen (training unfreezes or injects LoRA).
    public static func load(from folder: URL, variant: String? = nil) throws -> FluxTransformer2DModel {
        let configuration = try FluxTransformerConfiguration(
            contentsOf: try DiffusersFolder.existingFile(folder.appendingPathComponent("config.json")))
        let weights = try ShardedSafetensors(url: folder, variant: variant)
        let model = FluxTransformer2DModel(ParameterScope(.uninitialized), configuration: configuration)
        try model.load(from: weights, sourceName: weights.url.path)
        model.freeze()
        return model
    }
}

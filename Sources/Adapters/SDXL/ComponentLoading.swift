import DiffSynth
import Foundation

extension UNet2DConditionModel {
    /// Loads a diffusers `unet/` folder on its own (`config.json` + weights of `variant`),
    /// strictly, frozen (training unfreezes or injects LoRA).
    public static func load(from folder: URL, variant: String? = nil) throws -> UNet2DConditionModel {
        let configuration = try UNetConfiguration(contentsOf: try existingFile(folder.appendingPathComponent("config.json")))
        let weights = try ShardedSafetensors(url: folder, variant: variant)
        let unet = UNet2DConditionModel(configuration: configuration, scope: ParameterScope(.uninitialized))
        try unet.load(from: weights, sourceName: weights.url.path)
        unet.freeze()
        return unet
    }
}

extension AutoencoderKL {
    /// Loads a diffusers `vae/` folder on its own, strictly (legacy attention names accepted), frozen.
    public static func load(from folder: URL, variant: String? = nil) throws -> AutoencoderKL {
        let configuration = try AutoencoderKLConfiguration(contentsOf: try existingFile(folder.appendingPathComponent("config.json")))
        let weights = try ShardedSafetensors(url: folder, variant: variant)
        let vae = AutoencoderKL(configuration: configuration, scope: ParameterScope(.uninitialized))
        try vae.load(from: SDXLWeights.vaeSource(weights), sourceName: weights.url.path)
        vae.freeze()
        return vae
    }
}

extension CLIPTextEncoder {
    /// Loads a transformers text-encoder folder on its own, strictly (with or without the
    /// `text_model.` prefix), frozen. Whether it has `text_projection` follows `architectures`.
    public static func load(from folder: URL, variant: String? = nil) throws -> CLIPTextEncoder {
        let configuration = try CLIPTextConfiguration(contentsOf: try existingFile(folder.appendingPathComponent("config.json")))
        let weights = try ShardedSafetensors(url: folder, variant: variant)
        let encoder = CLIPTextEncoder(configuration: configuration, scope: ParameterScope(.uninitialized))
        try encoder.load(from: SDXLWeights.textEncoderSource(weights), sourceName: weights.url.path)
        encoder.freeze()
        return encoder
    }
}

/// `url` if the file exists, else ``ModelFolderError/missingFile(path:)``.
func existingFile(_ url: URL) throws -> URL {
    guard FileManager.default.fileExists(atPath: url.path) else { throw ModelFolderError.missingFile(path: url.path) }
    return url
}

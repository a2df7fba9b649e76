import DiffSynth
import Foundation

extension UNet2DConditionModel {
    /// Loads a diffusers `unet/` folder on its own (`config.json` + weights of `variant`),
    /// strictly, frozen (training unfreezes or injects LoRA). The VAE and text encoders load
    /// with the framework's ``AutoencoderKL/load(from:variant:)`` and ``CLIPTextEncoder/load(from:variant:)``.
    public static func load(from folder: URL, variant: String? = nil) throws -> UNet2DConditionModel {
        let configuration = try UNetConfiguration(contentsOf: try DiffusersFolder.existingFile(folder.appendingPathComponent("config.json")))
        let weights = try ShardedSafetensors(url: folder, variant: variant)
        let unet = UNet2DConditionModel(configuration: configuration, scope: ParameterScope(.uninitialized))
        try unet.load(from: weights, sourceName: weights.url.path)
        unet.freeze()
        return unet
    }
}

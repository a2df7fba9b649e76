import ArgumentParser
import DiffSynth
import Foundation
import QwenImage

/// `diffsynth calibrate-vae`: sets a Qwen-Image VAE's `latents_mean`/`latents_std` from the
/// latents it gives a dataset, so the pipeline's normalised latents have zero mean and unit
/// variance per channel — what the flow-matching noise schedule assumes. (The published
/// Qwen-Image config holds such statistics; a VAE trained here needs its own.)
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "calibrate-vae", abstract: "Set a Qwen-Image VAE's latents_mean/latents_std from a dataset.",
                                                    usage: "diffsynth calibrate-vae --model <folder> [<options>]")

    @OptionGroup var plugins: PluginOptions
    @Option(name: .customLong("model")) var model: String
    @Option(name: .customLong("dataset_base_path")) var datasetBasePath: String?
    @Option(name: .customLong("dataset_metadata_path")) var datasetMetadataPath: String?
    @Option(name: .customLong("count"), help: "Images to measure.") var count: Int = 500
    @Flag(name: .customLong("reset"), help: "Set the statistics to mean 0, std 1 (the state before a VAE is trained) instead of measuring.")
    var reset = false

    func validate() throws {
        if !reset && (datasetBasePath == nil || datasetMetadataPath == nil) {
            throw ValidationError("give --dataset_base_path and --dataset_metadata_path, or --reset")
        }
    }

    func run() throws {
        try DiffSynthCommand.report {
            try plugins.registerAdapters()
            let folder = URL(fileURLWithPath: model)
            if reset {
                try Self.write(mean: [Double](repeating: 0, count: 16), std: [Double](repeating: 1, count: 16), to: folder)
                return
            }
            guard let pipeline = try QwenImageAdapter.load(from: folder, options: AdapterLoadOptions()) as? QwenImagePipeline else {
                throw ValidationError("--model \(model) is not a Qwen-Image folder")
            }
            let samples = try TrainingDataset.load(metadata: URL(fileURLWithPath: datasetMetadataPath!),
                                                   basePath: URL(fileURLWithPath: datasetBasePath!), dataFileKeys: ["image"], extraInputs: [])
            let channels = pipeline.vae.configuration.zDim
            var sum = [Double](repeating: 0, count: channels), squares = sum
            var cells = 0
            let progress = Progress("latents", total: min(count, samples.count))
            for (i, sample) in samples.prefix(count).enumerated() {
                let raw = try withNoGrad { pipeline.vae.encode(try RGBImage(contentsOf: sample.image!).tensor()).mean }
                let plane = raw.shape[2] * raw.shape[3]
                raw.withUnsafeBufferPointer { values in
                    for c in 0..<channels {
                        for k in 0..<plane { let v = Double(values[c * plane + k]); sum[c] += v; squares[c] += v * v }
                    }
                }
                cells += plane
                progress.update(i + 1)
            }
            let mean = sum.map { $0 / Double(cells) }
            let std = zip(squares, mean).map { (($0 / Double(cells)) - $1 * $1).squareRoot() }
            try Self.write(mean: mean, std: std, to: folder)
        }
    }

    /// Writes the statistics into `vae/config.json` (4 decimals, as the published config), keeping every other key.
    static func write(mean: [Double], std: [Double], to folder: URL) throws {
        let configURL = folder.appendingPathComponent("vae/config.json")
        guard var config = try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any] else {
            throw ConfigurationError.invalid(path: configURL.path, key: "", reason: "not a JSON object")
        }
        guard let zDim = config["z_dim"] as? Int, zDim == mean.count else {
            throw ConfigurationError.invalid(path: configURL.path, key: "z_dim", reason: "does not match \(mean.count) latent channels")
        }
        config["latents_mean"] = mean.map { ($0 * 1e4).rounded() / 1e4 }
        config["latents_std"] = std.map { ($0 * 1e4).rounded() / 1e4 }
        try AtomicFile.write(try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys]), to: configURL)
        print("latents_mean \(config["latents_mean"]!)\nlatents_std \(config["latents_std"]!)")
    }
}

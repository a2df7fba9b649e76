import ArgumentParser
import DiffSynth
import Foundation
import QwenImage

/// `diffsynth calibrate-vae`: sets a Qwen-Image VAE's `latents_mean`/`latents_std` from the
/// latents it gives a dataset, so the pipeline's normalised latents have zero mean and unit
/// variance per channel — what the flow-matching noise schedule assumes. (The published
/// Qwen-Image config holds such statistics; a VAE trained here needs its own.)
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "calibrate-vae",
                                                    abstract: "Set a Qwen-Image VAE's latents_mean/latents_std from a dataset.")

    @OptionGroup var plugins: PluginOptions
    @Option(name: .customLong("model")) var model: String
    @Option(name: .customLong("dataset_base_path")) var datasetBasePath: String
    @Option(name: .customLong("dataset_metadata_path")) var datasetMetadataPath: String
    @Option(name: .customLong("count"), help: "Images to measure.") var count: Int = 500

    func run() throws {
        try DiffSynthCommand.report {
            try plugins.registerAdapters()
            let folder = URL(fileURLWithPath: model)
            guard let pipeline = try QwenImageAdapter.load(from: folder, options: AdapterLoadOptions()) as? QwenImagePipeline else {
                throw ValidationError("--model \(model) is not a Qwen-Image folder")
            }
            let samples = try TrainingDataset.load(metadata: URL(fileURLWithPath: datasetMetadataPath),
                                                   basePath: URL(fileURLWithPath: datasetBasePath), dataFileKeys: ["image"], extraInputs: [])
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
            let configURL = folder.appendingPathComponent("vae/config.json")
            guard var config = try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any] else {
                throw ConfigurationError.invalid(path: configURL.path, key: "", reason: "not a JSON object")
            }
            config["latents_mean"] = mean.map { ($0 * 1e4).rounded() / 1e4 }
            config["latents_std"] = std.map { ($0 * 1e4).rounded() / 1e4 }
            try AtomicFile.write(try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys]), to: configURL)
            print("latents_mean \(config["latents_mean"]!)\nlatents_std \(config["latents_std"]!)")
        }
    }
}

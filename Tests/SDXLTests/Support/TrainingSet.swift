import DiffSynth
import Foundation

/// A tiny DiffSynth-style dataset on disk (`metadata.csv` with image, prompt, seed, rand_device,
/// num_inference_steps, cfg_scale) whose images are served from memory by the training cache.
struct TrainingSet {
    let directory: URL
    let samples: [TrainingSample]
    let cache: TrainingCache

    init(rows: [(prompt: String, seed: UInt64, image: Tensor)], steps: Int, guidanceScale: Float = 1) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sdxl-train-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var csv = "image,prompt,seed,rand_device,num_inference_steps,cfg_scale\n"
        var images: [String: Tensor] = [:]
        for (i, row) in rows.enumerated() {
            let url = directory.appendingPathComponent("image_\(i).png")
            _ = FileManager.default.createFile(atPath: url.path, contents: Data())
            images[url.path] = row.image
            csv += CSV.line([url.lastPathComponent, row.prompt, String(row.seed), "cpu", String(steps), String(guidanceScale)]) + "\n"
        }
        let metadata = directory.appendingPathComponent("metadata.csv")
        try csv.write(to: metadata, atomically: true, encoding: .utf8)
        samples = try TrainingDataset.load(metadata: metadata, basePath: directory, dataFileKeys: ["image"],
                                           extraInputs: ["seed", "rand_device", "num_inference_steps", "cfg_scale"])
        let served = images
        cache = TrainingCache { url in
            guard let image = served[url.path] else { throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: url.path]) }
            return image
        }
    }

    /// Mean loss of `objective` over the samples at fixed micro-steps (so random draws repeat).
    func meanLoss(_ objective: any TrainingObjective, pipeline: any DiffusionPipeline, steps: [Int] = [0]) throws -> Float {
        try withNoGrad {
            var total: Float = 0
            for sample in samples {
                for step in steps { total += try objective.loss(for: sample, step: step, pipeline: pipeline, cache: cache).item() }
            }
            return total / Float(samples.count * steps.count)
        }
    }
}

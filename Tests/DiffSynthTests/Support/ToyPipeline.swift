import Foundation
@testable import DiffSynth

/// Flow matching on linear sigmas: the smallest scheduler that exercises the protocol
/// (test-only; the real ones live in Sources/Framework/Schedulers).
struct LinearFlowScheduler: Scheduler {
    var predictionType: PredictionType { .flowVelocity }
    var needsStepNoise: Bool { false }
    var trainingTimestepCount: Int { 1000 }

    func schedule(steps: Int, context: ScheduleContext) -> Schedule {
        let sigmas = (0...steps).map { Float(steps - $0) / Float(steps) * context.strength }
        return Schedule(sigmas: sigmas, timesteps: sigmas.dropLast().map { $0 * 1000 }, initialNoiseScale: 1)
    }
    func scaleModelInput(_ sample: Tensor, step: Int, in schedule: Schedule) -> Tensor { sample }
    func step(prediction: Tensor, sample: Tensor, step: Int, in schedule: Schedule, noise: Tensor?) -> Tensor {
        sample + prediction * (schedule.sigmas[step + 1] - schedule.sigmas[step])
    }
    func addNoise(to clean: Tensor, noise: Tensor, step: Int, in schedule: Schedule) -> Tensor {
        let s = schedule.sigmas[step]
        return clean * (1 - s) + noise * s
    }
    func trainingExample(clean: Tensor, noise: Tensor, index: Int) -> TrainingExample {
        let s = 1 - Float(index) / 1000
        return TrainingExample(modelInput: clean * (1 - s) + noise * s, timestep: s * 1000, target: noise - clean, weight: 1)
    }
}

/// A denoiser block: Linear → SiLU, with a residual when the widths agree.
final class ToyBlock: Module {
    let proj: Linear
    init(_ scope: ParameterScope, width: Int) { proj = Linear(scope["proj"], inFeatures: width, outFeatures: width) }
    func callAsFunction(_ x: Tensor) -> Tensor { x + proj(x).silu() }
}

/// The toy denoiser: flattened latents + timestep features + prompt features → MLP → velocity.
final class ToyDenoiser: Module {
    let projIn: Linear
    let blocks: [ToyBlock]
    let projOut: Linear
    var checkpointing = false

    init(_ scope: ParameterScope, latentSize: Int, hidden: Int, textSize: Int) {
        projIn = Linear(scope["proj_in"], inFeatures: latentSize + 8 + textSize, outFeatures: hidden)
        blocks = (0..<2).map { ToyBlock(scope["blocks"][$0], width: hidden) }
        projOut = Linear(scope["proj_out"], inFeatures: hidden, outFeatures: latentSize)
    }

    func callAsFunction(_ latents: Tensor, timestep: Float, text: Tensor) -> Tensor {
        let frequencies = (0..<4).map { Float(pow(10.0, Double($0))) / 1000 }
        let time = Tensor([Float](frequencies.map { cos(timestep * $0) } + frequencies.map { sin(timestep * $0) })).reshaped([1, 8])
        var h = projIn(Tensor.concat([latents.reshaped([1, -1]), time, text], axis: 1))
        for block in blocks { h = checkpointing ? checkpoint(h) { block($0) } : block(h) }
        return projOut(h).reshaped(latents.shape)
    }
}

/// A whole toy family: identity "VAE" (latents are images), a fixed bag-of-characters text
/// encoder, a small MLP denoiser.
final class ToyPipeline: DiffusionPipeline {
    static let textSize = 6
    let descriptor: PipelineDescriptor
    let scheduler: any Scheduler
    let model: ToyDenoiser
    var denoiser: any Module { model }
    var gradientCheckpointing: Bool {
        get { model.checkpointing }
        set { model.checkpointing = newValue }
    }
    let size: Int

    init(seed: UInt64 = 0, size: Int = 4, hidden: Int = 32, scheduler: any Scheduler = LinearFlowScheduler()) {
        self.size = size
        descriptor = PipelineDescriptor(
            family: "toy", latentChannels: 3, vaeScaleFactor: 1, resolutionMultiple: 1,
            defaultResolution: (size, size), predictionType: .flowVelocity,
            teacher: SamplingSettings(steps: 20, guidanceScale: 3), student: SamplingSettings(steps: 2, guidanceScale: 1),
            defaultLoRATargets: ["proj_in", "proj"], noisePrecision: .float32)
        self.scheduler = scheduler
        model = ToyDenoiser(ParameterScope(.random(seed: seed)), latentSize: 3 * size * size, hidden: hidden, textSize: Self.textSize)
    }

    func encode(prompt: String) throws -> Conditioning {
        var features = [Float](repeating: 0, count: Self.textSize)
        for (i, scalar) in prompt.unicodeScalars.enumerated() { features[(Int(scalar.value) + i) % Self.textSize] += 0.25 }
        return Conditioning(["text": Tensor(shape: [1, Self.textSize], scalars: features)])
    }

    func predict(latents: Tensor, timestep: Float, conditioning: Conditioning) -> Tensor {
        model(latents, timestep: timestep, text: conditioning["text"])
    }

    func encode(image: Tensor) throws -> Tensor { image }
    func decode(latents: Tensor) throws -> Tensor { latents }
}

/// Writes `rows` as a metadata.csv with empty placeholder image files, and returns a cache whose
/// image loader serves the given tensors for those files.
struct ToyDataset {
    let directory: URL
    let samples: [TrainingSample]
    let cache: TrainingCache

    /// `rows`: (prompt, seed, target latents).
    init(rows: [(prompt: String, seed: Int, target: Tensor)], steps: Int, guidanceScale: Float = 1) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("toy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var csv = "image,prompt,seed,rand_device,num_inference_steps,cfg_scale\n"
        var images: [String: Tensor] = [:]
        for (i, row) in rows.enumerated() {
            let name = "image_\(i).png"
            _ = FileManager.default.createFile(atPath: directory.appendingPathComponent(name).path, contents: Data())
            images[directory.appendingPathComponent(name).path] = row.target
            csv += CSV.line([name, row.prompt, String(row.seed), "cpu", String(steps), String(guidanceScale)]) + "\n"
        }
        let url = directory.appendingPathComponent("metadata.csv")
        try csv.write(to: url, atomically: true, encoding: .utf8)
        let metadata = try Metadata(contentsOf: url)
        let directory = self.directory
        samples = try metadata.rows.map {
            try TrainingSample(row: $0, basePath: directory, dataFileKeys: ["image"],
                               extraInputs: ["seed", "rand_device", "num_inference_steps", "cfg_scale"])
        }
        cache = TrainingCache { url in
            guard let image = images[url.path] else { throw DatasetError.missingFile(row: "toy", path: url.path) }
            return image
        }
    }
}

import ArgumentParser
import DiffSynth
import Foundation

/// `diffsynth generate`: prompt(s) → images.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "Generate images from prompts.")

    @OptionGroup var plugins: PluginOptions
    @OptionGroup var model: ModelOptions

    @Option(name: .customLong("prompt"), help: "The prompt; repeat for several images.")
    var prompts: [String]

    @Option(name: .customLong("negative_prompt"),
            help: "Negative prompt for classifier-free guidance. Without it the family's default: \"\" encoded (Qwen-Image, as DiffSynth), zero embeddings (SDXL with force_zeros_for_empty_prompt, as diffusers).")
    var negativePrompt: String?

    @Option(name: .customLong("seed"),
            help: "Seed of the initial noise (torch.manual_seed semantics, negative seeds wrap); image i uses seed + i, or with --batch_size the batch starting at image i does.")
    var seed: Int64 = 0

    @Option(name: .customLong("rand_device"), help: "Where the noise is drawn; only cpu is reproducible here.")
    var randDevice: String = "cpu"

    @Option(name: .customLong("num_inference_steps"), help: "Sampling steps (default: the family's teacher steps).")
    var steps: Int?

    @Option(name: .customLong("cfg_scale"),
            help: "Guidance scale (default: the family's teacher guidance). Qwen-Image guides at any scale but 1 (DiffSynth); SDXL only above 1 (diffusers: 0 = 1 = no CFG).")
    var cfgScale: Float?

    @Option(name: .customLong("height"), help: "Image height (default: the family's default).")
    var height: Int?

    @Option(name: .customLong("width"), help: "Image width (default: the family's default).")
    var width: Int?

    @Option(name: .customLong("lora_path"), help: "A LoRA file to apply (DiffSynth, peft or kohya key names).")
    var loraPath: String?

    @Option(name: .customLong("lora_scale"), help: "Multiplier of the LoRA's effect (diffusers' lora_scale, DiffSynth's load_lora alpha).")
    var loraScale: Float = 1

    /// Refused by name: in `train` it is peft's alpha (scale = alpha / rank), so it may not mean a multiplier here.
    @Option(name: .customLong("lora_alpha"), help: .hidden)
    var loraAlpha: String?

    @Option(name: .customLong("batch_size"),
            help: "Prompts sampled together, as diffusers' pipe([p1, p2, ...], generator=manual_seed(seed)): one noise tensor for the batch (image 2 is not image 1 of seed + 1).")
    var batchSize: Int = 1

    @Option(name: .customLong("output"), help: "Output image (.png or .jpg); with several prompts, -N is appended before the extension.")
    var output: String = "image.png"

    func validate() throws {
        if loraAlpha != nil {
            throw ValidationError("--lora_alpha is train's peft alpha (scale = alpha / rank); the multiplier of a LoRA here is --lora_scale")
        }
        try InputChecks.requireFinite([("--cfg_scale", cfgScale), ("--lora_scale", loraScale)])
        try InputChecks.requireSteps("--num_inference_steps", steps)
        try InputChecks.require("--batch_size", batchSize, in: 1...256)
        try InputChecks.requireSides(height: height, width: width)
        if let height, let width { try InputChecks.requireMemory(height: height, width: width) }
    }

    /// Paths checked before any work (not in `validate`, which parsing alone runs).
    private func checkFiles() throws {
        try InputChecks.requireWritableFile(output, flag: "--output")
        _ = try ImageFormat(path: output)
        if let loraPath { try InputChecks.requireReadableFile(loraPath, flag: "--lora_path") }
    }

    func run() throws {
        try DiffSynthCommand.report {
            try checkFiles()
            try plugins.registerAdapters()
            try checkRandomDevice(randDevice)
            let pipeline = try model.load()
            if let loraPath { try applyLoRA(loraPath, scale: loraScale, to: pipeline) }
            let d = pipeline.descriptor
            let (h, w) = model.resolution(height: height, width: width, of: pipeline)
            try pipeline.validate(height: h, width: w)
            try InputChecks.requireMemory(height: h, width: w, images: min(batchSize, prompts.count))
            let settings = SamplingSettings(steps: steps ?? d.teacher.steps, guidanceScale: cfgScale ?? d.teacher.guidanceScale)
            // Batches of --batch_size prompts: the one starting at image i draws from seed + i (with
            // batch size 1, image i uses seed + i, DiffSynth's per-row convention).
            for first in stride(from: 0, to: prompts.count, by: batchSize) {
                let batch = Array(prompts[first..<min(first + batchSize, prompts.count)])
                let label = batch.count == 1 ? "image \(first + 1)/\(prompts.count)" : "images \(first + 1)-\(first + batch.count)/\(prompts.count)"
                let progress = Progress(label, total: settings.steps)
                let latents = try Sampler.generateBatch(pipeline: pipeline, prompts: batch, negativePrompts: batch.map { _ in negativePrompt },
                                                        height: h, width: w, seed: UInt64(bitPattern: seed &+ Int64(first)), steps: settings.steps,
                                                        guidanceScale: settings.guidanceScale) { progress.update($0.step + 1) }
                let images = try pipeline.decodeImage(latents: latents)
                for row in 0..<batch.count {
                    let url = outputURL(index: first + row)
                    try RGBImage(tensor: images.slice(axis: 0, row..<(row + 1))).write(to: url, format: ImageFormat(path: url.path))
                    print(url.path)
                }
            }
        }
    }

    private func outputURL(index: Int) -> URL {
        let url = URL(fileURLWithPath: output)
        guard prompts.count > 1 else { return url }
        let stem = url.deletingPathExtension().lastPathComponent
        return url.deletingLastPathComponent().appendingPathComponent("\(stem)-\(index).\(url.pathExtension)")
    }
}

/// Applies a LoRA file to a pipeline's denoiser (hot, reversible, scaled).
func applyLoRA(_ path: String, scale: Float, to pipeline: any DiffusionPipeline) throws {
    let file = try SafetensorsFile(url: URL(fileURLWithPath: path))
    var tensors: [String: Tensor] = [:]
    for name in file.names { tensors[name] = try file.tensor(name) }
    try LoRA.attach(try LoRAWeights(stateDict: tensors, file: path, metadata: file.metadata), to: pipeline.denoiser, scale: scale)
}

import ArgumentParser
import DiffSynth
import Foundation

/// `diffsynth dataset`: the first step of Direct Distillation — the teacher draws every
/// (prompt, seed) at many steps with guidance, and `metadata.csv` records what the student
/// must reproduce (DiffSynth's columns; `num_inference_steps`/`cfg_scale` are the *student's*),
/// plus a `latents` column: the teacher's final latents, the target `train` prefers to the image.
struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset", abstract: "Build a Direct Distillation dataset with a teacher model.",
        usage: "diffsynth dataset --prompts <file> --output_path <folder> [<options>]",
        discussion: """
        Writes images/NNNNNN.png (or .jpg) and latents/NNNNNN.safetensors (the teacher's final latents, \
        which train --task direct_distill regresses onto by default) per row, then the row of metadata.csv. \
        Resumable: rows already in metadata.csv are skipped. Each file is written atomically before its row.
        """)

    @OptionGroup var plugins: PluginOptions
    @OptionGroup var model: ModelOptions

    @Option(name: .customLong("prompts"), help: "Prompts: .txt (one per line), .csv or .jsonl with a 'prompt' column (optional 'seed', 'negative_prompt').")
    var prompts: String

    @Option(name: .customLong("output_path"), help: "Dataset folder (images/ and metadata.csv).")
    var outputPath: String

    @Option(name: .customLong("teacher_steps"), help: "Teacher sampling steps (default: the family's, e.g. 50).")
    var teacherSteps: Int?

    @Option(name: .customLong("teacher_cfg_scale"), help: "Teacher guidance (default: the family's, e.g. 4).")
    var teacherCfgScale: Float?

    @Option(name: .customLong("num_inference_steps"),
            help: "The student's steps, written to metadata.csv (default: the family's, e.g. 4); a set such as 1,2,4,8 trains one student for all.")
    var studentSteps: String?

    @Option(name: .customLong("cfg_scale"), help: "The student's guidance, written to metadata.csv.")
    var studentCfgScale: Float = 1

    @Option(name: .customLong("negative_prompt"),
            help: "Negative prompt of the teacher (rows may override). Without it the family's default, as in generate.")
    var negativePrompt: String?

    @Option(name: .customLong("height")) var height: Int?
    @Option(name: .customLong("width")) var width: Int?

    @Option(name: .customLong("seed"), help: "First seed; rows without a seed get seed, seed+1, … in order.")
    var seed: Int64 = 0

    @Option(name: .customLong("seeds_per_prompt"), help: "Images per prompt, with consecutive seeds.")
    var seedsPerPrompt: Int = 1

    @Option(name: .customLong("batch_size"),
            help: "Rows sampled together: the denoiser runs on the batch, each row keeping its own seed's noise (so the seed column still regenerates it).")
    var batchSize: Int = 1

    @Option(name: .customLong("image_format"),
            help: "png (lossless: the image target is the teacher's exact output) or jpg (DiffSynth-Studio's datasets: PIL's save, quality 75).")
    var imageFormat: String = "png"

    @Option(name: .customLong("image_quality"), help: "JPEG quality 1-100 for --image_format jpg (default 75, PIL's and so DiffSynth's).")
    var imageQuality: Int?

    func validate() throws {
        guard ["png", "jpg"].contains(imageFormat) else { throw ValidationError("--image_format must be png or jpg, got \(imageFormat)") }
        if let imageQuality {
            guard imageFormat == "jpg" else { throw ValidationError("--image_quality applies to JPEG: add --image_format jpg") }
            guard (1...100).contains(imageQuality) else { throw ValidationError("--image_quality must be in 1...100, got \(imageQuality)") }
        }
        guard seedsPerPrompt >= 1 else { throw ValidationError("--seeds_per_prompt must be at least 1") }
        try InputChecks.require("--batch_size", batchSize, in: 1...256)
        try InputChecks.requireFinite([("--teacher_cfg_scale", teacherCfgScale), ("--cfg_scale", studentCfgScale)])
        try InputChecks.requireSteps("--teacher_steps", teacherSteps)
        if let studentSteps {
            guard TrainingSample.parseStepChoices(studentSteps) != nil else {
                throw ValidationError("--num_inference_steps \(studentSteps): give a step count in 1...\(InputChecks.maxSteps) or a set such as 1,2,4,8")
            }
        }
        try InputChecks.requireSides(height: height, width: width)
        if let height, let width { try InputChecks.requireMemory(height: height, width: width) }
    }

    /// The format of every image of the dataset.
    private var format: ImageFormat {
        imageFormat == "png" ? .png : .jpeg(quality: imageQuality ?? ImageFormat.datasetJPEGQuality)
    }

    /// Paths checked before any work (not in `validate`, which parsing alone runs).
    private func checkFiles() throws {
        try InputChecks.requireReadableFile(prompts, flag: "--prompts")
        try InputChecks.requireOutputFolder(outputPath, flag: "--output_path")
    }

    func run() throws {
        try DiffSynthCommand.report {
            try checkFiles()
            try plugins.registerAdapters()
            let teacher = try model.load()
            let d = teacher.descriptor
            let (h, w) = model.resolution(height: height, width: width, of: teacher)
            try teacher.validate(height: h, width: w)
            try InputChecks.requireMemory(height: h, width: w, images: batchSize)
            let settings = SamplingSettings(steps: teacherSteps ?? d.teacher.steps, guidanceScale: teacherCfgScale ?? d.teacher.guidanceScale)
            // `validate` has checked the set; written normalised (duplicates dropped).
            let student = studentSteps.flatMap(TrainingSample.parseStepChoices).map { $0.map(String.init).joined(separator: ",") }
                ?? "\(d.student.steps)"
            let plan = try PromptList.load(URL(fileURLWithPath: prompts), firstSeed: seed, seedsPerPrompt: seedsPerPrompt,
                                           negativePrompt: negativePrompt)
            if batchSize > 1 && teacher.scheduler.needsStepNoise {
                throw ValidationError("--batch_size \(batchSize): this scheduler adds noise at every step, which must come from each row's own seed; use --batch_size 1")
            }
            let folder = URL(fileURLWithPath: outputPath)
            let metadata = try DatasetMetadataWriter(folder: folder, includeNegativePrompt: plan.contains { $0.negativePrompt != nil })
            if !metadata.includesLatents {
                note("\(folder.appendingPathComponent("metadata.csv").path) has no 'latents' column: continuing it without teacher latents")
            }
            let progress = Progress("teacher images", total: plan.count)
            let pending = plan.indices.filter { !metadata.contains(image: String(format: "images/%06d.%@", $0, imageFormat)) }
            var done = plan.count - pending.count
            progress.update(done)
            // Rows in batches of --batch_size, each keeping its own seed's noise (the `seed` column
            // must regenerate it for Direct Distillation), the denoiser run on the whole batch.
            for first in stride(from: 0, to: pending.count, by: batchSize) {
                let rows = Array(pending[first..<min(first + batchSize, pending.count)])
                var noise: [Tensor] = []
                for index in rows { noise.append(try teacher.seededNoise(height: h, width: w, seed: UInt64(bitPattern: plan[index].seed)).noise) }
                var generator = TorchGenerator(seed: UInt64(bitPattern: plan[rows[0]].seed))
                let latents = try Sampler.generateBatch(pipeline: teacher, prompts: rows.map { plan[$0].prompt },
                                                        negativePrompts: rows.map { plan[$0].negativePrompt }, height: h, width: w,
                                                        noise: Tensor.concat(noise, axis: 0), generator: &generator,
                                                        steps: settings.steps, guidanceScale: settings.guidanceScale)
                let images = try teacher.decodeImage(latents: latents)
                for (row, index) in rows.enumerated() {
                    let item = plan[index]
                    let name = String(format: "images/%06d.%@", index, imageFormat)
                    try RGBImage(tensor: images.slice(axis: 0, row..<(row + 1))).write(to: folder.appendingPathComponent(name), format: format)
                    let latentsName = String(format: "latents/%06d.safetensors", index)
                    if metadata.includesLatents {
                        try TeacherLatentsFile.write(latents.slice(axis: 0, row..<(row + 1)), family: d.family,
                                                     to: folder.appendingPathComponent(latentsName))
                    }
                    try metadata.append(image: name, latents: latentsName, prompt: item.prompt, negativePrompt: item.negativePrompt ?? "",
                                        seed: item.seed, steps: student, cfgScale: studentCfgScale)
                    done += 1
                    progress.update(done)
                }
            }
            print(folder.appendingPathComponent("metadata.csv").path)
        }
    }
}

/// Prompts (with seeds) to draw, from a .txt, .csv or .jsonl file.
struct PromptList {
    /// `negativePrompt` nil: none given, for this row or on the command line.
    struct Item { let prompt: String; let seed: Int64; let negativePrompt: String? }

    static func load(_ url: URL, firstSeed: Int64, seedsPerPrompt: Int, negativePrompt: String?) throws -> [Item] {
        var rows: [(prompt: String, seed: Int64?, negative: String?)] = []
        if url.pathExtension.lowercased() == "txt" {
            guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw DatasetError.unreadable(file: url.path, reason: "not readable UTF-8 text") }
            rows = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map { ($0, nil, nil) }
        } else {
            let metadata = try Metadata(contentsOf: url)
            guard metadata.columns.contains("prompt") else { throw DatasetError.missingColumn(file: url.lastPathComponent, column: "prompt") }
            rows = try metadata.rows.map { row in
                let seed: Int64? = try row.fields["seed"].flatMap { text in
                    guard let value = Int64(text) else {
                        throw DatasetError.invalidValue(row: row.location, column: "seed", value: text, expected: "an integer")
                    }
                    return value
                }
                return (try row.require("prompt"), seed, row.fields["negative_prompt"])
            }
        }
        guard !rows.isEmpty else { throw DatasetError.malformed(file: url.lastPathComponent, line: 1, reason: "no prompts") }
        var items: [Item] = []
        var next = firstSeed
        for row in rows {
            for k in 0..<seedsPerPrompt {
                let seed = row.seed.map { $0 &+ Int64(k) } ?? next
                next = next &+ 1
                items.append(Item(prompt: row.prompt, seed: seed, negativePrompt: row.negative ?? negativePrompt))
            }
        }
        return items
    }
}

/// Appends rows to a dataset's `metadata.csv`, one flushed line per image, after the image (and
/// its latents) are on disk.
final class DatasetMetadataWriter {
    private let url: URL
    private var images: Set<String> = []
    private let includeNegativePrompt: Bool
    /// Whether rows have a `latents` column (new datasets do; an older one being continued may not).
    let includesLatents: Bool

    init(folder: URL, includeNegativePrompt: Bool) throws {
        url = folder.appendingPathComponent("metadata.csv")
        for sub in ["images", "latents"] {
            try FileManager.default.createDirectory(at: folder.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        if FileManager.default.fileExists(atPath: url.path) {
            let existing = try Metadata(contentsOf: url)
            images = Set(existing.rows.compactMap { $0.fields["image"] })
            self.includeNegativePrompt = existing.columns.contains("negative_prompt")
            includesLatents = existing.columns.contains("latents")
        } else {
            self.includeNegativePrompt = includeNegativePrompt
            includesLatents = true
            var header = ["image", "prompt", "seed", "rand_device", "num_inference_steps", "cfg_scale", "latents"]
            if includeNegativePrompt { header.append("negative_prompt") }
            try AtomicFile.write(Data((CSV.line(header) + "\n").utf8), to: url)
        }
    }

    func contains(image: String) -> Bool { images.contains(image) }

    func append(image: String, latents: String, prompt: String, negativePrompt: String, seed: Int64, steps: String, cfgScale: Float) throws {
        var fields = [image, prompt, String(seed), "cpu", steps, cfgScale == cfgScale.rounded() ? String(Int(cfgScale)) : String(cfgScale)]
        if includesLatents { fields.append(latents) }
        if includeNegativePrompt { fields.append(negativePrompt) }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((CSV.line(fields) + "\n").utf8))
        try handle.synchronize()
        images.insert(image)
    }
}

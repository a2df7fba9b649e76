import ArgumentParser
import DiffSynth
import Foundation

/// `diffsynth eval`: the student against the teacher on held-out prompts and seeds.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Compare a distilled student with its teacher (MSE, PSNR, SSIM) and draw a grid.",
        discussion: "grid.png: one row per prompt (titled); columns teacher, student before, each student after (at --grid_steps), then teacher baselines, titled with variant, steps, cfg and NFE; quality.png: PSNR against NFE.")

    @OptionGroup var plugins: PluginOptions
    @OptionGroup var model: ModelOptions

    @Option(name: .customLong("teacher_model"), help: "The teacher's folder when it is not the base model (e.g. another family).")
    var teacherModel: String?
    @Option(name: .customLong("lora_path"),
            help: "The distilled LoRA: 'student after' = base + LoRA. Repeat for several students, each as LABEL=PATH ('after LABEL').")
    var loraPaths: [String] = []
    @Option(name: .customLong("lora_scale"), help: "Multiplier of each --lora_path's effect.")
    var loraScale: Float = 1
    @Option(name: .customLong("student_checkpoint"),
            help: "A fully fine-tuned denoiser state dict: 'student after' = base with these weights. Repeat as LABEL=PATH for several.")
    var studentCheckpoints: [String] = []
    @Option(name: .customLong("prompts"), help: "Held-out prompts: .txt, .csv or .jsonl (optional seed column).")
    var prompts: String
    @Option(name: .customLong("seed"), help: "First seed for prompts without one.")
    var seed: Int64 = 1_000_000
    @Option(name: .customLong("steps"), help: "Student step counts to evaluate.")
    var steps: String = "1,2,4,8"
    @Option(name: .customLong("cfg_scale"), help: "Student guidance.")
    var cfgScale: Float = 1
    @Option(name: .customLong("teacher_steps")) var teacherSteps: Int?
    @Option(name: .customLong("teacher_cfg_scale")) var teacherCfgScale: Float?
    @Option(name: .customLong("baseline_teacher_steps"), help: "Also sample the teacher at these step counts (with its guidance) as baselines.")
    var baselineTeacherSteps: String = ""
    @Option(name: .customLong("grid_steps"), help: "The student step count shown in the grid.")
    var gridSteps: Int = 4
    @Option(name: .customLong("height")) var height: Int?
    @Option(name: .customLong("width")) var width: Int?
    @Option(name: .customLong("output_path")) var outputPath: String = "eval"
    @Option(name: .customLong("adherence"), help: "Score prompt adherence automatically: 'shapes' for the embedded model's captions.")
    var adherence: String?

    func validate() throws {
        if let adherence, adherence != "shapes" { throw ValidationError("--adherence \(adherence): the only checker is 'shapes'") }
        try InputChecks.requireFinite([("--lora_scale", loraScale), ("--cfg_scale", cfgScale), ("--teacher_cfg_scale", teacherCfgScale)])
        try InputChecks.requireSteps("--teacher_steps", teacherSteps)
        try InputChecks.requireSteps("--grid_steps", gridSteps)
        _ = try parseList(steps, flag: "--steps")
        _ = try parseList(baselineTeacherSteps, flag: "--baseline_teacher_steps")
        try InputChecks.requireSides(height: height, width: width)
        if let height, let width { try InputChecks.requireMemory(height: height, width: width) }
    }

    /// Paths checked before any work (not in `validate`, which parsing alone runs).
    private func checkFiles() throws {
        try InputChecks.requireReadableFile(prompts, flag: "--prompts")
        try InputChecks.requireOutputFolder(outputPath, flag: "--output_path")
    }

    func run() throws {
        try DiffSynthCommand.report {
            try checkFiles()
            try evaluate()
        }
    }

    private func evaluate() throws {
        try plugins.registerAdapters()
        let stepList = try parseList(steps, flag: "--steps")
        let baselines = try parseList(baselineTeacherSteps, flag: "--baseline_teacher_steps")
        let before = try model.load()
        var students: [(label: String, pipeline: any DiffusionPipeline)] = []
        let loras = try labelled(loraPaths, flag: "--lora_path"), checkpoints = try labelled(studentCheckpoints, flag: "--student_checkpoint")
        if loras.count + checkpoints.count > 1 && (loras + checkpoints).contains(where: { $0.label == "student after" }) {
            throw ValidationError("with several students, label each --lora_path / --student_checkpoint as LABEL=PATH")
        }
        for (label, path) in loras {
            let after = try model.load()
            try applyLoRA(path, scale: loraScale, to: after)
            students.append((label, after))
        }
        for (label, path) in checkpoints {
            let after = try model.load()
            try after.denoiser.load(from: SafetensorsFile(url: URL(fileURLWithPath: path)), sourceName: path, strict: false)
            students.append((label, after))
        }
        if students.isEmpty {
            note("no --lora_path or --student_checkpoint: 'student after' equals 'student before'")
            students.append(("student after", try model.load()))
        }
        let teacher = try teacherModel.map { try ModelOptions.parse(["--model", $0]).load() } ?? before
        let d = teacher.descriptor
        let teacherSettings = SamplingSettings(steps: teacherSteps ?? d.teacher.steps, guidanceScale: teacherCfgScale ?? d.teacher.guidanceScale)
        let (h, w) = model.resolution(height: height, width: width, of: before)
        try teacher.validate(height: h, width: w)
        try before.validate(height: h, width: w)
        try InputChecks.requireMemory(height: h, width: w)
        let cases = try PromptList.load(URL(fileURLWithPath: prompts), firstSeed: seed, seedsPerPrompt: 1, negativePrompt: nil)
            .map { DistillationEvaluation.Case(prompt: $0.prompt, negativePrompt: $0.negativePrompt, seed: UInt64(bitPattern: $0.seed)) }
        var variants: [DistillationEvaluation.Variant] = []
        for s in stepList {
            variants.append(.init(label: "student before", pipeline: before, settings: SamplingSettings(steps: s, guidanceScale: cfgScale)))
            for student in students {
                variants.append(.init(label: student.label, pipeline: student.pipeline, settings: SamplingSettings(steps: s, guidanceScale: cfgScale)))
            }
        }
        for s in baselines {
            variants.append(.init(label: "teacher", pipeline: teacher, settings: SamplingSettings(steps: s, guidanceScale: teacherSettings.guidanceScale)))
        }
        var scorer: ((DistillationEvaluation.Case, Tensor) -> Float)?
        if adherence != nil { scorer = { c, image in Self.shapesAdherence(c, image) } }
        let progress = Progress("samples", total: cases.count * (variants.count + 1))
        var done = 0
        let (reference, results) = try DistillationEvaluation.run(
            teacher: .init(label: "teacher", pipeline: teacher, settings: teacherSettings), variants: variants, cases: cases,
            height: h, width: w, score: scorer) { _, _ in done += 1; progress.update(done) }
        let folder = URL(fileURLWithPath: outputPath)
        try EvaluationReport.write(reference: reference, results: results, cases: cases, gridSteps: gridSteps, to: folder)
        try QualityPlot.render(reference: reference, results: results).write(to: folder.appendingPathComponent("quality.png"), format: .png)
        print(EvaluationReport.table(reference: reference, results: results))
        print("wrote \(["metrics.csv", "summary.csv", "grid.png", "quality.png"].map { folder.appendingPathComponent($0).path }.joined(separator: ", "))")
    }

    /// Student files as (label, path): one unlabelled file is "student after"; `LABEL=PATH` is
    /// "after LABEL".
    private func labelled(_ values: [String], flag: String) throws -> [(label: String, path: String)] {
        try values.map { value in
            if let split = value.firstIndex(of: "="), !FileManager.default.fileExists(atPath: value) {
                let label = String(value[..<split]), path = String(value[value.index(after: split)...])
                guard !label.isEmpty, !path.isEmpty else { throw ValidationError("\(flag) \(value): write LABEL=PATH") }
                return ("after " + label, path)
            }
            guard values.count == 1 else { throw ValidationError("\(flag) \(value): with several students, label each as LABEL=PATH") }
            return ("student after", value)
        }
    }

    /// 1 when the picture shows the colour and shape its caption names (see ``Shapes/read(_:)``).
    static func shapesAdherence(_ c: DistillationEvaluation.Case, _ image: Tensor) -> Float {
        guard let scene = Shapes.scene(caption: c.prompt), let picture = try? RGBImage(tensor: image) else { return 0 }
        return Shapes.adheres(picture, to: scene) ? 1 : 0
    }

    private func parseList(_ text: String, flag: String) throws -> [Int] {
        try text.split(separator: ",").map {
            guard let value = Int($0.trimmingCharacters(in: .whitespaces)), (1...InputChecks.maxSteps).contains(value) else {
                throw ValidationError("\(flag): '\($0)' is not a step count in 1...\(InputChecks.maxSteps)")
            }
            return value
        }
    }
}

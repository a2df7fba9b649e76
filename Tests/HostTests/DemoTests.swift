import DiffSynth
import Foundation
import Testing
@testable import Host

/// A reduced `make demo`: the same commands on the embedded default model with few prompts and steps.
@Suite("make demo, reduced", .serialized)
struct DemoTests {
    static let model = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Models/qwen-image-shapes")
    static var trained: Bool {
        FileManager.default.fileExists(atPath: model.appendingPathComponent("transformer/diffusion_pytorch_model.safetensors").path)
    }

    @Test("dataset → distil → plot → eval on the embedded model: the loss falls and every output is written",
          .enabled(if: DemoTests.trained, "the embedded model's weights are not in this checkout"))
    func reducedDemo() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("demo-\(UUID().uuidString)")
        func path(_ name: String) -> String { out.appendingPathComponent(name).path }
        let m = Self.model.path
        try ShapesCommand.parse(["--output_path", path("prompts"), "--count", "4", "--seed", "1", "--prompts_only"]).run()
        try ShapesCommand.parse(["--output_path", path("heldout"), "--count", "2", "--seed", "2", "--prompts_only"]).run()
        try DatasetCommand.parse(["--model", m, "--prompts", path("prompts/prompts.csv"), "--output_path", path("data"),
                                  "--height", "64", "--width", "64", "--teacher_steps", "8", "--teacher_cfg_scale", "4",
                                  "--num_inference_steps", "2"]).run()
        func train(output: String) -> [String] {
            ["--model", m, "--dataset_base_path", path("data"), "--dataset_metadata_path", path("data/metadata.csv"),
             "--data_file_keys", "image", "--extra_inputs", "seed,rand_device,num_inference_steps,cfg_scale",
             "--height", "64", "--width", "64", "--dataset_repeat", "6", "--lora_base_model", "dit",
             "--lora_target_modules", "", "--lora_rank", "16", "--learning_rate", "1e-3", "--task", "direct_distill",
             "--output_path", output, "--save_steps", "24"]
        }
        try TrainCommand.parse(train(output: path("train"))).run()
        func losses(_ run: String) throws -> [Double] {
            let csv = try String(contentsOfFile: path("\(run)/loss.csv"), encoding: .utf8)
            return csv.split(separator: "\n").filter { $0.contains(",loss,") }.compactMap { Double($0.split(separator: ",")[2]) }
        }
        let values = try losses("train")
        #expect(values.count == 24)
        // Each epoch visits the same 4 rows (in its own order): compare the first epoch with the last.
        #expect(values.suffix(4).reduce(0, +) < values.prefix(4).reduce(0, +), "\(values)")
        // Deterministic: a second run of the same command gives the same losses, bit for bit.
        try TrainCommand.parse(train(output: path("again"))).run()
        #expect(try losses("again") == values)
        try PlotLossCommand.parse(["--csv", path("train/loss.csv"), "--output", path("loss.png")]).run()
        try EvalCommand.parse(["--model", m, "--lora_path", path("train/step-24.safetensors"), "--prompts", path("heldout/prompts.csv"),
                               "--steps", "2", "--baseline_teacher_steps", "2", "--teacher_steps", "8", "--teacher_cfg_scale", "4",
                               "--grid_steps", "2", "--height", "64", "--width", "64", "--adherence", "shapes",
                               "--output_path", path("eval")]).run()
        let summary = try Metadata(contentsOf: out.appendingPathComponent("eval/summary.csv"))
        #expect(summary.columns.contains("score"))
        #expect(summary.rows.count == 5)
        for file in ["loss.png", "eval/grid.png"] { #expect(FileManager.default.fileExists(atPath: path(file)), "\(file)") }
        let grid = try RGBImage(contentsOf: out.appendingPathComponent("eval/grid.png"))
        // Cells, plus the prompts' margin and a header of five title lines ("student before", steps, cfg, NFE).
        let header = 5 * BitmapFont.lineHeight + 4
        #expect(grid.width == RGBImage.gridRowTitleWidth + 4 * 64 + 5 * 2 && grid.height == header + 2 * 64 + 3 * 2)
    }
}

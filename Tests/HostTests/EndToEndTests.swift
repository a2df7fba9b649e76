import ArgumentParser
import DiffSynth
import Foundation
import Testing
@testable import Host

/// The commands end to end on the built-in tiny models, as a user would run them.
@Suite("diffsynth end to end", .serialized)
struct EndToEndTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("host-\(UUID().uuidString)")

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    func writePrompts() throws -> String {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "a red circle\na blue square\na green triangle\n".write(toFile: path("prompts.txt"), atomically: true, encoding: .utf8)
        return path("prompts.txt")
    }

    /// metrics.csv and summary.csv as pandas reads them: every numeric cell a number (`inf` allowed
    /// only for a student's PSNR) or empty (NaN), `case` an integer, the teacher's PSNR empty, one
    /// summary row per variant.
    func expectPandasShape(_ eval: URL, cases: Int, variants: Int) throws {
        let metrics = try Metadata(contentsOf: eval.appendingPathComponent("metrics.csv"))
        let summary = try Metadata(contentsOf: eval.appendingPathComponent("summary.csv"))
        #expect(metrics.rows.count == cases * variants && summary.rows.count == variants)
        #expect(metrics.rows.allSatisfy { Int($0.fields["case"]!) != nil })
        #expect(summary.rows.allSatisfy { $0.fields["cases"] == "\(cases)" })
        let numeric = ["steps", "cfg_scale", "nfe", "latent_mse", "teacher_latent_mse", "psnr", "ssim", "psnr_round_trip"]
        for (file, rows) in [("metrics", metrics.rows), ("summary", summary.rows)] {
            for row in rows {
                for column in numeric {
                    let text = row.fields[column]!
                    #expect(text.isEmpty || Double(text)?.isFinite == true || (column.hasPrefix("psnr") && text == "inf"), "\(file) \(column) '\(text)'")
                }
            }
            let teacherRows = file == "metrics" ? cases : 1
            #expect(rows.prefix(teacherRows).allSatisfy { $0.fields["variant"] == "teacher" && $0.fields["psnr"] == "" }, "\(file): teacher psnr")
            #expect(rows.filter { $0.fields["variant"] == "VAE round trip" }
                .allSatisfy { $0.fields["steps"] == "" && $0.fields["nfe"] == "0" && $0.fields["psnr_round_trip"] == "" })
            #expect(rows.dropFirst(teacherRows).allSatisfy { Double($0.fields["psnr"]!) != nil }, "\(file): psnr")
        }
    }

    func losses(_ output: String) throws -> [Double] {
        let csv = try String(contentsOfFile: path(output) + "/loss.csv", encoding: .utf8)
        return csv.split(separator: "\n").filter { $0.contains(",loss,") }.compactMap { Double($0.split(separator: ",")[2]) }
    }

    @Test("generate writes a PNG from a tiny model")
    func generate() throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try GenerateCommand.parse(["--tiny", "qwen-image", "--prompt", "a cat", "--height", "32", "--width", "48",
                                   "--num_inference_steps", "3", "--output", path("cat.png")]).run()
        let image = try RGBImage(contentsOf: folder.appendingPathComponent("cat.png"))
        #expect(image.width == 48 && image.height == 32)
    }

    /// Teacher of one family makes the dataset; a student of the other family distils from it.
    @Test("cross-model distillation: an offline dataset from one family trains a student of the other, and eval runs",
          arguments: [("sdxl", "qwen-image"), ("qwen-image", "sdxl")])
    func crossModel(_ teacher: String, _ student: String) throws {
        let prompts = try writePrompts()
        try DatasetCommand.parse(["--tiny", teacher, "--prompts", prompts, "--output_path", path("data"), "--height", "32", "--width", "32",
                                  "--teacher_steps", "6", "--teacher_cfg_scale", "3", "--num_inference_steps", "2"]).run()
        let metadata = try Metadata(contentsOf: folder.appendingPathComponent("data/metadata.csv"))
        #expect(metadata.rows.count == 3
                && metadata.columns == ["image", "prompt", "seed", "rand_device", "num_inference_steps", "cfg_scale", "latents"])
        // Each row's latents are the teacher's own: decoding them gives exactly the row's image.
        let teacherPipeline = try ModelOptions.parse(["--tiny", teacher]).load()
        for row in metadata.rows {
            let (latents, family) = try TeacherLatentsFile.read(folder.appendingPathComponent("data").appendingPathComponent(row.fields["latents"]!))
            let shape = try teacherPipeline.latentShape(height: 32, width: 32)
            #expect(family == teacher && latents.shape == shape)
            let decoded = try RGBImage(tensor: try withNoGrad { try teacherPipeline.decode(latents: latents) })
            let written = try RGBImage(contentsOf: folder.appendingPathComponent("data").appendingPathComponent(row.fields["image"]!))
            #expect(decoded.pixels == written.pixels)
        }
        // Resumable: a second run finds every row and draws nothing new.
        try DatasetCommand.parse(["--tiny", teacher, "--prompts", prompts, "--output_path", path("data"), "--height", "32", "--width", "32",
                                  "--teacher_steps", "6", "--teacher_cfg_scale", "3", "--num_inference_steps", "2"]).run()
        #expect(try Metadata(contentsOf: folder.appendingPathComponent("data/metadata.csv")).rows.count == 3)
        try TrainCommand.parse(["--tiny", student, "--dataset_base_path", path("data"), "--dataset_metadata_path", path("data/metadata.csv"),
                                "--data_file_keys", "image", "--extra_inputs", "seed,rand_device,num_inference_steps,cfg_scale",
                                "--height", "32", "--width", "32", "--dataset_repeat", "4", "--num_epochs", "2", "--learning_rate", "1e-2",
                                "--lora_base_model", "dit", "--lora_target_modules", "", "--lora_rank", "4", "--task", "direct_distill",
                                "--output_path", path("out"), "--save_steps", "24", "--seed", "1"]).run()
        let values = try losses("out")
        #expect(values.count == 24)
        let first = values.prefix(6).reduce(0, +), last = values.suffix(6).reduce(0, +)
        #expect(last < first, "loss \(values)")
        try EvalCommand.parse(["--tiny", student, "--lora_path", path("out/step-24.safetensors"), "--prompts", prompts,
                               "--steps", "1,2", "--teacher_steps", "6", "--grid_steps", "2", "--height", "32", "--width", "32",
                               "--output_path", path("eval")]).run()
        let summary = try Metadata(contentsOf: folder.appendingPathComponent("eval/summary.csv"))
        // One row per variant: the teacher, its VAE round trip, then before/after at 1 and 2 steps.
        #expect(summary.rows.map { $0.fields["variant"]! }
                == ["teacher", "VAE round trip", "student before", "student after", "student before", "student after"])
        #expect(summary.rows.map { $0.fields["nfe"]! } == ["12", "0", "1", "1", "2", "2"])
        try expectPandasShape(folder.appendingPathComponent("eval"), cases: 3, variants: 6)
        #expect(FileManager.default.fileExists(atPath: path("eval/quality.png")))
        let grid = try RGBImage(contentsOf: folder.appendingPathComponent("eval/grid.png"))
        let header = 5 * BitmapFont.lineHeight + 4
        #expect(grid.width == RGBImage.gridRowTitleWidth + 3 * 32 + 4 * 2 && grid.height == header + 3 * 32 + 4 * 2)
    }

    /// Same family: the dataset's latents are the target; one student for a set of step counts;
    /// trajectory imitation from the command line; eval with two labelled students.
    @Test("same-family distillation: latent targets, a step-count set, trajectory imitation, two students in eval")
    func sameFamily() throws {
        let prompts = try writePrompts()
        try DatasetCommand.parse(["--tiny", "qwen-image", "--prompts", prompts, "--output_path", path("data"), "--height", "32", "--width", "32",
                                  "--teacher_steps", "8", "--teacher_cfg_scale", "3", "--num_inference_steps", "1,2,4"]).run()
        let metadata = try Metadata(contentsOf: folder.appendingPathComponent("data/metadata.csv"))
        #expect(metadata.rows.allSatisfy { $0.fields["num_inference_steps"] == "1,2,4" })
        func train(_ task: String, _ output: String, _ extra: [String]) throws {
            try TrainCommand.parse(["--tiny", "qwen-image", "--dataset_base_path", path("data"), "--dataset_metadata_path", path("data/metadata.csv"),
                                    "--data_file_keys", "image", "--extra_inputs", "seed,rand_device,num_inference_steps,cfg_scale",
                                    "--height", "32", "--width", "32", "--dataset_repeat", "4", "--learning_rate", "1e-2",
                                    "--lora_base_model", "dit", "--lora_target_modules", "", "--lora_rank", "4", "--task", task,
                                    "--output_path", path(output), "--save_steps", "12"] + extra).run()
        }
        try train("direct_distill", "dd", [])
        try train("trajectory_imitation", "ti", ["--teacher_steps", "8", "--teacher_cfg_scale", "3", "--student_steps", "2,4"])
        for run in ["dd", "ti"] {
            let values = try losses(run)
            #expect(values.count == 12 && values.allSatisfy(\.isFinite), "\(run): \(values)")
        }
        // With latents missing from the dataset, --distill_target latents refuses before training (the
        // message, naming row and column, is checked in DistillTargetTests).
        var noLatents = try String(contentsOfFile: path("data/metadata.csv"), encoding: .utf8)
        noLatents = noLatents.replacingOccurrences(of: ",latents", with: ",other")
        try noLatents.write(toFile: path("data/plain.csv"), atomically: true, encoding: .utf8)
        #expect { try TrainCommand.parse(["--tiny", "qwen-image", "--dataset_base_path", path("data"), "--dataset_metadata_path", path("data/plain.csv"),
                                          "--extra_inputs", "seed,rand_device,num_inference_steps,cfg_scale", "--height", "32", "--width", "32",
                                          "--lora_base_model", "dit", "--task", "direct_distill", "--distill_target", "latents",
                                          "--output_path", path("refused")]).run() }
            throws: { ($0 as? ExitCode) == .failure }
        #expect(!FileManager.default.fileExists(atPath: path("refused/loss.csv")))
        try EvalCommand.parse(["--tiny", "qwen-image", "--lora_path", "dd=" + path("dd/step-12.safetensors"),
                               "--lora_path", "ti=" + path("ti/step-12.safetensors"), "--prompts", prompts, "--steps", "2",
                               "--teacher_steps", "8", "--teacher_cfg_scale", "3", "--grid_steps", "2", "--height", "32", "--width", "32",
                               "--output_path", path("eval")]).run()
        let means = try Metadata(contentsOf: folder.appendingPathComponent("eval/summary.csv")).rows
        #expect(means.map { $0.fields["variant"]! } == ["teacher", "VAE round trip", "student before", "after dd", "after ti"])
        // Same family: the distance to the teacher's own latents is measured.
        #expect(means.dropFirst(2).allSatisfy { Double($0.fields["teacher_latent_mse"]!)!.isFinite })
    }

    @Test("online distillation with a teacher of another family caches its images and trains")
    func online() throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "prompt,seed,num_inference_steps\na red circle,1,2\na blue square,2,2\n".write(toFile: path("rows.csv"), atomically: true, encoding: .utf8)
        let arguments = ["--tiny", "qwen-image", "--teacher_tiny", "sdxl", "--teacher_steps", "5", "--teacher_cfg_scale", "2",
                         "--dataset_metadata_path", path("rows.csv"), "--extra_inputs", "seed,num_inference_steps",
                         "--height", "32", "--width", "32", "--dataset_repeat", "6", "--learning_rate", "1e-2",
                         "--trainable_models", "dit", "--task", "direct_distill_online", "--output_path", path("online")]
        try TrainCommand.parse(arguments).run()
        let cached = try FileManager.default.contentsOfDirectory(atPath: path("online/teacher_cache"))
        #expect(cached.filter { $0.hasSuffix(".png") }.count == 2)
        let values = try losses("online")
        #expect(values.count == 12 && values.suffix(4).reduce(0, +) < values.prefix(4).reduce(0, +), "loss \(values)")
    }

    @Test("a bad dataset row stops train before it starts, naming the row")
    func badRow() throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "image,prompt,seed,rand_device,num_inference_steps,cfg_scale\nmissing.png,x,1,cpu,2,1\n"
            .write(toFile: path("bad.csv"), atomically: true, encoding: .utf8)
        do {
            try TrainCommand.parse(["--tiny", "qwen-image", "--dataset_base_path", path(""), "--dataset_metadata_path", path("bad.csv"),
                                    "--data_file_keys", "image", "--extra_inputs", "seed,rand_device,num_inference_steps,cfg_scale",
                                    "--lora_base_model", "dit", "--task", "direct_distill", "--output_path", path("bad-out")]).run()
            Issue.record("expected a failure")
        } catch let exit as ExitCode {
            #expect(exit == .failure)
        }
        #expect(!FileManager.default.fileExists(atPath: path("bad-out/loss.csv")))
    }
}

@Suite("diffsynth inspect and model selection")
struct InspectTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    @Test("inspect recognises a diffusers folder and its strict load passes; a weight file is described")
    func inspect() throws {
        try InspectCommand.parse([Self.fixtures.appendingPathComponent("qwen-image-tiny").path]).run()
        try InspectCommand.parse([Self.fixtures.appendingPathComponent("qwen-image-tiny/vae/diffusion_pytorch_model.safetensors").path]).run()
    }

    @Test("a model id that is not on disk says where it looked and how to download it")
    func missingModel() throws {
        try BuiltinAdapters.registerOnce()
        let options = try ModelOptions.parse(["--model_id_with_origin_paths", "Qwen/Qwen-Image:transformer/*.safetensors",
                                              "--models_dir", "/nonexistent/models"])
        do {
            _ = try options.load()
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("/nonexistent/models/Qwen/Qwen-Image") && "\(error)".contains("download"), "\(error)")
        }
    }
}

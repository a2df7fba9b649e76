import ArgumentParser
import DiffSynth
import Foundation
import Testing
@testable import Host

/// Bad values a new user typed (issue list: traps, numbers from files, silent NaN, work before
/// checks, leftovers, negative numbers): each gets an error naming the flag, file, key or step,
/// and nothing is written.
@Suite("bad input: clear errors, nothing written", .serialized)
struct BadInputTests {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("bad-input-\(UUID().uuidString)")
    func path(_ name: String) -> String { work.appendingPathComponent(name).path }

    func prepare() throws -> String {
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try "a red ring\n".write(toFile: path("prompts.txt"), atomically: true, encoding: .utf8)
        return path("prompts.txt")
    }

    /// The message the command line would print for `arguments` (after the negative-number
    /// rewriting `main` does), or nil when the command ran.
    func failure(_ arguments: [String]) -> String? {
        var stderr = ""
        do {
            var command = try DiffSynthCommand.parseAsRoot(DiffSynthCommand.joiningNegativeNumbers(arguments))
            try Self.capturingStandardError(into: &stderr) { try command.run() }
            return nil
        } catch let exit as ExitCode where exit == .failure {
            return "(exit 1) " + stderr
        } catch {
            return DiffSynthCommand.message(for: error)
        }
    }

    /// Runs `body` with file descriptor 2 redirected to a temporary file, whose text lands in
    /// `text` (commands report their errors there, then exit 1).
    static func capturingStandardError(into text: inout String, _ body: () throws -> Void) throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("stderr-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: url.path, contents: nil)
        let file = try FileHandle(forWritingTo: url)
        let saved = dup(2)
        dup2(file.fileDescriptor, 2)
        defer {
            dup2(saved, 2)
            close(saved)
            try? file.close()
            text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(at: url)
        }
        try body()
    }

    /// Files left under the work folder besides the prompts.
    func leftovers() -> [String] {
        let all = (FileManager.default.enumerator(atPath: work.path)?.allObjects as? [String]) ?? []
        return all.filter { $0 != "prompts.txt" && !$0.hasPrefix("model") && !$0.hasPrefix("keep") }
    }

    @Test("counts, sizes, strengths and floats are checked up front, naming the flag", arguments: [
        (["generate", "--tiny", "qwen-image", "--prompt", "x", "--num_inference_steps", "0"], "--num_inference_steps must be in 1...1000, got 0"),
        (["generate", "--tiny", "qwen-image", "--prompt", "x", "--height", "100000", "--width", "100000"], "--height must be in 1...16384, got 100000"),
        (["generate", "--tiny", "qwen-image", "--prompt", "x", "--height", "9223372036854775807"], "--height must be in 1...16384, got 9223372036854775807"),
        (["generate", "--tiny", "qwen-image", "--prompt", "x", "--height", "16384", "--width", "16384"], "decoding the image needs about"),
        (["generate", "--tiny", "qwen-image", "--prompt", "x", "--cfg_scale", "nan"], "--cfg_scale must be a finite number, got nan"),
        (["generate", "--tiny", "qwen-image", "--prompt", "x", "--cfg_scale", "inf"], "--cfg_scale must be a finite number, got inf"),
        (["dataset", "--tiny", "qwen-image", "--prompts", "p.txt", "--output_path", "o", "--teacher_cfg_scale", "nan"], "--teacher_cfg_scale must be a finite number"),
        (["dataset", "--tiny", "qwen-image", "--prompts", "p.txt", "--output_path", "o", "--num_inference_steps", "100000000"], "--num_inference_steps 100000000: give a step count in 1...1000"),
        (["train", "--tiny", "qwen-image", "--dataset_metadata_path", "m.csv", "--lora_base_model", "dit", "--save_steps", "0"], "--save_steps must be at least 1, got 0"),
        (["train", "--tiny", "qwen-image", "--dataset_metadata_path", "m.csv", "--lora_base_model", "dit", "--max_steps", "0"], "--max_steps must be at least 1, got 0"),
        (["train", "--tiny", "qwen-image", "--dataset_metadata_path", "m.csv", "--lora_base_model", "dit", "--learning_rate", "-1"], "--learning_rate must be positive, got -1.0"),
        (["train", "--tiny", "qwen-image", "--dataset_metadata_path", "m.csv", "--lora_base_model", "dit", "--learning_rate", "nan"], "--learning_rate must be a finite number"),
        (["eval", "--tiny", "qwen-image", "--prompts", "p.txt", "--steps", "2,0"], "--steps: '0' is not a step count in 1...1000"),
    ])
    func flags(_ arguments: [String], _ expected: String) throws {
        let message = failure(arguments) ?? "(ran)"
        #expect(message.contains(expected), "\(arguments): \(message)")
    }

    @Test("dataset --teacher_steps 0 is refused before images/ or metadata.csv exist")
    func datasetSteps() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let prompts = try prepare()
        let message = failure(["dataset", "--tiny", "qwen-image", "--prompts", prompts, "--output_path", path("data"), "--teacher_steps", "0"])
        #expect(message?.contains("--teacher_steps must be in 1...1000, got 0") == true, "\(message ?? "")")
        #expect(!FileManager.default.fileExists(atPath: path("data")))
    }

    @Test("negative numbers after a flag are values: --seed -1 samples like torch.manual_seed(-1)")
    func negativeSeed() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        _ = try prepare()
        #expect(DiffSynthCommand.joiningNegativeNumbers(["--seed", "-1", "--x", "-0.5", "--", "--y", "-2"])
                == ["--seed=-1", "--x=-0.5", "--", "--y", "-2"])
        #expect(failure(["generate", "--tiny", "qwen-image", "--prompt", "x", "--seed", "-1", "--height", "32", "--width", "32",
                         "--num_inference_steps", "1", "--output", path("neg.png")]) == nil)
        let train = try TrainCommand.parse(DiffSynthCommand.joiningNegativeNumbers(["--tiny", "qwen-image", "--dataset_metadata_path", "m.csv",
                                                                                   "--lora_base_model", "dit", "--seed", "-1"]))
        #expect(train.seed == UInt64.max)
    }

    @Test("missing, misplaced and unwritable paths are named before any sampling")
    func paths() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let prompts = try prepare()
        try "x".write(toFile: path("keep-file"), atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["generate", "--tiny", "qwen-image", "--prompt", "x", "--output", path("missing/dir/x.png")], "the folder \(path("missing/dir")) does not exist"),
            (["generate", "--tiny", "qwen-image", "--prompt", "x", "--output", work.path], "is a folder; name the file to write"),
            (["dataset", "--tiny", "qwen-image", "--prompts", path("nope.txt"), "--output_path", path("d")], "--prompts \(path("nope.txt")) does not exist"),
            (["dataset", "--tiny", "qwen-image", "--prompts", prompts, "--output_path", path("keep-file")], "--output_path \(path("keep-file")) is a file, not a folder"),
            (["eval", "--tiny", "qwen-image", "--prompts", prompts, "--output_path", path("keep-file")], "is a file, not a folder"),
            (["train", "--tiny", "qwen-image", "--dataset_metadata_path", path("none.csv"), "--lora_base_model", "dit", "--output_path", path("t")],
             "--dataset_metadata_path \(path("none.csv")) does not exist"),
        ]
        for (arguments, expected) in cases {
            let message = failure(arguments) ?? "(ran)"
            #expect(message.contains(expected), "\(arguments): \(message)")
        }
        #expect(leftovers().isEmpty, "\(leftovers())")
    }

    @Test("config values out of range name the file and key, before a model is built", arguments: [
        ("num_layers", "-1"), ("num_layers", "1000000000"), ("num_attention_heads", "1000000000"), ("attention_head_dim", "-8"),
    ])
    func configValues(_ key: String, _ value: String) throws {
        defer { try? FileManager.default.removeItem(at: work) }
        _ = try prepare()
        let model = work.appendingPathComponent("model")
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/qwen-image-tiny")
        try FileManager.default.copyItem(at: fixture, to: model)
        let config = model.appendingPathComponent("transformer/config.json")
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: config)) as! [String: Any]
        object[key] = Int(value)!
        try JSONSerialization.data(withJSONObject: object).write(to: config)
        let message = failure(["generate", "--model", model.path, "--prompt", "x", "--height", "32", "--width", "32",
                               "--num_inference_steps", "1", "--output", path("x.png")]) ?? "(ran)"
        #expect(message.contains("\(config.path): key '\(key)': \(value) is out of range"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: path("x.png")))
    }

    @Test("a dataset row asking for 10^8 student steps is refused before training, naming the row and column")
    func hugeRowSteps() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        _ = try prepare()
        try Data().write(to: work.appendingPathComponent("0.png"))
        try "image,prompt,seed,rand_device,num_inference_steps,cfg_scale\n0.png,a ring,1,cpu,100000000,1\n"
            .write(toFile: path("metadata.csv"), atomically: true, encoding: .utf8)
        let message = failure(["train", "--tiny", "qwen-image", "--dataset_base_path", work.path, "--dataset_metadata_path", path("metadata.csv"),
                               "--data_file_keys", "image", "--extra_inputs", "seed,rand_device,num_inference_steps,cfg_scale",
                               "--lora_base_model", "dit", "--task", "direct_distill", "--output_path", path("out")]) ?? "(ran)"
        #expect(message.contains("line 2") && message.contains("num_inference_steps") && message.contains("1...1000"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: path("out/loss.csv")))
    }

    @Test("a model folder whose weights cannot fit in memory is refused with the estimate, before loading")
    func hugeModel() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        _ = try prepare()
        let model = work.appendingPathComponent("model")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/qwen-image-tiny"), to: model)
        // A sparse file with a valid header for 2^36 float32 values (256 GB): no disk is used.
        let header = Array("{\"huge\":{\"dtype\":\"F32\",\"shape\":[262144,262144],\"data_offsets\":[0,274877906944]}}".utf8)
        var bytes = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header
        let url = model.appendingPathComponent("vae/diffusion_pytorch_model.safetensors")
        try Data(bytes).write(to: url)
        bytes = []
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: UInt64(8 + header.count) + 274_877_906_944)
        try handle.close()
        let message = failure(["generate", "--model", model.path, "--prompt", "x", "--height", "32", "--width", "32", "--output", path("x.png")]) ?? "(ran)"
        #expect(message.contains("its weights take about 275 GB in Float32 once loaded"), "\(message)")
    }

    @Test("a LoRA rank that cannot fit in memory is refused with the estimate")
    func hugeRank() throws {
        let model = try AdapterRegistry.shared.adapter(family: "qwen-image").tiny(seed: 0)
        do {
            try LoRA.inject(into: model.denoiser, targets: ["to_q"], rank: 100_000_000)
            Issue.record("rank 10^8 was injected")
        } catch {
            #expect("\(error)".contains("LoRA rank 100000000 (--lora_rank):") && "\(error)".contains("GB to train"), "\(error)")
        }
    }

    @Test("NaN weights stop generate at the first step, naming the denoiser, and write nothing; inspect names the tensor")
    func nanWeights() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        _ = try prepare()
        try BuiltinAdapters.registerOnce()
        let model = try AdapterRegistry.shared.adapter(family: "qwen-image").tiny(seed: 0)
        // The output projection: a NaN there reaches the prediction whatever the attention does with it.
        let layer = try #require(model.denoiser.linearLayers().first { $0.path == "proj_out" })
        let nan = Tensor(shape: [2, layer.inFeatures], scalars: Array(repeating: .nan, count: 2 * layer.inFeatures))
        let lora = LoRAWeights(layers: [layer.path: .init(down: nan, up: Tensor.zeros([layer.outFeatures, 2]) + 1)])
        try SafetensorsWriter.write(lora.stateDict().map { (name: $0.key, tensor: $0.value) }, to: URL(fileURLWithPath: path("nan.safetensors")))
        let message = failure(["generate", "--tiny", "qwen-image", "--prompt", "x", "--height", "32", "--width", "32",
                               "--num_inference_steps", "2", "--lora_path", path("nan.safetensors"), "--output", path("nan.png")]) ?? "(ran)"
        #expect(message.contains("the qwen-image denoiser's prediction at step 1 of 2 is not finite"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: path("nan.png")))
        #expect(failure(["inspect", path("nan.safetensors")])?.hasPrefix("(exit 1)") == true)
    }

    @Test("a kill during a save leaves a temporary that the next train run removes")
    func staleTemporaries() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        for name in [".step-3.safetensors.tmp-Ab12Cd", ".loss.csv.\(UUID().uuidString).tmp", ".grid.png.tmp-123-\(UUID().uuidString)"] {
            #expect(AtomicFile.isTemporaryName(name), "\(name)")
            try Data().write(to: work.appendingPathComponent(name))
        }
        for name in [".hidden", "step-3.safetensors", ".tmp-", "notes.tmp"] { #expect(!AtomicFile.isTemporaryName(name), "\(name)") }
        try Data().write(to: work.appendingPathComponent("step-3.safetensors"))
        #expect(AtomicFile.removeStaleTemporaries(in: work).count == 3)
        #expect((try FileManager.default.contentsOfDirectory(atPath: work.path)) == ["step-3.safetensors"])
    }
}

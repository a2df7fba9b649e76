import ArgumentParser
import Foundation
import Testing
@testable import Host

@Suite("Command line")
struct ArgumentTests {
    /// `examples/qwen_image/model_training/lora/Qwen-Image-Distill-LoRA.sh` from DiffSynth-Studio, after
    /// `accelerate launch examples/qwen_image/model_training/train.py`.
    static let distillScript = [
        "--dataset_base_path", "data/diffsynth_example_dataset/qwen_image/Qwen-Image-Distill-LoRA",
        "--dataset_metadata_path", "data/diffsynth_example_dataset/qwen_image/Qwen-Image-Distill-LoRA/metadata.csv",
        "--data_file_keys", "image", "--extra_inputs", "seed,rand_device,num_inference_steps,cfg_scale",
        "--height", "1328", "--width", "1328", "--dataset_repeat", "50",
        "--model_id_with_origin_paths", "Qwen/Qwen-Image:transformer/diffusion_pytorch_model*.safetensors,Qwen/Qwen-Image:text_encoder/model*.safetensors,Qwen/Qwen-Image:vae/diffusion_pytorch_model.safetensors",
        "--learning_rate", "1e-4", "--num_epochs", "5", "--remove_prefix_in_ckpt", "pipe.dit.",
        "--output_path", "./models/train/Qwen-Image-Distill-LoRA_lora", "--lora_base_model", "dit",
        "--lora_target_modules", "to_q,to_k,to_v,add_q_proj,add_k_proj,add_v_proj,to_out.0,to_add_out,img_mlp.net.2,img_mod.1,txt_mlp.net.2,txt_mod.1",
        "--lora_rank", "32", "--use_gradient_checkpointing", "--dataset_num_workers", "8", "--find_unused_parameters", "--task", "direct_distill",
    ]

    @Test("DiffSynth-Studio's Qwen-Image-Distill-LoRA.sh arguments parse unchanged; the model id resolves under ./models")
    func diffSynthScript() throws {
        let command = try TrainCommand.parse(Self.distillScript)
        #expect(command.datasetRepeat == 50 && command.loraRank == 32 && command.useGradientCheckpointing)
        #expect(command.task == "direct_distill" && command.height == 1328 && command.numEpochs == 5)
        #expect(try command.model.folder()?.path == URL(fileURLWithPath: "./models/Qwen/Qwen-Image").path)
    }

    @Test("flags that cannot apply are rejected with the reason", arguments: [
        (["--fp8_models", "dit"], "--fp8_models is not supported"), (["--enable_model_cpu_offload"], "already runs on the CPU"),
        (["--enable_wandb_log"], "only the CSV log"), (["--task", "sft:data_process"], "split training is not needed"),
        (["--task", "dpo"], "--task dpo is not one of"),
    ])
    func rejected(_ extra: [String], _ reason: String) {
        let base = ["--dataset_metadata_path", "m.csv", "--lora_base_model", "dit", "--tiny", "qwen-image"]
        do {
            _ = try TrainCommand.parse(base + extra)
            Issue.record("\(extra) was accepted")
        } catch {
            #expect(TrainCommand.message(for: error).contains(reason), "\(TrainCommand.message(for: error))")
        }
    }

    @Test("exactly one of LoRA and full fine-tuning must be chosen")
    func trainableChoice() {
        #expect(throws: (any Error).self) { try TrainCommand.parse(["--dataset_metadata_path", "m.csv", "--tiny", "sdxl"]) }
        #expect(throws: (any Error).self) {
            try TrainCommand.parse(["--dataset_metadata_path", "m.csv", "--tiny", "sdxl", "--lora_base_model", "unet", "--trainable_models", "unet"])
        }
        #expect(throws: (any Error).self) { try TrainCommand.parse(["--dataset_metadata_path", "m.csv", "--tiny", "sdxl", "--lora_base_model", "vae"]) }
    }
}

/// Every flag of DiffSynth-Studio's training parsers for the built-in families (listed from its
/// source by `Tools/reference/dump_diffsynth_train_flags.py`) is answered: supported, accepted
/// with no effect, or refused with the reason — never "Unknown option".
@Suite("DiffSynth-Studio's training flags")
struct DiffSynthFlagTests {
    struct Flag: Decodable { let flag: String; let takes_value: Bool; let type: String }
    struct Listing: Decodable { let families: [String: [Flag]] }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let flags: [Flag] = {
        let listing = try! JSONDecoder().decode(Listing.self, from: Data(contentsOf: fixtures.appendingPathComponent("diffsynth_train_flags.json")))
        var seen = Set<String>()
        return listing.families.keys.sorted().flatMap { listing.families[$0]! }.filter { seen.insert($0.flag).inserted }
    }()

    @Test("the fixture lists both families' parsers")
    func fixture() { #expect(Self.flags.count >= 50 && Self.flags.contains { $0.flag == "--processor_path" }) }

    @Test("each flag parses or is refused by name with a reason", arguments: flags.map(\.flag))
    func answered(_ name: String) {
        let flag = Self.flags.first { $0.flag == name }!
        let value: [String] = !flag.takes_value ? [] : flag.type == "int" ? ["1"] : flag.type == "float" ? ["0.5"] : [name == "--task" ? "sft" : "x"]
        let base = ["--dataset_metadata_path", "m.csv", "--lora_base_model", "dit", "--tiny", "qwen-image"]
        do {
            _ = try TrainCommand.parse(base + [name] + value)
        } catch {
            let message = TrainCommand.message(for: error)
            #expect(!message.contains("Unknown option") && message.contains(name), "\(name): \(message)")
        }
    }

    @Test("docs/flags.md says what happens to each of them")
    func documented() throws {
        let text = try String(contentsOf: Self.fixtures.appendingPathComponent("../../../docs/flags.md").standardizedFileURL, encoding: .utf8)
        for flag in Self.flags { #expect(text.contains("`\(flag.flag)`"), "\(flag.flag)") }
    }

    @Test("--tokenizer_path is taken only where it names the tokenizer that is read")
    func tokenizer() throws {
        let base = ["--dataset_metadata_path", "m.csv", "--lora_base_model", "dit", "--model", "/models/Qwen-Image"]
        _ = try TrainCommand.parse(base + ["--tokenizer_path", "/models/Qwen-Image/tokenizer/"])
        #expect(TrainCommand.message(for: Self.error { try TrainCommand.parse(base + ["--tokenizer_path", "/elsewhere/tokenizer"]) })
                    .contains("only the model folder's own tokenizer is read (/models/Qwen-Image/tokenizer)"))
        #expect(TrainCommand.message(for: Self.error { try TrainCommand.parse(base + ["--processor_path", "p"]) })
                    .contains("--processor_path is not supported: the processor reads Qwen-Image-Edit's input images"))
    }

    static func error(_ body: () throws -> Any) -> any Error {
        do { _ = try body(); return CancellationError() } catch { return error }
    }
}

/// `--help` of every command on an 80-column terminal: nothing wider, and no paragraph broken by a
/// hard newline in the middle of a sentence (discussions are wrapped by ArgumentParser).
@Suite("help texts")
struct HelpTextTests {
    static let commands: [any ParsableCommand.Type] = [DiffSynthCommand.self] + DiffSynthCommand.configuration.subcommands
        + DiffSynthCommand.configuration.groupedSubcommands.flatMap(\.subcommands)

    @Test("every command's --help fits 80 columns")
    func width() {
        #expect(Self.commands.count >= 12)
        for command in Self.commands {
            let name = command.configuration.commandName ?? "diffsynth"
            let text = DiffSynthCommand.helpMessage(for: command, columns: 80)
            #expect(text.contains("USAGE: "), "\(name)")
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                #expect(line.count <= 80, "\(name): \(line.count) columns: \(line)")
            }
        }
    }

    @Test("a paragraph's lines are filled: no line ends where the next line's first word would still fit")
    func filled() {
        for command in Self.commands {
            let name = command.configuration.commandName ?? "diffsynth"
            let lines = DiffSynthCommand.helpMessage(for: command, columns: 80).split(separator: "\n", omittingEmptySubsequences: false)
            for (line, next) in zip(lines, lines.dropFirst()) where !line.isEmpty && !next.isEmpty {
                // Within one paragraph: same indentation, and the next line continues a sentence.
                let indent = line.prefix { $0 == " " }.count, nextIndent = next.prefix { $0 == " " }.count
                let word = next.dropFirst(nextIndent).prefix { $0 != " " }
                // Paragraphs (overview, discussion) and options' wrapped help; not the subcommand list.
                guard indent == nextIndent, indent == 0 || indent >= 20, let first = word.first, first.isLowercase else { continue }
                // ArgumentParser fills lines to 79 of the 80 columns.
                #expect(line.count + 1 + word.count > 79, "\(name): '\(line)' could hold '\(word)' of the next line")
            }
        }
    }
}

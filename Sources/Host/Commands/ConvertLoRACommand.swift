import ArgumentParser
import DiffSynth
import Foundation

/// `diffsynth convert-lora`: rewrites a LoRA file (DiffSynth-Studio's, peft's, diffusers',
/// kohya-style) under the names `train` writes, so that the family's diffusers pipeline and
/// DiffSynth-Studio both load it — e.g. a DiffSynth-trained SDXL LoRA that diffusers would skip.
struct ConvertLoRACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert-lora", abstract: "Rewrite a LoRA file so diffusers and DiffSynth-Studio both load it.",
        usage: "diffsynth convert-lora --input <file> --family <name> --output <file>",
        discussion: """
        Reads DiffSynth-Studio (lora_A.default), peft/diffusers (lora_A, with lora_adapter_metadata) and kohya-style \\
        (lora_down/lora_up/alpha) names; writes what train --lora_format writes for the family, each layer's scale kept.
        """)

    @OptionGroup var plugins: PluginOptions

    @Option(name: .customLong("input"), help: "The LoRA .safetensors file to read.")
    var input: String
    @Option(name: .customLong("family"), help: "The model family the LoRA belongs to (see diffsynth adapters).")
    var family: String
    @Option(name: .customLong("output"), help: "Where to write the converted file (atomically).")
    var output: String
    @Option(name: .customLong("lora_format"), help: "diffsynth (…lora_A.default.weight) or peft (…lora_A.weight).")
    var loraFormat: String = "diffsynth"
    @Option(name: .customLong("save_dtype"), help: "f32, bf16 or f16.")
    var saveDType: String = "f32"

    func validate() throws {
        guard LoRAWeights.KeyFormat(flag: loraFormat) != nil else { throw ValidationError("--lora_format must be diffsynth or peft, got \(loraFormat)") }
        guard ["f32", "bf16", "f16"].contains(saveDType) else { throw ValidationError("--save_dtype must be f32, bf16 or f16, got \(saveDType)") }
        guard URL(fileURLWithPath: input).standardizedFileURL != URL(fileURLWithPath: output).standardizedFileURL else {
            throw ValidationError("--output must not be the --input file")
        }
    }

    func run() throws {
        try DiffSynthCommand.report {
            try plugins.registerAdapters()
            let convention = try AdapterRegistry.shared.adapter(family: family).publishedDescriptor.loraFiles
            let file = try SafetensorsFile(url: URL(fileURLWithPath: input))
            var tensors: [String: Tensor] = [:]
            for name in file.names { tensors[name] = try file.tensor(name) }
            let weights = try LoRAWeights(stateDict: tensors, file: input, metadata: file.metadata)
            let written = weights.file(format: LoRAWeights.KeyFormat(flag: loraFormat)!, convention: convention)
            try SafetensorsWriter.write(written.tensors.sorted { $0.key < $1.key }.map { (name: $0.key, tensor: $0.value) },
                                        dtype: SafetensorsDType(rawValue: saveDType.uppercased()) ?? .f32,
                                        metadata: written.metadata.merging(["format": "pt"]) { a, _ in a }, to: URL(fileURLWithPath: output))
            print("\(output): \(weights.layers.count) layers, \(written.tensors.count) tensors")
        }
    }
}

extension LoRAWeights.KeyFormat {
    /// The `--lora_format` spelling: `diffsynth` or `peft`.
    init?(flag: String) {
        switch flag {
        case "diffsynth": self = .diffSynth
        case "peft": self = .peft
        default: return nil
        }
    }
}

import ArgumentParser
import DiffSynth
import Foundation

/// `diffsynth init-weights`: random weights for a model folder's configuration — the starting
/// point of training a model from scratch (how the embedded default model was made).
struct InitWeightsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init-weights", abstract: "Write seeded random weights for every component of a model folder's configs.",
        usage: "diffsynth init-weights --model <folder> [<options>]")

    @OptionGroup var plugins: PluginOptions

    @Option(name: .customLong("model"), help: "A diffusers-layout folder with configs (weights are replaced).")
    var model: String

    @Option(name: .customLong("seed"), help: "Seed of the weights (negative seeds wrap, as torch.manual_seed).") var seedValue: Int64 = 0

    @Option(name: .customLong("save_dtype"), help: "f32, bf16 or f16.")
    var saveDType: String = "f32"

    func run() throws {
        try DiffSynthCommand.report {
            try plugins.registerAdapters()
            guard let dtype = SafetensorsDType(rawValue: saveDType.uppercased()), dtype.isWritable else {
                throw ValidationError("--save_dtype must be f32, bf16 or f16")
            }
            let folder = URL(fileURLWithPath: model)
            let adapter = try AdapterRegistry.shared.detect(folder: folder)
            let pipeline = try adapter.load(from: folder, options: AdapterLoadOptions(randomWeights: UInt64(bitPattern: seedValue)))
            try ModelFolderWriter.writeWeights(of: pipeline, to: folder, dtype: dtype)
            for component in pipeline.components {
                print("\(component.name): \(component.module.parameterCount) parameters")
            }
        }
    }
}

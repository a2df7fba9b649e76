import ArgumentParser
import DiffSynth
import Foundation

/// `diffsynth inspect`: what a weight folder or file holds, and whether it loads strictly.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Describe a model folder or a .safetensors file.",
                                                    usage: "diffsynth inspect <path> [<options>]")

    @OptionGroup var plugins: PluginOptions

    @Argument(help: "A diffusers model folder, a component folder or a .safetensors file.")
    var path: String

    @Option(name: .customLong("variant")) var variant: String?

    @Flag(name: .customLong("check_values"),
          help: "Also read every tensor of a model folder and report NaN or infinite values (always done for a single file).")
    var checkValues = false

    func run() throws {
        try DiffSynthCommand.report {
            try plugins.registerAdapters()
            let url = URL(fileURLWithPath: path)
            if url.pathExtension == "safetensors" {
                try describe(try SafetensorsFile(url: url), label: url.lastPathComponent, values: true)
                return
            }
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("model_index.json").path) {
                let folder = try DiffusersFolder(url)
                print("\(url.path): \(folder.pipelineClass)")
                if let adapter = try? AdapterRegistry.shared.detect(folder: url) {
                    print("family: \(adapter.family)")
                    for component in folder.components.keys.sorted() {
                        if let weights = try? folder.weights(component, variant: variant) { try describe(weights, label: component, values: checkValues) }
                    }
                    do {
                        _ = try adapter.load(from: url, options: AdapterLoadOptions(variant: variant))
                        print("strict load: every component's keys and shapes match the \(adapter.family) adapter")
                    } catch {
                        print("strict load: FAILED: \(error)")
                        throw ExitCode.failure
                    }
                } else {
                    print("family: not recognised by any registered adapter")
                }
                return
            }
            try describe(try ShardedSafetensors(url: url, variant: variant), label: url.lastPathComponent, values: checkValues)
        }
    }

    /// Prints the tensors' count, dtypes and first names; with `values`, reads them all and fails
    /// (exit 1) naming the tensors that hold NaN or infinite values.
    private func describe(_ source: any WeightSource, label: String, values: Bool) throws {
        var parameters = 0
        var dtypes: [String: Int] = [:]
        for name in source.names {
            parameters += (source.shape(of: name) ?? []).reduce(1, *)
            let dtype = (source as? SafetensorsFile)?.info(name)?.dtype.rawValue ?? (source as? ShardedSafetensors)?.info(name)?.dtype.rawValue ?? "?"
            dtypes[dtype, default: 0] += 1
        }
        let types = dtypes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        print("\(label): \(source.names.count) tensors (\(types)), \(parameters.formatted()) parameters")
        for name in source.names.prefix(8) { print("  \(name) \(source.shape(of: name) ?? [])") }
        if source.names.count > 8 { print("  … \(source.names.count - 8) more") }
        guard values else { return }
        var bad: [String] = []
        for name in source.names.sorted() {
            let finite = try source.tensor(name).withUnsafeBufferPointer { $0.allSatisfy(\.isFinite) }
            if !finite { bad.append(name) }
        }
        if bad.isEmpty {
            print("  values: all finite")
        } else {
            print("  values: \(bad.count) tensors hold NaN or infinity: \(bad.prefix(5).joined(separator: ", "))\(bad.count > 5 ? ", …" : "")")
            throw ExitCode.failure
        }
    }
}

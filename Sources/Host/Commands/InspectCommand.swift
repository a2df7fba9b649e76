import ArgumentParser
import DiffSynth
import Foundation

/// `diffsynth inspect`: what a weight folder or file holds, and whether it loads strictly.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Describe a model folder or a .safetensors file.")

    @OptionGroup var plugins: PluginOptions

    @Argument(help: "A diffusers model folder, a component folder or a .safetensors file.")
    var path: String

    @Option(name: .customLong("variant")) var variant: String?

    func run() throws {
        try DiffSynthCommand.report {
            try plugins.registerAdapters()
            let url = URL(fileURLWithPath: path)
            if url.pathExtension == "safetensors" {
                describe(try SafetensorsFile(url: url), label: url.lastPathComponent)
                return
            }
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("model_index.json").path) {
                let folder = try DiffusersFolder(url)
                print("\(url.path): \(folder.pipelineClass)")
                if let adapter = try? AdapterRegistry.shared.detect(folder: url) {
                    print("family: \(adapter.family)")
                    for component in folder.components.keys.sorted() {
                        if let weights = try? folder.weights(component, variant: variant) { describe(weights, label: component) }
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
            describe(try ShardedSafetensors(url: url, variant: variant), label: url.lastPathComponent)
        }
    }

    private func describe(_ source: any WeightSource, label: String) {
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
    }
}

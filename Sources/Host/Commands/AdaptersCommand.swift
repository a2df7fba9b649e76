import ArgumentParser
import DiffSynth
import DiffSynthConformance
import Foundation

/// `diffsynth adapters`: the model families this host can load.
struct AdaptersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "adapters", abstract: "List model families (built-in and plugins).")

    @OptionGroup var plugins: PluginOptions

    func run() throws {
        try DiffSynthCommand.report {
            try plugins.registerAdapters()
            for entry in AdapterRegistry.shared.all {
                let adapter = entry.adapter
                let d = adapter.publishedDescriptor
                print("\(adapter.family)  —  \(adapter.summary)")
                print("  from:        \(entry.origin)")
                print("  components:  \(adapter.components.joined(separator: ", "))")
                print("  latents:     \(d.latentChannels) channels, 1/\(d.vaeScaleFactor) scale; sizes in multiples of \(d.resolutionMultiple); default \(d.defaultResolution.height)x\(d.defaultResolution.width)")
                print("  prediction:  \(d.predictionType.rawValue); noise drawn in \(d.noisePrecision.rawValue)")
                print("  teacher:     \(d.teacher.steps) steps, guidance \(d.teacher.guidanceScale); student: \(d.student.steps) steps, guidance \(d.student.guidanceScale)")
                print("  guidance:    \(d.guidance.summary)"
                      + (d.embeddedGuidance.map { "; embedded guidance \($0) (--embedded_guidance, one pass)" } ?? ""))
                print("  LoRA:        \(d.defaultLoRATargets.joined(separator: ","))")
            }
        }
    }
}

/// `diffsynth conformance`: the adapter conformance kit.
struct ConformanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "conformance", abstract: "Run the adapter conformance checks on a family's tiny model.")

    @OptionGroup var plugins: PluginOptions

    @Option(name: .customLong("family"), help: "The family to check; all registered families when omitted.")
    var family: String?

    func run() throws {
        var failed = false
        try DiffSynthCommand.report {
            try plugins.registerAdapters()
            let adapters = try family.map { [try AdapterRegistry.shared.adapter(family: $0)] } ?? AdapterRegistry.shared.all.map(\.adapter)
            for adapter in adapters {
                print("\(adapter.family):")
                for check in ConformanceKit.run(adapter) {
                    print("  " + check.line)
                    failed = failed || !check.passed
                }
            }
        }
        if failed { throw ExitCode.failure }
    }
}

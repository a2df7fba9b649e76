import ArgumentParser
import DiffSynth
import Foundation

/// `diffsynth`: generate images, build distillation datasets, train (Direct Distillation, SFT),
/// evaluate, and inspect adapters and weights — with DiffSynth-Studio's flag names.
@main
struct DiffSynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diffsynth",
        abstract: "Diffusion training with Direct Distillation, on CPU, for any registered model family.",
        discussion: "Model families come from built-in adapters and from plugins (--plugin or DIFFSYNTH_PLUGIN_PATH).",
        subcommands: [GenerateCommand.self, DatasetCommand.self, TrainCommand.self, EvalCommand.self,
                      AdaptersCommand.self, InspectCommand.self, ConvertLoRACommand.self, ConformanceCommand.self, InitWeightsCommand.self,
                      PlotLossCommand.self],
        // Only the embedded default model's own world needs these; keep them out of the product's list.
        groupedSubcommands: [CommandGroup(name: "demo tools (the embedded model's synthetic shapes)",
                                          subcommands: [ShapesCommand.self, CalibrateCommand.self])])

    /// Runs a command body, turning any error into one line on stderr and exit status 1.
    static func report<R>(_ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as ExitCode {
            throw error
        } catch let error as ValidationError {
            throw error
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

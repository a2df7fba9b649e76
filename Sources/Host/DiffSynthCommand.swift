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
                      PlotLossCommand.self, CUDACheckCommand.self],
        // Only the embedded default model's own world needs these; keep them out of the product's list.
        groupedSubcommands: [CommandGroup(name: "demo tools (the embedded model's synthetic shapes)",
                                          subcommands: [ShapesCommand.self, CalibrateCommand.self])])

    /// Runs the command line, after ``joiningNegativeNumbers(_:)``.
    static func main() {
        main(joiningNegativeNumbers(Array(CommandLine.arguments.dropFirst())))
    }

    /// `--seed -1` as `--seed=-1`: ArgumentParser reads a value that starts with a dash as the
    /// next flag ("Missing value for '--seed'"), so a negative number after an option is joined to
    /// it. `--` ends the rewriting, as it ends option parsing.
    static func joiningNegativeNumbers(_ arguments: [String]) -> [String] {
        var result: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" { result += arguments[index...]; break }
            if argument.hasPrefix("--"), !argument.contains("="), index + 1 < arguments.count,
               isNegativeNumber(arguments[index + 1]) {
                result.append(argument + "=" + arguments[index + 1])
                index += 2
                continue
            }
            result.append(argument)
            index += 1
        }
        return result
    }

    private static func isNegativeNumber(_ text: String) -> Bool {
        guard text.hasPrefix("-"), text.count > 1 else { return false }
        let rest = text.dropFirst()
        return Double(rest) != nil && (rest.first?.isNumber == true || rest.first == ".")
    }

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

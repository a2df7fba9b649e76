import ArgumentParser
import DiffSynth
import Foundation

/// `diffsynth shapes`: the embedded default's training set — deterministic pictures of one
/// coloured shape with captions that name colour, shape, size, position and background.
struct ShapesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shapes", abstract: "Write the synthetic shapes dataset (images/ + metadata.csv with image,prompt).",
        usage: "diffsynth shapes --output_path <folder> [<options>]")

    @Option(name: .customLong("output_path")) var outputPath: String
    @Option(name: .customLong("count")) var count: Int = 4000
    @Option(name: .customLong("side"), help: "Image side in pixels.") var side: Int = 64
    @Option(name: .customLong("seed")) var seed: UInt64 = 0
    @Option(name: .customLong("first_index"), help: "Index of the first scene (held-out sets use another seed or range).")
    var firstIndex: Int = 0
    @Flag(name: .customLong("prompts_only"), help: "Write only a prompts.csv (prompt,seed) for `dataset`/`eval`.")
    var promptsOnly = false

    func run() throws {
        try DiffSynthCommand.report {
            let folder = URL(fileURLWithPath: outputPath)
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("images"), withIntermediateDirectories: true)
            var rows = [promptsOnly ? "prompt,seed" : "image,prompt"]
            let progress = Progress("shapes", total: count)
            for i in 0..<count {
                let index = firstIndex + i
                let scene = Shapes.scene(seed: seed, index: index)
                if promptsOnly {
                    rows.append(CSV.line([scene.caption, String(seed &* 1000 &+ UInt64(index))]))
                } else {
                    let name = String(format: "images/%06d.png", index)
                    try Shapes.render(scene, side: side).write(to: folder.appendingPathComponent(name), format: .png)
                    rows.append(CSV.line([name, scene.caption]))
                }
                progress.update(i + 1)
            }
            let file = folder.appendingPathComponent(promptsOnly ? "prompts.csv" : "metadata.csv")
            try AtomicFile.write(Data((rows.joined(separator: "\n") + "\n").utf8), to: file)
            print(file.path)
        }
    }
}

import ArgumentParser
import DiffSynth
import Foundation
import Testing
@testable import Host

/// `dataset --image_format jpg`: DiffSynth-Studio's datasets are JPEGs saved by PIL at quality 75;
/// that is one flag away, and `--image_quality` sets another quality.
@Suite("dataset image formats")
struct DatasetImageFormatTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dataset-format-\(UUID().uuidString)")

    func dataset(_ name: String, _ extra: [String]) throws -> URL {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let prompts = folder.appendingPathComponent("prompts.txt")
        try "a red ring\n".write(to: prompts, atomically: true, encoding: .utf8)
        let output = folder.appendingPathComponent(name)
        try DatasetCommand.parse(["--tiny", "qwen-image", "--prompts", prompts.path, "--output_path", output.path, "--height", "32",
                                  "--width", "48", "--teacher_steps", "2"] + extra).run()
        return output
    }

    @Test("jpg rows hold PIL-quality-75 JPEGs of the very image the PNG dataset stores; --image_quality changes it")
    func jpeg() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let png = try RGBImage(contentsOf: try dataset("png", []).appendingPathComponent("images/000000.png"))
        let jpg = try dataset("jpg", ["--image_format", "jpg"])
        let metadata = try Metadata(contentsOf: jpg.appendingPathComponent("metadata.csv"))
        #expect(metadata.rows.map { $0.fields["image"] } == ["images/000000.jpg"])
        let bytes = try Data(contentsOf: jpg.appendingPathComponent("images/000000.jpg"))
        #expect(bytes == (try png.jpegData(quality: 75)))
        let q95 = try Data(contentsOf: try dataset("q95", ["--image_format", "jpg", "--image_quality", "95"]).appendingPathComponent("images/000000.jpg"))
        #expect(q95 == (try png.jpegData(quality: 95)) && q95 != bytes)
    }

    @Test("--image_quality without jpg, out of range, and unknown formats are refused by name", arguments: [
        (["--image_quality", "90"], "--image_quality applies to JPEG: add --image_format jpg"),
        (["--image_format", "jpg", "--image_quality", "0"], "--image_quality must be in 1...100, got 0"),
        (["--image_format", "webp"], "--image_format must be png or jpg, got webp"),
    ])
    func refused(_ extra: [String], _ message: String) {
        do {
            _ = try DatasetCommand.parse(["--tiny", "qwen-image", "--prompts", "p.txt", "--output_path", "out"] + extra)
            Issue.record("\(extra) accepted")
        } catch {
            #expect(DatasetCommand.message(for: error).contains(message), "\(DatasetCommand.message(for: error))")
        }
    }
}

/// With no model named, every command uses the embedded default and says so.
@Suite("the embedded default model")
struct EmbeddedModelTests {
    @Test("an installed binary looks in PREFIX/share/diffsynth, a build-tree binary in the checkout's Models/")
    func candidates() {
        let installed = EmbeddedModel.candidates(executable: URL(fileURLWithPath: "/opt/ds/bin/diffsynth"))
        #expect(installed.first?.path == "/opt/ds/share/diffsynth/qwen-image-shapes")
        let built = EmbeddedModel.candidates(executable: URL(fileURLWithPath: "/src/repo/.build/release/diffsynth")).map(\.path)
        #expect(built.contains("/src/repo/Models/qwen-image-shapes"))
    }

    @Test("generate with no --model samples the embedded model (the checkout's, from the test binary)")
    func generateWithoutModel() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("embedded-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (found, _) = EmbeddedModel.locate()
        #expect(found?.lastPathComponent == "qwen-image-shapes")
        let command = try GenerateCommand.parse(["--prompt", "a red ring", "--num_inference_steps", "2", "--output", folder.appendingPathComponent("x.png").path])
        #expect(try command.model.folder() == found)
        try command.run()
        let image = try RGBImage(contentsOf: folder.appendingPathComponent("x.png"))
        #expect(image.width == 64 && image.height == 64)
    }
}

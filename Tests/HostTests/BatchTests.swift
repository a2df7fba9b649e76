import ArgumentParser
import DiffSynth
import Foundation
import Testing
@testable import Host

/// `generate --batch_size N` draws and samples as diffusers' `pipe([p1, p2], generator=…)` does
/// (fixtures: `Tools/reference/batch_fixtures.py`): two prompts of different lengths, so
/// Qwen-Image's padding mask matters in the text encoder and in joint attention.
@Suite("batches as diffusers samples them", .serialized)
struct BatchTests {
    struct Reference: Decodable {
        struct Call: Decodable { let cfg_scale: Float; let negative_prompt: String? }
        struct Family: Decodable { let folder: String; let height: Int; let width: Int; let steps: Int; let seed: Int; let calls: [String: Call] }
        let prompts: [String]
        let families: [String: Family]
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static let reference = try! JSONDecoder().decode(Reference.self, from: Data(contentsOf: fixtures.appendingPathComponent("batches/reference.json")))
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("batches-\(UUID().uuidString)")

    func generate(_ family: Reference.Family, _ call: Reference.Call, prompts: [String], batch: Int, seed: Int, name: String) throws -> [RGBImage] {
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let output = work.appendingPathComponent("\(name).png")
        let model = Self.fixtures.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(family.folder)
        try GenerateCommand.parse(["--model", model.path, "--height", "\(family.height)", "--width", "\(family.width)",
                                   "--num_inference_steps", "\(family.steps)", "--cfg_scale", "\(call.cfg_scale)", "--seed", "\(seed)",
                                   "--batch_size", "\(batch)", "--output", output.path]
                                  + prompts.flatMap { ["--prompt", $0] } + (call.negative_prompt.map { ["--negative_prompt", $0] } ?? [])).run()
        return try prompts.indices.map { i in
            try RGBImage(contentsOf: prompts.count == 1 ? output : work.appendingPathComponent("\(name)-\(i).png"))
        }
    }


    @Test("a batch of two prompts of different lengths gives diffusers' two images (1 grey level)",
          arguments: [("qwen-image", "nocfg"), ("qwen-image", "cfg"), ("sdxl", "cfg")])
    func matchesDiffusers(_ familyName: String, _ callName: String) throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let family = try #require(Self.reference.families[familyName]), call = try #require(family.calls[callName])
        let images = try generate(family, call, prompts: Self.reference.prompts, batch: 2, seed: family.seed, name: "batch")
        for (i, image) in images.enumerated() {
            let expected = try RGBImage(contentsOf: Self.fixtures.appendingPathComponent("batches/\(familyName)/\(callName)-\(i).png"))
            let difference = image.maxDifference(to: expected)
            print("\(familyName) \(callName) image \(i): max difference \(difference) levels")
            #expect(difference <= 1, "\(familyName) \(callName) image \(i): \(difference) levels from diffusers")
        }
        // The convention differs from one image per seed: the batch's second image is not seed + 1's.
        let single = try generate(family, call, prompts: [Self.reference.prompts[1]], batch: 1, seed: family.seed + 1, name: "single")
        #expect(single[0].maxDifference(to: images[1]) > 1)
    }

    @Test("dataset --batch_size keeps each row's seed: the same images (1 level) and latents as one row at a time")
    func datasetRows() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let prompts = work.appendingPathComponent("prompts.txt")
        try "a red ring\na small blue square on a large green field\nthree yellow dots\n".write(to: prompts, atomically: true, encoding: .utf8)
        func dataset(_ name: String, batch: Int) throws -> URL {
            let output = work.appendingPathComponent(name)
            try DatasetCommand.parse(["--tiny", "qwen-image", "--prompts", prompts.path, "--output_path", output.path, "--height", "32",
                                      "--width", "32", "--teacher_steps", "4", "--teacher_cfg_scale", "3", "--batch_size", "\(batch)"]).run()
            return output
        }
        let single = try dataset("single", batch: 1), batched = try dataset("batched", batch: 2)
        #expect(try String(contentsOf: single.appendingPathComponent("metadata.csv"), encoding: .utf8)
                == String(contentsOf: batched.appendingPathComponent("metadata.csv"), encoding: .utf8))
        for row in 0..<3 {
            let a = try RGBImage(contentsOf: single.appendingPathComponent(String(format: "images/%06d.png", row)))
            let b = try RGBImage(contentsOf: batched.appendingPathComponent(String(format: "images/%06d.png", row)))
            #expect(a.maxDifference(to: b) <= 1, "row \(row)")
            let la = try TeacherLatentsFile.read(single.appendingPathComponent(String(format: "latents/%06d.safetensors", row))).latents
            let lb = try TeacherLatentsFile.read(batched.appendingPathComponent(String(format: "latents/%06d.safetensors", row))).latents
            #expect(la.shape == lb.shape && la.mseLoss(lb).item() < 1e-8, "row \(row)")
        }
        // An ancestral scheduler's step noise would come from one generator for the batch: refused.
        let turbo = try SDXLGuidanceFixture.copy(to: work.appendingPathComponent("turbo"), turbo: true)
        do {
            try DatasetCommand.parse(["--model", turbo.path, "--prompts", prompts.path, "--output_path", work.appendingPathComponent("x").path,
                                      "--height", "40", "--width", "56", "--teacher_steps", "2", "--batch_size", "2"]).run()
            Issue.record("an ancestral scheduler was batched")
        } catch {
            #expect(DatasetCommand.message(for: error).contains("must come from each row's own seed"), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: work.appendingPathComponent("x/metadata.csv").path))
    }
}

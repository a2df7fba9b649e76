import ArgumentParser
import DiffSynth
import Foundation
import Testing
@testable import Host

/// Each family's guidance and negative-prompt rule, through the commands, against diffusers'
/// own images (`Tools/reference/sdxl_guidance_fixtures.py`: a tiny SDXL folder of another
/// configuration than the adapter's parity fixtures, sampled at 40x56, whose 5x7 latents are odd).
@Suite("guidance and negative-prompt rules", .serialized)
struct GuidanceRuleTests {
    struct Call: Decodable {
        let name: String, scheduler: String, steps: Int, guidance_scale: Float, negative_prompt: String?, seed: Int
    }
    struct Reference: Decodable { let prompt: String; let height: Int; let width: Int; let calls: [Call] }

    static let folder = SDXLGuidanceFixture.folder
    static let referenceFolder = SDXLGuidanceFixture.referenceFolder
    static let reference = try! JSONDecoder().decode(Reference.self, from: Data(contentsOf: referenceFolder.appendingPathComponent("reference.json")))

    let work = FileManager.default.temporaryDirectory.appendingPathComponent("guidance-\(UUID().uuidString)")

    /// A copy of the fixture folder with sdxl-turbo's scheduler, or with `force_zeros_for_empty_prompt` off.
    func variant(turbo: Bool = false, forceZeros: Bool = true) throws -> URL {
        try SDXLGuidanceFixture.copy(to: work.appendingPathComponent("model-\(turbo)-\(forceZeros)"), turbo: turbo, forceZeros: forceZeros)
    }

    func generate(_ model: URL, steps: Int, cfg: Float, negative: String?, seed: Int, name: String) throws -> RGBImage {
        let output = work.appendingPathComponent("\(name).png")
        try GenerateCommand.parse(["--model", model.path, "--prompt", Self.reference.prompt, "--height", "\(Self.reference.height)",
                                   "--width", "\(Self.reference.width)", "--num_inference_steps", "\(steps)", "--cfg_scale", "\(cfg)",
                                   "--seed", "\(seed)", "--output", output.path] + (negative.map { ["--negative_prompt", $0] } ?? [])).run()
        return try RGBImage(contentsOf: output)
    }


    /// diffusers rounds to the nearest level, we truncate as DiffSynth does: 1 level apart at most.
    @Test("generate matches diffusers for guidance 0, 1 and 0.5 (no CFG), and for no, empty and real negative prompts")
    func matchesDiffusers() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let turbo = try variant(turbo: true)
        var ours: [String: RGBImage] = [:]
        for call in Self.reference.calls {
            let model = call.scheduler == "turbo" ? turbo : Self.folder
            let image = try generate(model, steps: call.steps, cfg: call.guidance_scale, negative: call.negative_prompt, seed: call.seed, name: call.name)
            let expected = try RGBImage(contentsOf: Self.referenceFolder.appendingPathComponent("\(call.name).png"))
            let difference = image.maxDifference(to: expected)
            print("\(call.name): max difference \(difference) levels")
            #expect(difference <= 1, "\(call.name): \(difference) levels from diffusers")
            ours[call.name] = image
        }
        // The rules themselves, exactly: scale 0 is scale 1; no negative prompt is not "".
        #expect(ours["turbo_cfg0"]?.pixels == ours["turbo_cfg1"]?.pixels)
        #expect(ours["base_none"]?.pixels != ours["base_empty"]?.pixels)
        // At guidance 0.5 the negative prompt is unused: the same image as guidance 1 without one.
        let unguided = try generate(Self.folder, steps: 3, cfg: 1, negative: nil, seed: 5, name: "base_cfg1")
        #expect(unguided.pixels == ours["base_cfg0.5"]?.pixels)
    }

    @Test("force_zeros_for_empty_prompt false in model_index.json: no negative prompt encodes \"\", as diffusers")
    func forceZerosOff() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let model = try variant(forceZeros: false)
        let none = try generate(model, steps: 3, cfg: 3.5, negative: nil, seed: 5, name: "none")
        let empty = try generate(model, steps: 3, cfg: 3.5, negative: "", seed: 5, name: "empty")
        #expect(none.pixels == empty.pixels)
        let expected = try RGBImage(contentsOf: Self.referenceFolder.appendingPathComponent("base_empty.png"))
        #expect(none.maxDifference(to: expected) <= 1)
    }

    @Test("dataset's teacher follows the same rules: no --negative_prompt at CFG 3.5 is diffusers' zero-negative image")
    func datasetTeacher() throws {
        defer { try? FileManager.default.removeItem(at: work) }
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let prompts = work.appendingPathComponent("prompts.csv")
        try "prompt,seed\n\"\(Self.reference.prompt)\",5\n".write(to: prompts, atomically: true, encoding: .utf8)
        try DatasetCommand.parse(["--model", Self.folder.path, "--prompts", prompts.path, "--output_path", work.appendingPathComponent("data").path,
                                  "--height", "40", "--width", "56", "--teacher_steps", "3", "--teacher_cfg_scale", "3.5"]).run()
        let image = try RGBImage(contentsOf: work.appendingPathComponent("data/images/000000.png"))
        let expected = try RGBImage(contentsOf: Self.referenceFolder.appendingPathComponent("base_none.png"))
        #expect(image.maxDifference(to: expected) <= 1)
    }

    @Test("the rules as stated: SDXL guides only above 1, Qwen-Image (DiffSynth) at any scale but 1")
    func rules() throws {
        #expect([0, 0.5, 1].allSatisfy { !GuidanceRule.aboveOne.guides($0) } && GuidanceRule.aboveOne.guides(1.01))
        #expect(GuidanceRule.unlessScaleIsOne.guides(0) && !GuidanceRule.unlessScaleIsOne.guides(1))
        #expect(GuidanceRule.aboveOne.evaluationsPerStep(0) == 1 && GuidanceRule.unlessScaleIsOne.evaluationsPerStep(0) == 2)
        try BuiltinAdapters.registerOnce()
        #expect(try AdapterRegistry.shared.adapter(family: "sdxl").tiny(seed: 0).descriptor.guidance == .aboveOne)
        let qwen = try AdapterRegistry.shared.adapter(family: "qwen-image").tiny(seed: 0)
        #expect(qwen.descriptor.guidance == .unlessScaleIsOne)
        // DiffSynth's Qwen-Image guides at cfg_scale 0: a different image from cfg_scale 1.
        func sample(_ cfg: Float) throws -> Tensor {
            try Sampler.generate(pipeline: qwen, prompt: "a red ring", height: 32, width: 32, seed: 1, steps: 2, guidanceScale: cfg)
        }
        #expect(try sample(0).mseLoss(try sample(1)).item() > 0)
    }
}

import ArgumentParser
import DiffSynth
import Foundation
import Testing
@testable import Host

/// LoRA files both ways, for both families (fixtures: `Tools/reference/lora_interop_fixtures.py`):
/// a LoRA that diffusers + peft saved (alpha 8 at rank 4, `to_k` at alpha 2, stored only in the
/// `lora_adapter_metadata` header) applies here as in diffusers, and the files we write — which the
/// script loaded with diffusers' `load_lora_weights` and DiffSynth-Studio's loader, getting the same
/// image — are still exactly what `convert-lora` (and `train`, through the same writer) produces.
@Suite("LoRA files with diffusers and DiffSynth-Studio", .serialized)
struct LoRAInteropTests {
    struct Reference: Decodable {
        struct Call: Decodable { let prompt: String; let height: Int; let width: Int; let num_inference_steps: Int }
        let family: String, layers: Int, effect_levels: Int, folder: String, seed: Int, call: Call
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("lora-interop-\(UUID().uuidString)")

    static func reference(_ family: String) throws -> (Reference, URL) {
        let folder = fixtures.appendingPathComponent("lora-interop/\(family)")
        return (try JSONDecoder().decode(Reference.self, from: Data(contentsOf: folder.appendingPathComponent("reference.json"))), folder)
    }

    /// The fixture's call: SDXL at CFG 3.5 without a negative prompt, Qwen-Image without CFG.
    func generate(_ family: String, lora: URL?) throws -> RGBImage {
        let (reference, _) = try Self.reference(family)
        let output = work.appendingPathComponent("\(family)-\(UUID().uuidString).png")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let cfg = family == "sdxl" ? "3.5" : "1"
        try GenerateCommand.parse(["--model", Self.fixtures.deletingLastPathComponent().deletingLastPathComponent()
                                   .appendingPathComponent(reference.folder).path,
                                   "--prompt", reference.call.prompt, "--height", "\(reference.call.height)", "--width", "\(reference.call.width)",
                                   "--num_inference_steps", "\(reference.call.num_inference_steps)", "--cfg_scale", cfg,
                                   "--seed", "\(reference.seed)", "--output", output.path] + (lora.map { ["--lora_path", $0.path] } ?? [])).run()
        return try RGBImage(contentsOf: output)
    }


    @Test("a diffusers-saved LoRA (alpha in the header metadata) gives diffusers' image", arguments: ["sdxl", "qwen-image"])
    func fromDiffusers(_ family: String) throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let (reference, folder) = try Self.reference(family)
        let expected = try RGBImage(contentsOf: folder.appendingPathComponent("lora.png"))
        let base = try generate(family, lora: nil)
        #expect(base.maxDifference(to: try RGBImage(contentsOf: folder.appendingPathComponent("base.png"))) <= 1)
        let ours = try generate(family, lora: folder.appendingPathComponent("diffusers.safetensors"))
        let difference = ours.maxDifference(to: expected)
        print("\(family): diffusers LoRA, max difference \(difference) levels; LoRA effect \(ours.maxDifference(to: base)) levels")
        #expect(difference <= 1, "\(family): \(difference) levels from diffusers")
        #expect(ours.maxDifference(to: base) >= reference.effect_levels / 2, "\(family): the LoRA barely acts")
    }

    @Test("convert-lora writes the files diffusers and DiffSynth-Studio were checked with, and they give the same image",
          arguments: ["sdxl", "qwen-image"])
    func toDiffusers(_ family: String) throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let (reference, folder) = try Self.reference(family)
        let expected = try RGBImage(contentsOf: folder.appendingPathComponent("lora.png"))
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        for format in ["diffsynth", "peft"] {
            let committed = folder.appendingPathComponent("ours_\(format).safetensors")
            let written = work.appendingPathComponent("\(format).safetensors")
            try ConvertLoRACommand.parse(["--input", folder.appendingPathComponent("diffusers.safetensors").path, "--family", family,
                                          "--lora_format", format, "--output", written.path]).run()
            let a = try SafetensorsFile(url: committed), b = try SafetensorsFile(url: written)
            #expect(a.names.sorted() == b.names.sorted(), "\(family) \(format): key names changed")
            for name in a.names where b.names.contains(name) {
                #expect(try a.tensor(name).scalars == b.tensor(name).scalars, "\(family) \(format): \(name)")
            }
            let key = LoRAWeights.diffusersMetadataKey
            func json(_ text: String?) -> NSDictionary? {
                text.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? NSDictionary }
            }
            #expect(json(a.metadata[key]) == json(b.metadata[key]), "\(family) \(format): lora_adapter_metadata changed")
            // Layers diffusers (and DiffSynth) can see: SDXL always and peft files carry diffusers' prefix.
            let prefix = family == "sdxl" ? "unet." : "transformer."
            let prefixed = a.names.filter { $0.hasPrefix(prefix) && $0.hasSuffix("lora_A.weight") }.count
            #expect(prefixed == (family == "sdxl" || format == "peft" ? reference.layers : 0), "\(family) \(format)")
            #expect(!a.names.contains { !$0.contains("lora") && family == "sdxl" }, "diffusers' SDXL loader refuses non-LoRA keys")
            let image = try generate(family, lora: committed)
            #expect(image.maxDifference(to: expected) <= 1, "\(family) \(format): \(image.maxDifference(to: expected)) levels")
        }
    }

    @Test("the written file keeps each layer's scale and the unscaled lora_A when read back")
    func roundTrip() throws {
        let pair = LoRAWeights.Pair(down: Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]),
                                    up: Tensor(shape: [3, 2], scalars: [1, 0, 0, 1, 1, 1]), scale: 2.5)
        let plain = LoRAWeights.Pair(down: pair.down, up: pair.up, scale: 1)
        let weights = LoRAWeights(layers: ["blocks.0.to_q": pair, "blocks.0.to_k": plain])
        for convention in [LoRAFileConvention(diffusersPrefix: "unet", diffusersConvertsDiffSynthNames: false),
                           LoRAFileConvention(diffusersPrefix: "transformer", diffusersConvertsDiffSynthNames: true)] {
            for format in LoRAWeights.KeyFormat.allCases {
                let file = weights.file(format: format, convention: convention)
                let read = try LoRAWeights(stateDict: file.tensors, metadata: file.metadata)
                #expect(read.layers["blocks.0.to_q"]?.scale == 2.5 && read.layers["blocks.0.to_k"]?.scale == 1, "\(convention) \(format)")
                #expect(read.layers["blocks.0.to_q"]?.down.scalars == pair.down.scalars)
            }
        }
        #expect(throws: LoRAError.self) {
            try LoRAWeights(stateDict: weights.stateDict(), metadata: [LoRAWeights.diffusersMetadataKey: "[1, 2]"])
        }
    }
}

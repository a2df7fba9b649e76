import DiffSynth
import Foundation
import Testing
@testable import SDXL

@Suite("SDXL loading errors")
struct LoadingTests {
    /// Rewrites the tiny `text_encoder_2` weights of a temporary folder copy through `edit`.
    static func editTextEncoder2(_ folder: URL, _ edit: (inout [String: Tensor]) -> Void) throws {
        let url = folder.appendingPathComponent("text_encoder_2/model.fp16.safetensors")
        let file = try SafetensorsFile(url: url)
        var tensors: [String: Tensor] = [:]
        for name in file.names { tensors[name] = try file.tensor(name) }
        edit(&tensors)
        try SafetensorsWriter.write(tensors.sorted { $0.key < $1.key }.map { (name: $0.key, tensor: $0.value) }, dtype: .f16, to: url)
    }

    /// The error message of loading `folder`, which must fail.
    static func failure(loading folder: URL, variant: String? = "fp16") -> String {
        do {
            _ = try Fixtures.pipeline(folder, variant: variant)
        } catch {
            return String(describing: error)
        }
        Issue.record("loading \(folder.path) unexpectedly succeeded")
        return ""
    }

    @Test("a missing key fails before any compute, naming the key and the file")
    func missingKey() throws {
        let folder = try Fixtures.temporaryCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.editTextEncoder2(folder) { $0["text_model.encoder.layers.3.mlp.fc1.bias"] = nil }
        let message = Self.failure(loading: folder)
        #expect(message.contains("'text_model.encoder.layers.3.mlp.fc1.bias' is missing"), "\(message)")
        #expect(message.contains("text_encoder_2/model.fp16.safetensors"), "\(message)")
    }

    @Test("an unexpected key fails, naming the key and the file")
    func unexpectedKey() throws {
        let folder = try Fixtures.temporaryCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.editTextEncoder2(folder) { $0["text_model.encoder.layers.9.extra.weight"] = Tensor.zeros([2]) }
        let message = Self.failure(loading: folder)
        #expect(message.contains("unexpected tensor 'text_model.encoder.layers.9.extra.weight'"), "\(message)")
        #expect(message.contains("text_encoder_2/model.fp16.safetensors"), "\(message)")
    }

    @Test("a wrongly shaped tensor fails, naming the key, both shapes and the file")
    func wrongShape() throws {
        let folder = try Fixtures.temporaryCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.editTextEncoder2(folder) { $0["text_projection.weight"] = Tensor.zeros([16, 32]) }
        let message = Self.failure(loading: folder)
        #expect(message.contains("'text_projection.weight' has shape [16, 32], the model expects [32, 32]"), "\(message)")
        #expect(message.contains("text_encoder_2/model.fp16.safetensors"), "\(message)")
    }

    @Test("missing folders, components, configs and weight files are reported with their paths")
    func missingPieces() throws {
        let nowhere = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-sdxl-\(UUID().uuidString)")
        #expect(Self.failure(loading: nowhere).contains("\(nowhere.path): no such model folder"))

        let folder = try Fixtures.temporaryCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        // The plain (non-variant) files do not exist in the fixture: the error lists what was tried.
        let noVariant = Self.failure(loading: folder, variant: nil)
        #expect(noVariant.contains("diffusion_pytorch_model.safetensors") || noVariant.contains("model.safetensors"), "\(noVariant)")

        try FileManager.default.removeItem(at: folder.appendingPathComponent("unet/config.json"))
        #expect(Self.failure(loading: folder).contains("unet/config.json: file not found"))

        try FileManager.default.removeItem(at: folder.appendingPathComponent("vae"))
        #expect(Self.failure(loading: folder).contains("component folder 'vae/' is missing"))

        try FileManager.default.removeItem(at: folder.appendingPathComponent("model_index.json"))
        #expect(Self.failure(loading: folder).contains("model_index.json: file not found"))
    }

    @Test("another family's folder and mismatched component configurations are refused by name")
    func wrongFamilyAndIncompatibleConfigurations() throws {
        let folder = try Fixtures.temporaryCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let index = folder.appendingPathComponent("model_index.json")
        let original = try String(contentsOf: index, encoding: .utf8)
        try original.replacingOccurrences(of: "StableDiffusionXLPipeline", with: "QwenImagePipeline").write(to: index, atomically: true, encoding: .utf8)
        #expect(Self.failure(loading: folder).contains("this is a QwenImagePipeline, not a StableDiffusionXLPipeline"))
        try original.write(to: index, atomically: true, encoding: .utf8)

        let unetConfig = folder.appendingPathComponent("unet/config.json")
        let text = try String(contentsOf: unetConfig, encoding: .utf8)
        try text.replacingOccurrences(of: "\"cross_attention_dim\": 64", with: "\"cross_attention_dim\": 96")
            .write(to: unetConfig, atomically: true, encoding: .utf8)
        let message = Self.failure(loading: folder)
        #expect(message.contains("cross_attention_dim 96"), "\(message)")
        try text.replacingOccurrences(of: "\"use_linear_projection\": true", with: "\"use_linear_projection\": false")
            .write(to: unetConfig, atomically: true, encoding: .utf8)
        #expect(Self.failure(loading: folder).contains("'use_linear_projection' = false is not supported"))
    }

    @Test("text encoder weights load with and without the text_model. prefix, and ignore position_ids")
    func textModelPrefix() throws {
        let folder = Fixtures.base.appendingPathComponent("text_encoder")
        let file = try ShardedSafetensors(url: folder, variant: "fp16")
        #expect(!file.names.contains { $0.hasPrefix("text_model.") })   // transformers 5 wrote it unprefixed
        var prefixed: [String: Tensor] = ["text_model.embeddings.position_ids": Tensor.zeros([1, 77])]
        for name in file.names { prefixed["text_model." + name] = try file.tensor(name) }
        let configuration = try CLIPTextConfiguration(contentsOf: folder.appendingPathComponent("config.json"))
        let encoder = CLIPTextEncoder(configuration: configuration, scope: ParameterScope(.uninitialized))
        try encoder.load(from: CLIPTextEncoder.weightSource(InMemoryWeights(prefixed)), sourceName: "published layout")
        let reference = try CLIPTextEncoder.load(from: folder, variant: "fp16")
        let ids = Fixtures.metadata.tokens[Fixtures.prompt]!
        #expect(encoder([ids]).penultimate.scalars == reference([ids]).penultimate.scalars)
    }

    @Test("F32 and BF16 weight files load (widened) like the fp16 variant")
    func storedTypes() throws {
        let source = Fixtures.base.appendingPathComponent("text_encoder")
        let reference = try CLIPTextEncoder.load(from: source, variant: "fp16")
        let ids = Fixtures.metadata.tokens_2[Fixtures.secondPrompt]!
        let expected = reference([ids]).penultimate
        for (dtype, tolerance) in [(SafetensorsDType.f32, Float(0)), (.bf16, 2e-2)] {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sdxl-te-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"), to: folder.appendingPathComponent("config.json"))
            try SafetensorsWriter.write(reference.stateDict().sorted { $0.key < $1.key }.map { (name: $0.key, tensor: $0.value) },
                                        dtype: dtype, to: folder.appendingPathComponent("model.safetensors"))
            let encoder = try CLIPTextEncoder.load(from: folder)
            let error = Compare.relativeError(encoder([ids]).penultimate, expected)
            #expect(error <= tolerance, "\(dtype): relative error \(error)")
        }
    }
}

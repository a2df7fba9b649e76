import DiffSynth
import Foundation
import Testing
@testable import QwenImage

@Suite("Loading a Qwen-Image folder: errors name the key and file")
struct LoadingErrorTests {
    /// Loads `folder`, returning the error message (nil on success).
    func failure(_ folder: URL) -> String? {
        do {
            _ = try QwenImagePipeline.load(from: folder, tokenizer: FixtureTokenizer())
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// Rewrites the shard of `component` that holds `tensor` (BF16, as published) after `edit`, and
    /// the component's index to list exactly the shard's new tensors.
    func editShard(_ folder: URL, component: String, holding tensor: String,
                   _ edit: (inout [(name: String, tensor: Tensor)]) throws -> Void) throws -> String {
        let directory = folder.appendingPathComponent(component)
        let checkpoint = try ShardedSafetensors(url: directory)
        let shard = checkpoint.file(containing: tensor)!
        var tensors = try shard.names.map { (name: $0, tensor: try shard.tensor($0)) }
        try edit(&tensors)
        let shardName = shard.url.lastPathComponent
        try SafetensorsWriter.write(tensors, dtype: .bf16, to: shard.url)
        let indexURL = checkpoint.url
        var index = try JSONSerialization.jsonObject(with: Data(contentsOf: indexURL)) as! [String: Any]
        var map = (index["weight_map"] as! [String: String]).filter { $0.value != shardName }
        for t in tensors { map[t.name] = shardName }
        index["weight_map"] = map
        try JSONSerialization.data(withJSONObject: index).write(to: indexURL)
        return shardName
    }

    @Test("the fixture folder loads strictly")
    func loads() throws {
        #expect(failure(Fixtures.folder) == nil)
        #expect(QwenImagePipeline.canLoad(Fixtures.folder))
    }

    @Test("a missing transformer tensor is named with the checkpoint")
    func missingKey() throws {
        let folder = try Fixtures.copyOfFolder()
        _ = try editShard(folder, component: "transformer", holding: "transformer_blocks.1.attn.norm_added_k.weight") { tensors in
            tensors.removeAll { $0.name == "transformer_blocks.1.attn.norm_added_k.weight" }
        }
        let message = failure(folder)
        #expect(message?.contains("'transformer_blocks.1.attn.norm_added_k.weight' is missing") == true, "\(message ?? "loaded")")
        #expect(message?.contains("transformer/diffusion_pytorch_model.safetensors.index.json") == true, "\(message ?? "loaded")")
    }

    @Test("an unexpected tensor is named with the shard file that holds it")
    func unexpectedKey() throws {
        let folder = try Fixtures.copyOfFolder()
        let shard = try editShard(folder, component: "transformer", holding: "proj_out.weight") { tensors in
            tensors.append((name: "transformer_blocks.0.attn.to_qkv.weight", tensor: Tensor.zeros([96, 32])))
        }
        let message = failure(folder)
        #expect(message?.contains("unexpected tensor 'transformer_blocks.0.attn.to_qkv.weight'") == true, "\(message ?? "loaded")")
        #expect(message?.contains("transformer/\(shard)") == true, "\(message ?? "loaded")")
    }

    @Test("a wrong shape is named with the file and both shapes")
    func wrongShape() throws {
        let folder = try Fixtures.copyOfFolder()
        // The VAE is a single file: rewrite it with one conv weight cut to its 2-D tap.
        let url = folder.appendingPathComponent("vae/diffusion_pytorch_model.safetensors")
        let file = try SafetensorsFile(url: url)
        let tensors = try file.names.map { name -> (name: String, tensor: Tensor) in
            let t = try file.tensor(name)
            return (name, name == "decoder.conv_out.weight" ? t.slice(axis: 2, 2..<3).squeezed(2) : t)
        }
        try SafetensorsWriter.write(tensors, dtype: .bf16, to: url)
        let message = failure(folder)
        #expect(message?.contains("vae/diffusion_pytorch_model.safetensors") == true, "\(message ?? "loaded")")
        #expect(message?.contains("'decoder.conv_out.weight' has shape [3, 8, 3, 3], the model expects [3, 8, 3, 3, 3]") == true,
                "\(message ?? "loaded")")
    }

    @Test("a text-encoder tensor missing from its shard is refused by the index check, naming shard and tensor")
    func textEncoderIndex() throws {
        let folder = try Fixtures.copyOfFolder()
        let directory = folder.appendingPathComponent("text_encoder")
        let checkpoint = try ShardedSafetensors(url: directory)
        let shard = checkpoint.file(containing: "model.norm.weight")!
        let kept = try shard.names.filter { $0 != "model.norm.weight" }.map { (name: $0, tensor: try shard.tensor($0)) }
        try SafetensorsWriter.write(kept, dtype: .bf16, to: shard.url)
        let message = failure(folder)
        #expect(message?.contains("model.norm.weight") == true && message?.contains(shard.url.lastPathComponent) == true, "\(message ?? "loaded")")
    }

    @Test("a missing folder, component, shard or config, and an unsupported scheduler setting, are named")
    func missingPieces() throws {
        let nowhere = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-qwen-\(UUID().uuidString)")
        #expect(failure(nowhere)?.contains(nowhere.path) == true)

        var folder = try Fixtures.copyOfFolder()
        try FileManager.default.removeItem(at: folder.appendingPathComponent("vae"))
        #expect(failure(folder)?.contains("component folder 'vae/' is missing") == true, "\(failure(folder) ?? "loaded")")

        folder = try Fixtures.copyOfFolder()
        let shard = folder.appendingPathComponent("transformer/diffusion_pytorch_model-00002-of-00003.safetensors")
        try FileManager.default.removeItem(at: shard)
        #expect(failure(folder)?.contains("diffusion_pytorch_model-00002-of-00003.safetensors") == true, "\(failure(folder) ?? "loaded")")

        folder = try Fixtures.copyOfFolder()
        try FileManager.default.removeItem(at: folder.appendingPathComponent("text_encoder/config.json"))
        #expect(failure(folder)?.contains("text_encoder/config.json") == true, "\(failure(folder) ?? "loaded")")

        folder = try Fixtures.copyOfFolder()
        try FileManager.default.removeItem(at: folder.appendingPathComponent("model_index.json"))
        #expect(failure(folder)?.contains("model_index.json") == true, "\(failure(folder) ?? "loaded")")

        folder = try Fixtures.copyOfFolder()
        let scheduler = folder.appendingPathComponent("scheduler/scheduler_config.json")
        try String(contentsOf: scheduler, encoding: .utf8).replacingOccurrences(of: "\"use_karras_sigmas\": false", with: "\"use_karras_sigmas\": true")
            .write(to: scheduler, atomically: true, encoding: .utf8)
        #expect(failure(folder)?.contains("scheduler/scheduler_config.json") == true && failure(folder)?.contains("use_karras_sigmas") == true,
                "\(failure(folder) ?? "loaded")")
    }

    @Test("a folder of another family or with a foreign component class is refused")
    func wrongClasses() throws {
        let folder = try Fixtures.copyOfFolder()
        let index = folder.appendingPathComponent("model_index.json")
        let text = try String(contentsOf: index, encoding: .utf8)
        try text.replacingOccurrences(of: "AutoencoderKLQwenImage", with: "AutoencoderKL").write(to: index, atomically: true, encoding: .utf8)
        #expect(failure(folder)?.contains("component 'vae' is a AutoencoderKL; this adapter reads AutoencoderKLQwenImage") == true, "\(failure(folder) ?? "loaded")")
        try text.replacingOccurrences(of: "\"QwenImagePipeline\"", with: "\"StableDiffusionXLPipeline\"").write(to: index, atomically: true, encoding: .utf8)
        #expect(failure(folder)?.contains("StableDiffusionXLPipeline, not a QwenImagePipeline") == true, "\(failure(folder) ?? "loaded")")
        #expect(!QwenImagePipeline.canLoad(folder))
    }

    @Test("a config value this port cannot run is named with its file and key")
    func badConfig() throws {
        let folder = try Fixtures.copyOfFolder()
        let url = folder.appendingPathComponent("transformer/config.json")
        let text = try String(contentsOf: url, encoding: .utf8)
        try text.replacingOccurrences(of: "\"zero_cond_t\": false", with: "\"zero_cond_t\": true").write(to: url, atomically: true, encoding: .utf8)
        let message = failure(folder)
        #expect(message?.contains("transformer/config.json") == true && message?.contains("zero_cond_t") == true, "\(message ?? "loaded")")
    }
}

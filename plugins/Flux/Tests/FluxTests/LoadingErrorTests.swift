import DiffSynth
import Foundation
import Testing
@testable import Flux

/// Broken FLUX folders fail before any weight is read in bulk, with errors that name the file,
/// component and key at fault.
@Suite("FLUX folder errors")
struct LoadingErrorTests {
    /// A copy of the tiny dev folder with `edit` applied; returns what loading it throws.
    func loadError(_ edit: (URL) throws -> Void, options: AdapterLoadOptions = AdapterLoadOptions()) throws -> any Error {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("flux-broken-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: PipelineFixtures.dev, to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        try edit(copy)
        do {
            _ = try FluxAdapter.load(from: copy, options: options)
        } catch {
            return error
        }
        Issue.record("the broken folder loaded")
        return FluxError.incompatibleComponents(folder: "", reason: "it loaded")
    }

    /// Rewrites a JSON file of the copy through `change`.
    func editJSON(_ url: URL, _ change: (inout [String: Any]) -> Void) throws {
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        change(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: url)
    }

    @Test("another pipeline's model_index.json, a missing component and a wrong class are named")
    func modelIndex() throws {
        let other = try loadError { try editJSON($0.appendingPathComponent("model_index.json")) { $0["_class_name"] = "StableDiffusionXLPipeline" } }
        #expect("\(other)".contains("model_index.json") && "\(other)".contains("StableDiffusionXLPipeline"))
        let missing = try loadError { try FileManager.default.removeItem(at: $0.appendingPathComponent("text_encoder_2")) }
        #expect("\(missing)".contains("text_encoder_2"), "\(missing)")
        let wrongClass = try loadError {
            try editJSON($0.appendingPathComponent("model_index.json")) { $0["text_encoder_2"] = ["transformers", "UMT5EncoderModel"] }
        }
        #expect("\(wrongClass)".contains("text_encoder_2") && "\(wrongClass)".contains("UMT5EncoderModel") && "\(wrongClass)".contains("T5EncoderModel"))
    }

    @Test("components that do not fit together name both settings; weights that do not fit the config name the file")
    func incompatibleWidths() throws {
        // With random weights (nothing read), the widths themselves are checked against each other.
        let random = AdapterLoadOptions(randomWeights: 1)
        let joint = try loadError({ try editJSON($0.appendingPathComponent("transformer/config.json")) { $0["joint_attention_dim"] = 48 } },
                                  options: random)
        #expect("\(joint)".contains("joint_attention_dim 48") && "\(joint)".contains("d_model 40"), "\(joint)")
        let pooled = try loadError({ try editJSON($0.appendingPathComponent("transformer/config.json")) { $0["pooled_projection_dim"] = 16 } },
                                   options: random)
        #expect("\(pooled)".contains("pooled_projection_dim 16") && "\(pooled)".contains("hidden_size 32"), "\(pooled)")
        // With the real weights, the checkpoint no longer matches the edited config.
        let weights = try loadError { try editJSON($0.appendingPathComponent("transformer/config.json")) { $0["joint_attention_dim"] = 48 } }
        #expect("\(weights)".contains("transformer/") && "\(weights)".contains("context_embedder.weight"), "\(weights)")
    }

    @Test("a missing tensor in a transformer shard names the shard index and the key")
    func missingTensor() throws {
        let error = try loadError { folder in
            let index = folder.appendingPathComponent("transformer/diffusion_pytorch_model.safetensors.index.json")
            try editJSON(index) { json in
                var map = json["weight_map"] as! [String: String]
                map["single_transformer_blocks.1.proj_out.weight"] = nil
                json["weight_map"] = map
            }
        }
        #expect("\(error)".contains("transformer/") && "\(error)".contains("single_transformer_blocks.1.proj_out.weight"), "\(error)")
    }

    @Test("a broken tokenizer_2 and scheduler config are named")
    func tokenizerAndScheduler() throws {
        let tokenizer = try loadError { folder in
            try Data("{\"model\": ".utf8).write(to: folder.appendingPathComponent("tokenizer_2/tokenizer.json"))
        }
        #expect("\(tokenizer)".contains("tokenizer_2/tokenizer.json"), "\(tokenizer)")
        let scheduler = try loadError { try editJSON($0.appendingPathComponent("scheduler/scheduler_config.json")) { $0["num_train_timesteps"] = 0 } }
        #expect("\(scheduler)".contains("scheduler_config.json") && "\(scheduler)".contains("num_train_timesteps"), "\(scheduler)")
    }

    @Test("--noise_dtype bfloat16 is refused: diffusers and DiffSynth-Studio draw FLUX noise in Float32")
    func noisePrecision() throws {
        let error = try loadError({ _ in }, options: AdapterLoadOptions(noisePrecision: .bfloat16))
        #expect("\(error)".contains("--noise_dtype") && "\(error)".contains("float32"), "\(error)")
    }

    @Test("max_sequence_length through the adapter: 24 gives diffusers' 24-token prompt_embeds; above 512 is refused as diffusers does")
    func maxSequenceLength() throws {
        let run = try #require(PipelineFixtures.metadata.runs["dev.batch"])
        #expect(run.max_sequence_length == 24)
        let pipeline = try #require(try FluxAdapter.load(from: PipelineFixtures.dev, options: AdapterLoadOptions(maxSequenceLength: 24)) as? FluxPipeline)
        let embeddings = try pipeline.encode(prompts: run.prompts)["prompt_embeds"]
        let comparison = Comparison(embeddings, try PipelineFixtures.reference("dev.batch.prompt_embeds"))
        #expect(comparison.maxRelative < 1e-4, "\(comparison)")
        let error = try loadError({ _ in }, options: AdapterLoadOptions(maxSequenceLength: 513))
        #expect("\(error)".contains("--max_sequence_length") && "\(error)".contains("1...512"), "\(error)")
    }
}

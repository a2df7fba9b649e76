import DiffSynth
import Foundation
import Testing
@testable import QwenImage

@Suite("Qwen-Image text encoder matches transformers")
struct TextEncoderParityTests {
    @Test("the language model's final hidden states of a right-padded batch of templated prompts match")
    func paddedBatch() throws {
        let pipeline = try Fixtures.pipeline()
        let ids = (Fixtures.json["text_encoder"] as! [String: Any])["batch_input_ids"] as! [[Int]]
        let maskTensor = Fixtures.tensor("text.batch.attention_mask")
        let mask = (0..<ids.count).map { b in (0..<ids[0].count).map { Int(maskTensor.scalars[b * ids[0].count + $0]) } }
        for b in ids.indices { #expect(Array(ids[b].prefix(mask[b].reduce(0, +))) == Fixtures.templatedIDs(b)) }
        let hidden = withNoGrad { pipeline.textEncoder(tokenIDs: ids, attentionMask: mask) }
        let comparison = Comparison(hidden, Fixtures.tensor("text.batch.hidden_states"))
        print("text encoder padded batch \(hidden.shape): \(comparison)")
        #expect(comparison.maxRelative <= 1e-4, "\(comparison)")
    }

    @Test("each prompt's embeddings (template dropped, single prompt) match encode_prompt", arguments: 0..<6)
    func promptEmbeddings(_ index: Int) throws {
        let pipeline = try Fixtures.pipeline()
        let conditioning = try pipeline.encode(prompt: Fixtures.promptTexts[index])
        let expected = Fixtures.tensor("text.prompt\(index).prompt_embeds")
        let comparison = Comparison(conditioning["prompt_embeds"], expected)
        print("prompt \(index) embeddings \(expected.shape): \(comparison)")
        #expect(comparison.maxRelative <= 1e-4, "\(comparison)")
        #expect(conditioning["prompt_embeds_mask"].scalars == [Float](repeating: 1, count: expected.shape[1]))
        // The kept tokens are the prompt's plus the 5-token template suffix.
        #expect(expected.shape[1] == Fixtures.templatedIDs(index).count - QwenImagePromptEncoder.dropIndex)
    }

    @Test("a batch is re-padded with zeros after dropping the template, with its mask, as encode_prompt does")
    func batchRepadding() throws {
        let pipeline = try Fixtures.pipeline()
        let (embeddings, mask) = try pipeline.promptEncoder.encode(Array(Fixtures.promptTexts.prefix(3)))
        let comparison = Comparison(embeddings, Fixtures.tensor("text.batch3.prompt_embeds"))
        print("batch of 3 re-padded \(embeddings.shape): \(comparison)")
        #expect(comparison.maxRelative <= 1e-4, "\(comparison)")
        #expect(mask.scalars == Fixtures.tensor("text.batch3.prompt_embeds_mask").scalars)
    }

    @Test("max_sequence_length truncates the embeddings")
    func truncation() throws {
        let pipeline = try Fixtures.pipeline()
        var encoder = pipeline.promptEncoder
        encoder.maxSequenceLength = 5
        let (embeddings, _) = try encoder.encode([Fixtures.promptTexts[0]])
        #expect(Comparison(embeddings, Fixtures.tensor("text.prompt0.max5.prompt_embeds")).maxRelative <= 1e-4)
    }

    @Test("the template prefix is exactly the 34 dropped tokens")
    func templatePrefix() {
        let prefix = Fixtures.tokenizerJSON["template_prefix_ids"] as! [Int]
        #expect(prefix.count == QwenImagePromptEncoder.dropIndex)
        for i in Fixtures.prompts.indices { #expect(Array(Fixtures.templatedIDs(i).prefix(34)) == prefix) }
        #expect(QwenImagePromptEncoder.templated("a cat") == (Fixtures.json["template"] as! String).replacingOccurrences(of: "{}", with: "a cat"))
    }

    @Test("transformers 5's model.language_model.* layout loads to the same model; visual.* and lm_head.* are never read")
    func bothKeyLayouts() throws {
        let published = try ShardedSafetensors(url: Fixtures.folder.appendingPathComponent("text_encoder"))
        let configuration = try QwenImageTextEncoderConfiguration.decode(from: Fixtures.folder.appendingPathComponent("text_encoder/config.json"))
        // Published layout, recording every tensor read.
        let recorder = RecordingWeights(published)
        let a = QwenImageTextEncoder(ParameterScope(.uninitialized), configuration: configuration)
        try a.load(from: recorder, sourceName: "text_encoder", keyForSourceName: QwenImageTextEncoder.keyForSourceName)
        #expect(!recorder.reads.isEmpty)
        #expect(!recorder.reads.contains { $0.hasPrefix("visual.") || $0.hasPrefix("lm_head.") })
        #expect(published.names.contains { $0.hasPrefix("visual.") } && published.names.contains("lm_head.weight"))
        // The in-memory layout of transformers 5, written to a file.
        let renamed = try published.names.map { name -> (name: String, tensor: Tensor) in
            let newName = name.hasPrefix("model.") ? "model.language_model." + name.dropFirst(6)
                : name.hasPrefix("visual.") ? "model." + name : name
            return (newName, try published.tensor(name))
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("te-\(UUID().uuidString).safetensors")
        try SafetensorsWriter.write(renamed, dtype: .bf16, to: url)
        let b = QwenImageTextEncoder(ParameterScope(.uninitialized), configuration: configuration)
        try b.load(from: try ShardedSafetensors(url: url), sourceName: url.lastPathComponent, keyForSourceName: QwenImageTextEncoder.keyForSourceName)
        let ids = [Fixtures.templatedIDs(0)]
        #expect(withNoGrad { a(tokenIDs: ids) }.scalars == withNoGrad { b(tokenIDs: ids) }.scalars)
    }

    @Test("flat (pre-text_config) config files decode to the same language model settings")
    func flatConfiguration() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("flat-\(UUID().uuidString).json")
        let text = """
        {"architectures": ["Qwen2_5_VLForConditionalGeneration"], "hidden_size": 3584, "intermediate_size": 18944,
         "num_hidden_layers": 28, "num_attention_heads": 28, "num_key_value_heads": 4, "rms_norm_eps": 1e-06,
         "rope_theta": 1000000.0, "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]}, "vocab_size": 152064,
         "hidden_act": "silu", "vision_config": {"depth": 32}}
        """
        try text.write(to: url, atomically: true, encoding: .utf8)
        #expect(try QwenImageTextEncoderConfiguration.decode(from: url) == .qwenImage)
    }
}

/// A weight source that records which tensors were read.
final class RecordingWeights: WeightSource, @unchecked Sendable {
    let base: any WeightSource
    var reads: [String] = []
    init(_ base: any WeightSource) { self.base = base }
    var names: [String] { base.names }
    func shape(of name: String) -> [Int]? { base.shape(of: name) }
    func tensor(_ name: String) throws -> Tensor {
        reads.append(name)
        return try base.tensor(name)
    }
}

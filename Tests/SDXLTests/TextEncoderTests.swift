import DiffSynth
import Foundation
import Testing
@testable import SDXL

@Suite("SDXL text encoders")
struct TextEncoderTests {
    @Test("both encoders match transformers: penultimate states, last hidden state and pooled outputs, for every fixture prompt")
    func encodersMatchTransformers() throws {
        let pipeline = try Fixtures.pipeline()
        var worst: Float = 0
        for (index, prompt) in Fixtures.metadata.prompts.enumerated() {
            let first = pipeline.textEncoder([Fixtures.metadata.tokens[prompt]!])
            let second = pipeline.textEncoder2([Fixtures.metadata.tokens_2[prompt]!])
            #expect(first.hiddenStates.count == 6 && second.hiddenStates.count == 6)
            let pairs: [(String, Tensor)] = [
                ("te1.\(index).penultimate", first.penultimate), ("te1.\(index).last_hidden_state", first.lastHiddenState),
                ("te1.\(index).pooled", first.pooled), ("te2.\(index).penultimate", second.penultimate),
                ("te2.\(index).text_embeds", second.textEmbeds!),
            ]
            for (name, value) in pairs {
                let error = Compare.relativeError(value, try Fixtures.reference(name))
                worst = max(worst, error)
                #expect(error <= 1e-4, "\(name) for \"\(prompt)\": relative error \(error)")
            }
        }
        print("text encoders: worst relative error \(worst)")
    }

    @Test("encode(prompt:) gives diffusers' prompt_embeds and pooled_prompt_embeds, positive and negative")
    func promptEncodingMatchesDiffusers() throws {
        let pipeline = try Fixtures.pipeline()
        let pair = try pipeline.prompts(prompt: Fixtures.prompt, negativePrompt: Fixtures.metadata.negative_prompt, guidanceScale: 5)
        let negative = try #require(pair.negative)
        for (name, value) in [("encode.prompt_embeds", pair.positive["prompt_embeds"]),
                              ("encode.pooled_prompt_embeds", pair.positive["pooled_prompt_embeds"]),
                              ("encode.negative_prompt_embeds", negative["prompt_embeds"]),
                              ("encode.negative_pooled_prompt_embeds", negative["pooled_prompt_embeds"])] {
            let reference = try Fixtures.reference(name)
            #expect(value.shape == reference.shape)
            #expect(Compare.relativeError(value, reference) <= 1e-4, "\(name)")
        }
        #expect(pair.positive["prompt_embeds"].shape == [1, 77, 64])
        #expect(pair.positive["pooled_prompt_embeds"].shape == [1, 32])
    }

    @Test("a missing negative prompt gives all-zero embeddings (force_zeros_for_empty_prompt); an empty one is encoded")
    func missingNegativePromptIsZero() throws {
        let pipeline = try Fixtures.pipeline()
        #expect(pipeline.forceZerosForEmptyPrompt)
        let zero = try #require(try pipeline.prompts(prompt: Fixtures.prompt, negativePrompt: nil, guidanceScale: 5).negative)
        #expect(zero["prompt_embeds"].scalars.allSatisfy { $0 == 0 } && zero["prompt_embeds"].shape == [1, 77, 64])
        #expect(zero["pooled_prompt_embeds"].scalars.allSatisfy { $0 == 0 } && zero["pooled_prompt_embeds"].shape == [1, 32])
        let empty = try #require(try pipeline.prompts(prompt: Fixtures.prompt, negativePrompt: "", guidanceScale: 5).negative)
        #expect(empty["pooled_prompt_embeds"].scalars.contains { $0 != 0 })
        #expect(try pipeline.prompts(prompt: Fixtures.prompt, negativePrompt: nil, guidanceScale: 1).negative == nil)
    }

    @Test("pooling follows transformers: argmax of the ids for the legacy eos_token_id 2, else the first end-of-text id")
    func poolingRule() throws {
        let legacy = CLIPTextEncoder(configuration: .tiny(activation: .gelu, hasProjection: true))
        // "!" pads tokenizer_2 with id 0 and can also appear in the text; the end token is the largest id.
        #expect(legacy.endOfTextPosition([601, 320, 0, 602, 0, 0]) == 3)
        #expect(legacy.endOfTextPosition([601, 5, 602, 602, 602]) == 2)
        var explicit = CLIPTextConfiguration.tiny(activation: .gelu, hasProjection: true)
        explicit.eosTokenID = 7
        let modern = CLIPTextEncoder(configuration: explicit)
        #expect(modern.endOfTextPosition([601, 7, 9, 7]) == 1)
        #expect(modern.endOfTextPosition([601, 8, 9]) == 0)
    }

    @Test("the framework's CLIP tokenizer reads each folder's pad token and reproduces transformers' padded ids")
    func tokenizers() throws {
        let first = try CLIPTokenizer(folder: Fixtures.base.appendingPathComponent("tokenizer"))
        let second = try CLIPTokenizer(folder: Fixtures.base.appendingPathComponent("tokenizer_2"))
        #expect(first.padToken == "<|endoftext|>" && second.padToken == "!")
        #expect(first.modelMaxLength == 77 && second.modelMaxLength == 77)
        for (prompt, ids) in Fixtures.metadata.tokens {
            #expect(try ClosureTokenizer.clip(folder: Fixtures.base.appendingPathComponent("tokenizer")).paddedTokenIDs(prompt) == ids, "\(prompt)")
        }
        for (prompt, ids) in Fixtures.metadata.tokens_2 {
            #expect(try ClosureTokenizer.clip(folder: Fixtures.base.appendingPathComponent("tokenizer_2")).paddedTokenIDs(prompt) == ids, "\(prompt)")
        }
        let ids = Fixtures.metadata.tokens[Fixtures.prompt]!, ids2 = Fixtures.metadata.tokens_2[Fixtures.prompt]!
        #expect(ids.count == 77 && ids2.count == 77 && ids.last == Fixtures.metadata.vocab_size - 1 && ids2.last == 0)
    }
}

import DiffSynth
import Foundation
import Testing
@testable import QwenImage

@Suite("Random-weight tiny Qwen-Image")
struct TinyPipelineTests {
    @Test("tiny() has exactly the keys and shapes of a saved tiny diffusers folder")
    func keysMatchFolder() throws {
        let vocabulary = Fixtures.tokenizerJSON["length"] as! Int
        let tiny = QwenImagePipeline.tiny(seed: 1, tokenizer: FixtureTokenizer(), vocabularySize: vocabulary)
        let folder = try DiffusersFolder(Fixtures.folder)
        #expect(try tiny.transformer.checkLoad(from: try folder.weights("transformer")).isExact)
        #expect(try tiny.vae.checkLoad(from: try folder.weights("vae")).isExact)
        #expect(try tiny.textEncoder.checkLoad(from: try folder.weights("text_encoder"), keyForSourceName: QwenImageTextEncoder.keyForSourceName).isExact)
        #expect(tiny.transformer.trainableParameters().isEmpty && tiny.textEncoder.trainableParameters().isEmpty)
    }

    @Test("tiny() samples and decodes end to end with finite values, reproducibly per seed")
    func smoke() throws {
        func run(_ seed: UInt64) throws -> Tensor {
            let tiny = QwenImagePipeline.tiny(seed: seed, tokenizer: FixtureTokenizer(), vocabularySize: 441)
            let latents = try Sampler.generate(pipeline: tiny, prompt: Fixtures.promptTexts[1], negativePrompt: Fixtures.promptTexts[5],
                                               height: 32, width: 48, seed: 5, steps: 3, guidanceScale: 4)
            return try withNoGrad { try tiny.decode(latents: latents) }
        }
        let a = try run(0)
        #expect(a.shape == [1, 3, 32, 48] && a.scalars.allSatisfy(\.isFinite))
        #expect(a.scalars == (try run(0)).scalars)
        #expect(a.scalars != (try run(1)).scalars)
    }

    @Test("a tokenizer whose ids exceed the embedding table is reported, not crashed on")
    func foreignTokenizer() throws {
        let tiny = QwenImagePipeline.tiny(seed: 0, tokenizer: FixtureTokenizer(), vocabularySize: 100)
        do {
            _ = try tiny.encode(prompt: Fixtures.promptTexts[0])
            Issue.record("encoded ids beyond the vocabulary")
        } catch {
            #expect("\(error)".contains("outside the text encoder's vocabulary of 100"))
        }
    }
}

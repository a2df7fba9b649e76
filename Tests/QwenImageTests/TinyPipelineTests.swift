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

    @Test("evaluation measures latent MSE against the teacher's image encoded by the variant's VAE, the Direct Distillation target")
    func evaluationTarget() throws {
        let tiny = QwenImagePipeline.tiny(seed: 2, tokenizer: FixtureTokenizer(), vocabularySize: 441)
        let teacher = DistillationEvaluation.Variant(label: "teacher", pipeline: tiny, settings: SamplingSettings(steps: 6, guidanceScale: 3))
        let student = DistillationEvaluation.Variant(label: "student", pipeline: tiny, settings: SamplingSettings(steps: 2, guidanceScale: 1))
        let c = DistillationEvaluation.Case(prompt: Fixtures.promptTexts[1], seed: 7)
        let (_, results) = try DistillationEvaluation.run(teacher: teacher, variants: [student], cases: [c], height: 32, width: 32)
        func sample(_ v: DistillationEvaluation.Variant) throws -> Tensor {
            try Sampler.generate(pipeline: tiny, prompt: c.prompt, negativePrompt: "", height: 32, width: 32, seed: c.seed,
                                 steps: v.settings.steps, guidanceScale: v.settings.guidanceScale)
        }
        let image = try withNoGrad { try tiny.decode(latents: try sample(teacher)) }.clamp(min: -1, max: 1)
        let target = try withNoGrad { try tiny.encode(image: image) }
        let expected = withNoGrad { (try! sample(student)).mseLoss(target).item() }
        let raw = withNoGrad { (try! sample(student)).mseLoss(try! sample(teacher)).item() }
        // results[0] is the VAE round trip of the teacher's image; the student follows.
        #expect(results.map(\.label) == [DistillationEvaluation.roundTripLabel, "student"])
        let measured = results[1]
        #expect(abs(measured.latentMSE[0] - expected) <= 1e-6 * max(expected, 1), "\(measured.latentMSE[0]) vs \(expected)")
        #expect(abs(measured.teacherLatentMSE[0] - raw) <= 1e-6 * max(raw, 1), "\(measured.teacherLatentMSE[0]) vs \(raw)")
        #expect(abs(raw - expected) > 1e-4, "the test cannot tell the two targets apart")
        // The floor: PSNR of decode(encode(teacher image)) against the teacher image.
        let roundTrip = try withNoGrad { try tiny.decode(latents: target) }.clamp(min: -1, max: 1)
        let floor = ImageMetrics.psnr(roundTrip, image)
        #expect(abs(results[0].psnr[0] - floor) <= 1e-4 * floor, "\(results[0].psnr[0]) vs \(floor)")
        #expect(results[0].nfe == 0 && measured.nfe == 2)
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

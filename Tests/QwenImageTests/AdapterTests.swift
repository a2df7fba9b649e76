import DiffSynth
import Foundation
import Testing
@testable import QwenImage

@Suite("Qwen-Image adapter: the folder's own tokenizer and scheduler")
struct AdapterTests {
    @Test("the framework's Qwen2Tokenizer reads the fixture's tokenizer/ and gives transformers' golden ids")
    func tokenizerGoldenIDs() throws {
        let tokenizer = try Qwen2Tokenizer(folder: Fixtures.folder.appendingPathComponent("tokenizer"))
        for (i, text) in Fixtures.promptTexts.enumerated() {
            #expect(tokenizer.encode(QwenImagePromptEncoder.templated(text)) == Fixtures.templatedIDs(i), "prompt \(i): \(text.debugDescription)")
        }
        #expect(tokenizer.id(of: "<|endoftext|>") == Fixtures.tokenizerJSON["pad_id"] as? Int)
    }

    @Test("QwenImageAdapter.load reproduces diffusers' 4-step run with the real tokenizer and scheduler")
    func adapterRun() throws {
        #expect(QwenImageAdapter.canLoad(Fixtures.folder))
        let pipeline = try #require(try QwenImageAdapter.load(from: Fixtures.folder, options: AdapterLoadOptions()) as? QwenImagePipeline)
        let run = (Fixtures.json["pipeline"] as! [[String: Any]]).first { $0["name"] as! String == "student" }!
        let (height, width) = (run["height"] as! Int, run["width"] as! Int)
        let latents = try withNoGrad { () throws -> Tensor in
            let prompts = PromptPair(positive: try pipeline.encode(prompt: run["prompt"] as! String))
            let schedule = pipeline.scheduler.schedule(steps: run["steps"] as! Int, context: pipeline.scheduleContext(height: height, width: width))
            var generator = TorchGenerator(seed: 0)
            return try Sampler.sample(pipeline: pipeline, latents: Fixtures.tensor("pipeline.student.noise"), prompts: prompts,
                                      schedule: schedule, guidanceScale: 1, generator: &generator)
        }
        #expect(Comparison(latents, Fixtures.tensor("pipeline.student.latents")).maxRelative <= 1e-3)
    }

    @Test("QwenImageAdapter.tiny samples any prompt, including the empty negative prompt")
    func tiny() throws {
        let pipeline = try QwenImageAdapter.tiny(seed: 0)
        #expect(pipeline.descriptor.family == QwenImageAdapter.family)
        let latents = try Sampler.generate(pipeline: pipeline, prompt: "ünïcode ✓ prompt", negativePrompt: "", height: 32, width: 48,
                                           seed: 1, steps: 2, guidanceScale: 2)
        #expect(latents.shape == [1, 16, 4, 6] && latents.scalars.allSatisfy(\.isFinite))
    }

    @Test("the byte tokenizer matches special tokens first and round-trips text")
    func byteTokenizer() {
        let tokenizer = ByteTokenizer(specialTokens: ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
        let ids = tokenizer.encode("<|im_start|>é<|im_end|>")
        #expect(ids == [1, 3 + 0xC3, 3 + 0xA9, 2])
        #expect(tokenizer.decode(ids) == "<|im_start|>é<|im_end|>")
        #expect(tokenizer.id(of: "<|endoftext|>") == 0 && tokenizer.id(of: "a") == 3 + 97 && tokenizer.count == 259)
    }
}

import DiffSynth
import Foundation
import Testing
@testable import SDXL

@Suite("SDXL pipeline parity")
struct PipelineTests {
    struct Run {
        let latents: Tensor
        let image: Tensor
    }

    /// Samples like diffusers' `StableDiffusionXLPipeline.__call__` does, through the shared
    /// sampler: `noise` (unit scale) or the seeded draw, and ancestral step noise from `generator`.
    static func run(_ pipeline: SDXLPipeline, steps: Int, guidance: Float, negativePrompt: String?, height: Int = 64, width: Int = 64,
                    noise: Tensor? = nil, seed: UInt64? = nil) throws -> Run {
        try withNoGrad {
            let prompts = try pipeline.prompts(prompt: Fixtures.prompt, negativePrompt: negativePrompt, guidanceScale: guidance)
            var generator = TorchGenerator(seed: 12345)
            var start = noise
            if let seed { (start, generator) = try pipeline.seededNoise(height: height, width: width, seed: seed) }
            let schedule = pipeline.scheduler.schedule(steps: steps, context: pipeline.scheduleContext(height: height, width: width))
            let latents = try Sampler.sample(pipeline: pipeline,
                                             latents: Sampler.startingLatents(noise: start!, schedule: schedule, scheduler: pipeline.scheduler),
                                             prompts: prompts, schedule: schedule, guidanceScale: guidance, generator: &generator)
            return Run(latents: latents, image: Compare.unitImage(try pipeline.decode(latents: latents)))
        }
    }

    /// Compares a run with the fixture `name` (`base.injected`, …).
    static func check(_ run: Run, _ name: String) throws {
        let latentError = Compare.relativeError(run.latents, try Fixtures.reference("\(name).latents"))
        let pixelError = Compare.maxAbsoluteDifference(run.image, try Fixtures.reference("\(name).image"))
        print("\(name): latents relative error \(latentError), image max pixel error \(pixelError * 255)/255")
        #expect(latentError <= 1e-3, "\(name): latents relative error \(latentError)")
        #expect(pixelError <= 2 / 255, "\(name): image error \(pixelError * 255)/255")
    }

    @Test("the test schedulers reproduce diffusers' sigmas, timesteps and initial noise scale")
    func schedules() throws {
        let cases: [(String, TestEulerScheduler, Int)] = [
            ("base4", TestEulerScheduler(spacing: .leading, ancestral: false), 4),
            ("base8", TestEulerScheduler(spacing: .leading, ancestral: false), 8),
            ("turbo1", TestEulerScheduler(spacing: .trailing, ancestral: true), 1),
            ("turbo2", TestEulerScheduler(spacing: .trailing, ancestral: true), 2),
            ("turbo4", TestEulerScheduler(spacing: .trailing, ancestral: true), 4),
        ]
        for (name, scheduler, steps) in cases {
            let reference = try #require(Fixtures.metadata.schedules[name])
            let schedule = scheduler.schedule(steps: steps, context: ScheduleContext())
            #expect(schedule.timesteps.map(Double.init) == reference.timesteps, "\(name)")
            for (a, b) in zip(schedule.sigmas, reference.sigmas) { #expect(abs(Double(a) - b) <= 1e-6 * max(b, 1), "\(name)") }
            #expect(abs(Double(schedule.initialNoiseScale) - reference.`init`) <= 1e-5, "\(name)")
        }
    }

    @Test("base: 4 Euler steps at guidance 5 with a negative prompt, from injected noise, match diffusers")
    func baseInjectedNoise() throws {
        let pipeline = try Fixtures.pipeline()
        try Self.check(try Self.run(pipeline, steps: 4, guidance: 5, negativePrompt: Fixtures.metadata.negative_prompt,
                                    noise: try Fixtures.reference("pipe.noise")), "base.injected")
    }

    @Test("base: the same run from TorchGenerator(seed: 42) noise matches diffusers' torch.Generator seed 42")
    func baseSeededNoise() throws {
        let pipeline = try Fixtures.pipeline()
        try Self.check(try Self.run(pipeline, steps: 4, guidance: 5, negativePrompt: Fixtures.metadata.negative_prompt, seed: 42),
                       "base.seed42")
    }

    @Test("base: no negative prompt (zero negative embeddings), 3 steps, non-square 48×64, seed 42, matches diffusers")
    func baseZeroNegative() throws {
        let pipeline = try Fixtures.pipeline()
        try Self.check(try Self.run(pipeline, steps: 3, guidance: 5, negativePrompt: nil, height: 48, width: 64, seed: 42), "base.zeroneg")
    }

    @Test("turbo: 1 Euler-ancestral step without guidance matches diffusers, from injected and from seeded noise")
    func turboOneStep() throws {
        let folder = try Fixtures.turboFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let pipeline = try Fixtures.pipeline(folder)
        #expect(pipeline.preset == .turbo && pipeline.descriptor.student == SamplingSettings(steps: 1, guidanceScale: 1))
        #expect(pipeline.scheduler.needsStepNoise)
        try Self.check(try Self.run(pipeline, steps: 1, guidance: 1, negativePrompt: nil, noise: try Fixtures.reference("pipe.noise")),
                       "turbo.injected")
        try Self.check(try Self.run(pipeline, steps: 1, guidance: 1, negativePrompt: nil, seed: 42), "turbo.seed42")
    }

    @Test("turbo: 2 ancestral steps take the step noise from the seeded generator after the initial draw, as diffusers")
    func turboTwoSteps() throws {
        let folder = try Fixtures.turboFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let pipeline = try Fixtures.pipeline(folder)
        try Self.check(try Self.run(pipeline, steps: 2, guidance: 1, negativePrompt: nil, seed: 7), "turbo2.seed7")
    }

    @Test("the descriptor carries SDXL's family settings")
    func descriptor() throws {
        let pipeline = try Fixtures.pipeline()
        let d = pipeline.descriptor
        #expect(d.family == "sdxl" && d.latentChannels == 4 && d.resolutionMultiple == 8 && d.predictionType == .epsilon)
        #expect(d.vaeScaleFactor == 2 && d.defaultResolution == (64, 64))   // the tiny VAE has 2 levels
        #expect(d.teacher == SamplingSettings(steps: 50, guidanceScale: 5) && d.student == SamplingSettings(steps: 4, guidanceScale: 1))
        #expect(d.noisePrecision == .float32)
        #expect(d.defaultLoRATargets == ["to_q", "to_k", "to_v", "to_out.0", "proj_in", "proj_out", "ff.net.0.proj", "ff.net.2"])
        #expect(pipeline.preset == .base)
        let tiny = try SDXLPipeline.tiny(scheduler: TestEulerScheduler(spacing: .leading, ancestral: false))
        #expect(tiny.unet.parameterCount == 1_976_516 && tiny.vae.parameterCount == 843_847)
        #expect(try tiny.encode(prompt: "a cat")["prompt_embeds"].shape == [1, 77, 64])
    }

    @Test("frozen weights kept in 16 bits (F16, lossless for this F16 checkpoint): diffusers' CFG run, bit for bit the Float32 one")
    func halfPrecision() throws {
        let pipeline = try SDXLPipeline.load(from: Fixtures.base, variant: "fp16", makeTokenizer: Fixtures.tokenizer(folder:))
        let float32 = try Self.run(pipeline, steps: 4, guidance: 5, negativePrompt: Fixtures.metadata.negative_prompt,
                                   noise: try Fixtures.reference("pipe.noise"))
        let report = pipeline.keepFrozenWeightsInHalfPrecision()
        #expect(report.weights > 0 && report.rounded == 0, "\(report)")
        #expect(pipeline.unet.parameters().contains { $0.halfPrecision?.format == .float16 })
        let half = try Self.run(pipeline, steps: 4, guidance: 5, negativePrompt: Fixtures.metadata.negative_prompt,
                                noise: try Fixtures.reference("pipe.noise"))
        try Self.check(half, "base.injected")
        #expect(half.latents.scalars == float32.latents.scalars)
    }

    @Test("the framework's Euler schedulers built from scheduler_config.json reproduce the same diffusers runs")
    func frameworkSchedulers() throws {
        let base = try SDXLPipeline.load(from: Fixtures.base, variant: "fp16", makeTokenizer: Fixtures.tokenizer(folder:))
        #expect(base.scheduler is EulerDiscreteScheduler)
        try Self.check(try Self.run(base, steps: 4, guidance: 5, negativePrompt: Fixtures.metadata.negative_prompt,
                                    noise: try Fixtures.reference("pipe.noise")), "base.injected")
        let folder = try Fixtures.turboFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let turbo = try SDXLPipeline.load(from: folder, variant: "fp16", makeTokenizer: Fixtures.tokenizer(folder:))
        #expect(turbo.scheduler is EulerAncestralScheduler && turbo.preset == .turbo)
        try Self.check(try Self.run(turbo, steps: 2, guidance: 1, negativePrompt: nil, seed: 7), "turbo2.seed7")
    }

    @Test("the registry adapter recognises and loads SDXL folders, and its tiny model samples end to end")
    func adapter() throws {
        #expect(SDXLAdapter.family == "sdxl" && SDXLAdapter.canLoad(Fixtures.base))
        #expect(!SDXLAdapter.canLoad(Fixtures.referenceFolder))
        let loaded = try SDXLAdapter.load(from: Fixtures.base, options: AdapterLoadOptions(variant: "fp16"))
        #expect(loaded.descriptor.family == "sdxl")
        // The registry path tokenizes with the framework's CLIP tokenizer; it must agree with transformers' ids.
        let recorded = try Fixtures.pipeline()
        #expect(try loaded.encode(prompt: Fixtures.prompt)["prompt_embeds"].scalars == recorded.encode(prompt: Fixtures.prompt)["prompt_embeds"].scalars)
        let tiny = try SDXLAdapter.tiny(seed: 1)
        let latents = try Sampler.generate(pipeline: tiny, prompt: "a red cube", height: 32, width: 32, seed: 3, steps: 2, guidanceScale: 3)
        #expect(latents.shape == [1, 4, 16, 16] && latents.scalars.allSatisfy(\.isFinite))
        let image = try withNoGrad { try tiny.decode(latents: latents) }
        #expect(image.shape == [1, 3, 32, 32])
    }
}

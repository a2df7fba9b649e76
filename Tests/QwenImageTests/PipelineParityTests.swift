import DiffSynth
import Foundation
import Testing
@testable import QwenImage

@Suite("Qwen-Image pipeline runs match diffusers end to end")
struct PipelineParityTests {
    static func run(_ name: String) -> [String: Any] {
        (Fixtures.json["pipeline"] as! [[String: Any]]).first { $0["name"] as! String == name }!
    }

    @Test("the folder's flow-match schedule equals diffusers' sigmas and timesteps", arguments: ["student", "teacher", "seeded"])
    func schedule(_ name: String) throws {
        let run = Self.run(name)
        let pipeline = try Fixtures.pipeline()
        #expect(pipeline.scheduler is FlowMatchEulerScheduler)
        let context = pipeline.scheduleContext(height: run["height"] as! Int, width: run["width"] as! Int)
        #expect(context.imageSequenceLength == (run["height"] as! Int / 16) * (run["width"] as! Int / 16))
        let schedule = pipeline.scheduler.schedule(steps: run["steps"] as! Int, context: context)
        let sigmas = (run["sigmas"] as! [Double]).map(Float.init), timesteps = (run["timesteps"] as! [Double]).map(Float.init)
        #expect(zip(schedule.sigmas, sigmas).allSatisfy { abs($0 - $1) <= 1e-7 }, "\(schedule.sigmas) vs \(sigmas)")
        #expect(zip(schedule.timesteps, timesteps).allSatisfy { abs($0 - $1) <= 1e-4 }, "\(schedule.timesteps) vs \(timesteps)")
    }

    /// Runs the framework sampler from the reference's injected noise and compares latents and image.
    /// `halfPrecision`: with every frozen weight kept in 16 bits (`--frozen_weights_dtype bf16`);
    /// the fixture's weights are BF16, so the tolerances are the Float32 run's. Returns the latents.
    @discardableResult
    func check(_ name: String, halfPrecision: Bool = false) throws -> Tensor {
        let run = Self.run(name)
        // Narrowed while loading, as `--frozen_weights_dtype bf16` loads.
        let pipeline = try LoadedWeights.$keepInHalfPrecision.withValue(halfPrecision) { try Fixtures.pipeline() }
        if halfPrecision {
            let narrowed = pipeline.components.flatMap { $0.module.parameters() }.filter { $0.halfPrecision != nil }
            let report = pipeline.keepFrozenWeightsInHalfPrecision()
            #expect(report.weights == narrowed.count && report.rounded == 0, "\(report)")
            // Layer weights only: the token embedding table and norms stay Float32.
            #expect(narrowed.allSatisfy { $0.name.hasSuffix(".weight") && !$0.name.contains("embed_tokens") && $0.shape.count >= 2 })
            #expect(pipeline.textEncoder.parameters().contains { $0.name.contains("embed_tokens") && $0.halfPrecision == nil })
        }
        let (height, width) = (run["height"] as! Int, run["width"] as! Int)
        let steps = run["steps"] as! Int, guidance = Float(run["cfg"] as! Double)
        let start = Date()
        let latents = try withNoGrad { () throws -> Tensor in
            let prompts = try pipeline.encode(prompt: run["prompt"] as! String, negativePrompt: run["negative_prompt"] as? String ?? "",
                                              guidanceScale: guidance)
            let schedule = pipeline.scheduler.schedule(steps: steps, context: pipeline.scheduleContext(height: height, width: width))
            var generator = TorchGenerator(seed: 0)
            return try Sampler.sample(pipeline: pipeline, latents: Fixtures.tensor("pipeline.\(name).noise"), prompts: prompts,
                                      schedule: schedule, guidanceScale: guidance, generator: &generator)
        }
        let sampled = Date()
        let image = QwenImagePipeline.imageToUnitRange(try withNoGrad { try pipeline.decode(latents: latents) })
        let decoded = Date()
        let latentComparison = Comparison(latents, Fixtures.tensor("pipeline.\(name).latents"))
        let imageComparison = Comparison(image, Fixtures.tensor("pipeline.\(name).image"))
        print(String(format: "pipeline %@ (%dx%d, %d steps, cfg %.0f): latents %@; image %@ (%.2f/255); sampling %.3f s, decode %.3f s",
                     name, height, width, steps, guidance, latentComparison.description, imageComparison.description,
                     imageComparison.maxAbsolute * 255, sampled.timeIntervalSince(start), decoded.timeIntervalSince(sampled)))
        #expect(latentComparison.maxRelative <= 1e-3, "\(latentComparison)")
        #expect(imageComparison.maxAbsolute <= 2 / 255, "\(imageComparison)")
        return latents
    }

    @Test("4 steps without guidance from injected noise: final latents and decoded image")
    func student() throws { try check("student") }

    @Test("8 steps with true CFG 4 and a negative prompt from injected noise: final latents and decoded image")
    func teacher() throws { try check("teacher") }

    @Test("frozen weights kept in 16 bits from the moment they load (BF16, lossless for this BF16 checkpoint): the same runs, bit for bit",
          arguments: ["student", "teacher"])
    func halfPrecision(_ name: String) throws {
        let float32 = try check(name)
        let half = try check(name, halfPrecision: true)
        #expect(half.scalars == float32.scalars)
    }

    @Test("a torch-seeded run: the framework's generator draws diffusers' noise and the run matches")
    func seeded() throws {
        let run = Self.run("seeded")
        let pipeline = try Fixtures.pipeline()
        let (height, width) = (run["height"] as! Int, run["width"] as! Int)
        let seed = UInt64(run["generator_seed"] as! Int)
        // diffusers draws (1, 1, 16, H/8, W/8) and packs; the element order equals (1, 16, H/8, W/8).
        let (noise, _) = try pipeline.seededNoise(height: height, width: width, seed: seed)
        #expect(noise.scalars == Fixtures.tensor("pipeline.seeded.noise").scalars)
        let latents = try Sampler.generate(pipeline: pipeline, prompt: run["prompt"] as! String, height: height, width: width,
                                           seed: seed, steps: run["steps"] as! Int, guidanceScale: 1)
        let image = QwenImagePipeline.imageToUnitRange(try withNoGrad { try pipeline.decode(latents: latents) })
        let latentComparison = Comparison(latents, Fixtures.tensor("pipeline.seeded.latents"))
        let imageComparison = Comparison(image, Fixtures.tensor("pipeline.seeded.image"))
        print("pipeline seeded: latents \(latentComparison); image \(imageComparison)")
        #expect(latentComparison.maxRelative <= 1e-3, "\(latentComparison)")
        #expect(imageComparison.maxAbsolute <= 2 / 255, "\(imageComparison)")
    }

    @Test("the descriptor carries the family's shapes and defaults")
    func descriptor() throws {
        let d = try Fixtures.pipeline().descriptor
        #expect(d.family == "qwen-image" && d.latentChannels == 16 && d.vaeScaleFactor == 8 && d.resolutionMultiple == 16)
        #expect(d.predictionType == .flowVelocity && d.noisePrecision == .float32)
        #expect(d.teacher == SamplingSettings(steps: 50, guidanceScale: 4) && d.student == SamplingSettings(steps: 4, guidanceScale: 1))
        #expect(d.defaultLoRATargets.joined(separator: ",")
                == "to_q,to_k,to_v,add_q_proj,add_k_proj,add_v_proj,to_out.0,to_add_out,img_mlp.net.2,img_mod.1,txt_mlp.net.2,txt_mod.1")
        #expect(PipelineDescriptor.qwenImage(noisePrecision: .bfloat16).noisePrecision == .bfloat16)
        let pipeline = try QwenImagePipeline.load(from: Fixtures.folder, tokenizer: FixtureTokenizer(),
                                                  options: AdapterLoadOptions(noisePrecision: .bfloat16))
        #expect(pipeline.descriptor.noisePrecision == .bfloat16)
        #expect(throws: PipelineError.self) { try pipeline.latentShape(height: 72, width: 64) }
    }
}

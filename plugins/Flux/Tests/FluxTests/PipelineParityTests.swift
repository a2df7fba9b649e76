import DiffSynth
import Foundation
import Testing
@testable import Flux

/// Whole FLUX.1 pipelines against diffusers' `FluxPipeline` on the tiny dev and schnell folders:
/// tokenizers as loaded from `tokenizer/` and `tokenizer_2/`, both text encoders, the schedule,
/// seeded sampling (noise from `torch.Generator("cpu").manual_seed`) and the VAE decode.
@Suite("FLUX pipeline parity with diffusers")
struct PipelineParityTests {
    static let runs = ["dev.embedded", "dev.truecfg", "dev.batch", "schnell.plain"]

    static func load(_ name: String) throws -> (FluxPipeline, PipelineFixtures.Run) {
        let run = try #require(PipelineFixtures.metadata.runs[name])
        let pipeline = try FluxPipeline.load(from: PipelineFixtures.folder(of: name), maxSequenceLength: run.max_sequence_length)
        return (pipeline, run)
    }

    @Test("both folders load with the right layout: dev embeds guidance (3.5 by default), schnell has none")
    func layouts() throws {
        let dev = try FluxPipeline.load(from: PipelineFixtures.dev)
        let schnell = try FluxPipeline.load(from: PipelineFixtures.schnell)
        #expect(dev.embeddedGuidance == 3.5 && dev.transformer.configuration.guidanceEmbeds)
        #expect(schnell.embeddedGuidance == nil && !schnell.transformer.configuration.guidanceEmbeds)
        schnell.embeddedGuidance = 2
        #expect(schnell.embeddedGuidance == nil, "schnell ignores an embedded guidance it has no input for")
        #expect(dev.descriptor.teacher.steps == 28 && schnell.descriptor.teacher.steps == 4)
        #expect(dev.descriptor.latentChannels == 16 && dev.descriptor.vaeScaleFactor == 2 && dev.descriptor.resolutionMultiple == 4)
        #expect(FluxPipeline.canLoad(PipelineFixtures.dev) && FluxPipeline.canLoad(PipelineFixtures.schnell))
    }

    @Test("CLIP and T5 token ids equal transformers' for the folders' tokenizers", arguments: runs)
    func tokenIDs(name: String) throws {
        let (pipeline, run) = try Self.load(name)
        for (row, prompt) in run.prompts.enumerated() {
            #expect(try pipeline.promptEncoder.clipTokenizer.paddedTokenIDs(prompt) == run.clip_ids[row], "\(name) CLIP row \(row)")
            #expect(try pipeline.promptEncoder.t5Tokenizer.paddedTokenIDs(prompt) == run.t5_ids[row], "\(name) T5 row \(row)")
        }
    }

    @Test("prompt_embeds (T5) and pooled_prompt_embeds (CLIP) match encode_prompt", arguments: runs)
    func promptEmbeddings(name: String) throws {
        let (pipeline, run) = try Self.load(name)
        let conditioning = try pipeline.encode(prompts: run.prompts)
        let embeddings = Comparison(conditioning["prompt_embeds"], try PipelineFixtures.reference("\(name).prompt_embeds"))
        let pooled = Comparison(conditioning["pooled_prompt_embeds"], try PipelineFixtures.reference("\(name).pooled_prompt_embeds"))
        #expect(embeddings.maxRelative < 1e-4, "\(name) prompt_embeds: \(embeddings)")
        #expect(pooled.maxRelative < 1e-4, "\(name) pooled: \(pooled)")
    }

    @Test("the folders' schedulers give diffusers' sigmas and timesteps (dev: shift by image tokens; schnell: none)")
    func schedules() throws {
        for (name, record) in PipelineFixtures.metadata.schedules.sorted(by: { $0.key < $1.key }) {
            let folder = name.hasPrefix("schnell") ? PipelineFixtures.schnell : PipelineFixtures.dev
            let scheduler = try SchedulerConfiguration.load(contentsOf: folder.appendingPathComponent("scheduler/scheduler_config.json"))
            let schedule = scheduler.schedule(steps: record.steps, context: ScheduleContext(imageSequenceLength: record.image_tokens))
            #expect(schedule.sigmas.count == record.sigmas.count && schedule.timesteps.count == record.timesteps.count, "\(name)")
            for (a, b) in zip(schedule.sigmas, record.sigmas) { #expect(abs(Double(a) - b) <= 1e-6, "\(name) sigma \(a) vs \(b)") }
            for (a, b) in zip(schedule.timesteps, record.timesteps) { #expect(abs(Double(a) - b) <= 1e-3, "\(name) timestep \(a) vs \(b)") }
        }
    }

    @Test("seeded text-to-image matches diffusers: latents to 1e-3 relative, image within one grey level", arguments: runs)
    func sampling(name: String) throws {
        let (pipeline, run) = try Self.load(name)
        if pipeline.embeddedGuidance != nil { pipeline.embeddedGuidance = run.guidance_scale }
        // diffusers guides only above 1 and with a negative prompt; these runs are either.
        let guidance = run.negative_prompt == nil ? 1 : run.true_cfg_scale
        let latents: Tensor
        if run.prompts.count == 1 {
            latents = try Sampler.generate(pipeline: pipeline, prompt: run.prompts[0], negativePrompt: run.negative_prompt,
                                           height: run.height, width: run.width, seed: run.seed, steps: run.steps, guidanceScale: guidance)
        } else {
            latents = try Sampler.generateBatch(pipeline: pipeline, prompts: run.prompts,
                                                negativePrompts: run.prompts.map { _ in run.negative_prompt },
                                                height: run.height, width: run.width, seed: run.seed, steps: run.steps,
                                                guidanceScale: guidance)
        }
        let latentError = Comparison(latents, try PipelineFixtures.reference("\(name).latents"))
        let image = try pipeline.decodeImage(latents: latents)
        let pixels = Comparison((image / 2 + 0.5).clamp(min: 0, max: 1), try PipelineFixtures.reference("\(name).image"))
        print("\(name): latents \(latentError); image max error \(pixels.maxAbsolute * 255) grey levels")
        #expect(latentError.maxRelative < 1e-3, "\(name) latents: \(latentError)")
        #expect(pixels.maxAbsolute * 255 <= 1, "\(name) image: \(pixels.maxAbsolute * 255) grey levels")
    }

    @Test("the VAE encoder's normalised latents, (mean − shift_factor) · scaling_factor, match diffusers")
    func vaeEncode() throws {
        let pipeline = try FluxPipeline.load(from: PipelineFixtures.dev)
        let latents = try withNoGrad { try pipeline.encode(image: try PipelineFixtures.reference("vae.image")) }
        let comparison = Comparison(latents, try PipelineFixtures.reference("vae.normalized_latents"))
        #expect(comparison.maxRelative < 1e-4, "\(comparison)")
    }
}

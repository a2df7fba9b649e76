import DiffSynth
import Foundation

/// Checks that any model-family adapter — built in or from a plugin — behaves as the shared
/// sampler and trainer assume. Run it from a test or with `diffsynth conformance --family NAME`;
/// the report has one line per check.
public enum ConformanceKit {
    /// One check's outcome.
    public struct Check: Sendable {
        public let name: String
        public let passed: Bool
        public let detail: String
        /// `✓ name` or `✗ name: detail`.
        public var line: String { passed ? "✓ \(name)" + (detail.isEmpty ? "" : " (\(detail))") : "✗ \(name): \(detail)" }
    }

    /// Runs every check on fresh tiny models of `adapter` (built with seeds 0 and 1).
    public static func run(_ adapter: any ModelAdapter.Type) -> [Check] {
        var checks: [Check] = []
        func check(_ name: String, _ body: () throws -> String) {
            do { checks.append(Check(name: name, passed: true, detail: try body())) } catch {
                checks.append(Check(name: name, passed: false, detail: "\(error)"))
            }
        }
        let pipeline: any DiffusionPipeline
        do { pipeline = try adapter.tiny(seed: 0) } catch {
            return [Check(name: "tiny model builds", passed: false, detail: "\(error)")]
        }
        let d = pipeline.descriptor
        let (h, w) = (d.resolutionMultiple * 2, d.resolutionMultiple * 3)

        check("descriptor complete") {
            try expect(d.family == adapter.family, "descriptor family '\(d.family)' differs from the adapter's '\(adapter.family)'")
            try expect(d.latentChannels > 0 && d.vaeScaleFactor > 0 && d.resolutionMultiple > 0, "channels, VAE factor and resolution multiple must be positive")
            try expect(d.resolutionMultiple % d.vaeScaleFactor == 0, "the resolution multiple must be a multiple of the VAE factor")
            try expect(d.teacher.steps > 0 && d.student.steps > 0, "default step counts must be positive")
            try expect(!d.defaultLoRATargets.isEmpty, "no default LoRA targets")
            let paths = pipeline.denoiser.linearLayers().map(\.path)
            for target in d.defaultLoRATargets {
                try expect(paths.contains { LoRA.matches($0, targets: [target]) }, "default LoRA target '\(target)' matches no Linear layer")
            }
            return "\(d.family), \(d.latentChannels) latent channels, ×\(d.vaeScaleFactor), multiple of \(d.resolutionMultiple)"
        }
        check("latent shapes and resolution checks") {
            for k in 1...3 {
                let shape = try pipeline.latentShape(height: d.resolutionMultiple * k, width: d.resolutionMultiple * (k + 1))
                try expect(shape == [1, d.latentChannels, d.resolutionMultiple * k / d.vaeScaleFactor, d.resolutionMultiple * (k + 1) / d.vaeScaleFactor],
                           "latent shape \(shape) for \(d.resolutionMultiple * k)×\(d.resolutionMultiple * (k + 1))")
            }
            for (bh, bw) in [(d.resolutionMultiple + 1, d.resolutionMultiple), (0, d.resolutionMultiple), (d.resolutionMultiple, -d.resolutionMultiple)] {
                do {
                    _ = try pipeline.latentShape(height: bh, width: bw)
                    throw ConformanceFailure("\(bh)×\(bw) was accepted")
                } catch let error as PipelineError {
                    try expect("\(error)".contains("\(d.resolutionMultiple)"), "rejection of \(bh)×\(bw) does not name the multiple: \(error)")
                }
            }
            return ""
        }
        check("seeded noise and sampling are reproducible") {
            let a = try pipeline.seededNoise(height: h, width: w, seed: 7).noise
            let b = try pipeline.seededNoise(height: h, width: w, seed: 7).noise
            let c = try pipeline.seededNoise(height: h, width: w, seed: 8).noise
            try expect(a.scalars == b.scalars, "the same seed gave different noise")
            try expect(a.scalars != c.scalars, "different seeds gave the same noise")
            func sample(_ seed: UInt64) throws -> [Float] {
                try Sampler.generate(pipeline: pipeline, prompt: "a test", negativePrompt: "", height: h, width: w, seed: seed,
                                     steps: 2, guidanceScale: 2).scalars
            }
            let first = try sample(3)
            try expect(first == (try sample(3)), "the same seed sampled different latents")
            try expect(first != (try sample(4)), "different seeds sampled the same latents")
            try expect(first.allSatisfy(\.isFinite), "sampled latents are not finite")
            return ""
        }
        check("schedules are sane for 1…50 steps") {
            let context = pipeline.scheduleContext(height: h, width: w)
            for steps in [1, 2, 4, 8, 20, 50] {
                let s = pipeline.scheduler.schedule(steps: steps, context: context)
                try expect(s.steps == steps && s.sigmas.count == steps + 1, "\(steps) steps gave \(s.steps) timesteps, \(s.sigmas.count) sigmas")
                try expect(zip(s.sigmas, s.sigmas.dropFirst()).allSatisfy { $0 >= $1 }, "\(steps)-step sigmas are not decreasing: \(s.sigmas)")
                try expect(s.sigmas.last! >= 0 && s.sigmas.last! < s.sigmas.first!, "\(steps)-step terminal sigma \(s.sigmas.last!) out of range")
                try expect(zip(s.timesteps, s.timesteps.dropFirst()).allSatisfy { $0 >= $1 }, "\(steps)-step timesteps are not decreasing")
                try expect(s.initialNoiseScale > 0 && s.initialNoiseScale.isFinite, "initial noise scale \(s.initialNoiseScale)")
            }
            return ""
        }
        check("predict is differentiable down to every default LoRA target") {
            let fresh = try adapter.tiny(seed: 0)
            let layers = try LoRA.inject(into: fresh.denoiser, targets: fresh.descriptor.defaultLoRATargets, rank: 2)
            let conditioning = try withNoGrad { try fresh.encode(prompt: "a test") }
            let latents = try fresh.seededNoise(height: h, width: w, seed: 1).noise
            let timestep = fresh.scheduler.schedule(steps: 4, context: fresh.scheduleContext(height: h, width: w)).timesteps[1]
            fresh.predict(latents: latents, timestep: timestep, conditioning: conditioning).pow(2).mean().backward()
            // B starts at zero, so only B can receive a gradient at initialisation.
            let unreached = layers.filter { layer in layer.adapters.allSatisfy { ($0.up.grad?.scalars.contains { $0 != 0 }) != true } }.map(\.path)
            // A block whose output the model discards (e.g. a last text stream) legitimately gets nothing; allow a few.
            try expect(unreached.count * 10 <= layers.count, "no gradient reached \(unreached.count) of \(layers.count) LoRA layers, e.g. \(unreached.prefix(3))")
            return "\(layers.count - unreached.count)/\(layers.count) layers reached"
        }
        check("LoRA at initialisation is a no-op and round-trips through a file") {
            let base = try adapter.tiny(seed: 0)
            let conditioning = try withNoGrad { try base.encode(prompt: "a test") }
            let latents = try base.seededNoise(height: h, width: w, seed: 1).noise
            let before = withNoGrad { base.predict(latents: latents, timestep: 500, conditioning: conditioning) }.scalars
            try LoRA.inject(into: base.denoiser, targets: base.descriptor.defaultLoRATargets, rank: 2)
            try expect(withNoGrad { base.predict(latents: latents, timestep: 500, conditioning: conditioning) }.scalars == before,
                       "a fresh LoRA changed the output")
            var generator = TorchGenerator(seed: 5)
            for layer in base.denoiser.linearLayers() {
                for adapter in layer.adapters { adapter.up.assign(Tensor.randn(adapter.up.shape, generator: &generator) * 0.01) }
            }
            let trained = withNoGrad { base.predict(latents: latents, timestep: 500, conditioning: conditioning) }.scalars
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("conformance-\(UUID().uuidString).safetensors")
            defer { try? FileManager.default.removeItem(at: url) }
            try SafetensorsWriter.write(LoRA.trainedWeights(of: base.denoiser).stateDict().sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, to: url)
            let file = try SafetensorsFile(url: url)
            var tensors: [String: Tensor] = [:]
            for name in file.names { tensors[name] = try file.tensor(name) }
            let other = try adapter.tiny(seed: 0)
            try LoRA.attach(try LoRAWeights(stateDict: tensors), to: other.denoiser)
            try expect(withNoGrad { other.predict(latents: latents, timestep: 500, conditioning: conditioning) }.scalars == trained,
                       "a saved and reloaded LoRA does not reproduce the outputs")
            return ""
        }
        check("VAE encode and decode shapes agree") {
            let latents = try pipeline.seededNoise(height: h, width: w, seed: 2).noise
            let image = try withNoGrad { try pipeline.decode(latents: latents) }
            try expect(image.shape == [1, 3, h, w], "decode gave \(image.shape), expected [1, 3, \(h), \(w)]")
            let encoded = try withNoGrad { try pipeline.encode(image: image.clamp(min: -1, max: 1)) }
            try expect(encoded.shape == latents.shape, "encode gave \(encoded.shape), expected \(latents.shape)")
            try expect(encoded.scalars.allSatisfy(\.isFinite), "encoded latents are not finite")
            return ""
        }
        check("Direct Distillation loss falls on one sample") {
            let teacher = try adapter.tiny(seed: 0)
            let student = try adapter.tiny(seed: 0)
            let target = try Sampler.generate(pipeline: teacher, prompt: "a test", negativePrompt: "", height: h, width: w, seed: 11,
                                              steps: 6, guidanceScale: 3)
            let image = try withNoGrad { try teacher.decode(latents: target) }.clamp(min: -1, max: 1)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("conformance-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: folder) }
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: folder.appendingPathComponent("teacher.png").path, contents: Data())
            let csv = "image,prompt,seed,rand_device,num_inference_steps,cfg_scale\nteacher.png,a test,11,cpu,2,1\n"
            try Data(csv.utf8).write(to: folder.appendingPathComponent("metadata.csv"))
            let samples = try TrainingDataset.load(metadata: folder.appendingPathComponent("metadata.csv"), basePath: folder,
                                                   dataFileKeys: ["image"], extraInputs: ["seed", "rand_device", "num_inference_steps", "cfg_scale"])
            let losses = try trainLoRA(student, DirectDistillLoss(), samples, folder: folder, cache: TrainingCache { _ in image })
            try expect(losses.last! < losses.first!, "loss did not fall: \(losses)")
            return String(format: "%.3g → %.3g", losses.first!, losses.last!)
        }
        check("trajectory imitation loss falls on one sample") {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("conformance-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: folder) }
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data("prompt,seed,num_inference_steps\na test,11,2\n".utf8).write(to: folder.appendingPathComponent("metadata.csv"))
            let samples = try TrainingDataset.load(metadata: folder.appendingPathComponent("metadata.csv"), basePath: folder,
                                                   dataFileKeys: [], extraInputs: ["seed", "num_inference_steps"])
            let student = try adapter.tiny(seed: 0)
            let objective = TrajectoryImitationLoss(teacher: try adapter.tiny(seed: 1), teacherSettings: SamplingSettings(steps: 6, guidanceScale: 3),
                                                    height: h, width: w)
            let losses = try trainLoRA(student, objective, samples, folder: folder,
                                       cache: TrainingCache { _ in throw ConformanceFailure("trajectory imitation needs no images") })
            try expect(losses.allSatisfy(\.isFinite) && losses.last! < losses.first!, "loss did not fall: \(losses)")
            return String(format: "%.3g → %.3g", losses.first!, losses.last!)
        }
        check("bad inputs give named errors") {
            let empty = try? withNoGrad { try pipeline.encode(prompt: "") }
            try expect(empty != nil, "the empty prompt (the default negative prompt) must be encodable")
            var state = pipeline.denoiser.stateDict()
            let removed = state.keys.sorted().first!
            state.removeValue(forKey: removed)
            do {
                try (try adapter.tiny(seed: 1)).denoiser.load(stateDict: state)
                throw ConformanceFailure("loading weights without '\(removed)' succeeded")
            } catch let error as WeightLoadError {
                try expect("\(error)".contains(removed), "the missing-key error does not name '\(removed)': \(error)")
            }
            return ""
        }
        return checks
    }

    /// Eight epochs of a rank-4 LoRA on the default targets at lr 1e-2: the loss-falls checks.
    private static func trainLoRA(_ student: any DiffusionPipeline, _ objective: any TrainingObjective, _ samples: [TrainingSample],
                                  folder: URL, cache: TrainingCache) throws -> [Float] {
        var configuration = TrainerConfiguration(trainable: .lora(targets: student.descriptor.defaultLoRATargets, rank: 4, alpha: nil),
                                                 outputPath: folder.appendingPathComponent("out"))
        configuration.learningRate = 1e-2
        configuration.epochs = 8
        configuration.csvLog = false
        configuration.saveSteps = 1000
        return try Trainer(pipeline: student, objective: objective, samples: samples, configuration: configuration, cache: cache).run()
    }

    private static func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw ConformanceFailure(message()) }
    }
}

/// A failed conformance expectation.
struct ConformanceFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

import Foundation
import Testing
@testable import DiffSynth

/// Latent targets and step-count sets of ``DirectDistillLoss``.
@Suite("Direct Distillation targets and step-count sets")
struct DistillTargetTests {
    /// One toy row with an image (served by the cache) and a latents file of `family`/`channels`.
    struct Row {
        let directory: URL, sample: TrainingSample, cache: TrainingCache, image: Tensor, latents: Tensor

        init(family: String = "toy", channels: Int = 3, steps: String = "2", withLatents: Bool = true) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("target-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("latents"), withIntermediateDirectories: true)
            var r = TestRandom(4)
            image = r.tensor([1, 3, 4, 4])
            latents = r.tensor([1, channels, 4, 4])
            _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("a.png").path, contents: Data())
            try TeacherLatentsFile.write(latents, family: family, to: directory.appendingPathComponent("latents/a.safetensors"))
            let csv = "image,prompt,seed,rand_device,num_inference_steps,cfg_scale\(withLatents ? ",latents" : "")\n"
                + CSV.line(["a.png", "a red square", "9", "cpu", steps, "1"] + (withLatents ? ["latents/a.safetensors"] : [])) + "\n"
            try csv.write(to: directory.appendingPathComponent("metadata.csv"), atomically: true, encoding: .utf8)
            sample = try TrainingDataset.load(metadata: directory.appendingPathComponent("metadata.csv"), basePath: directory,
                                              dataFileKeys: ["image", "latents"],
                                              extraInputs: ["seed", "rand_device", "num_inference_steps", "cfg_scale"])[0]
            let image = self.image
            cache = TrainingCache { _ in image }
        }

        /// The student's own result for this row at `steps`, sampled independently of the loss.
        func studentResult(_ pipeline: ToyPipeline, steps: Int) throws -> [Float] {
            try Sampler.generate(pipeline: pipeline, prompt: "a red square", height: 4, width: 4, seed: 9, steps: steps, guidanceScale: 1).scalars
        }
    }

    static func mse(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Float(a.count)
    }

    static func loss(_ objective: DirectDistillLoss, _ row: Row, _ pipeline: ToyPipeline, step: Int = 0) throws -> Float {
        try withNoGrad { try objective.loss(for: row.sample, step: step, pipeline: pipeline, cache: row.cache) }.item()
    }

    @Test("a row's latents replace the image as the target: the loss is the MSE to them")
    func latentTarget() throws {
        let row = try Row()
        let pipeline = ToyPipeline(seed: 5)
        let result = try row.studentResult(pipeline, steps: 2)
        let toLatents = Self.mse(result, row.latents.scalars), toImage = Self.mse(result, row.image.scalars)
        #expect(abs(toLatents - toImage) > 0.01, "the two targets must differ for this test to mean anything")
        for target in [DirectDistillLoss.Target.auto, .latents] {
            #expect(abs(try Self.loss(DirectDistillLoss(target: target), row, pipeline) - toLatents) <= 1e-6 * toLatents, "\(target)")
        }
        #expect(abs(try Self.loss(DirectDistillLoss(target: .image), row, pipeline) - toImage) <= 1e-6 * toImage)
    }

    @Test("latents of another family or shape: auto falls back to the image, latents refuses naming the file")
    func foreignLatents() throws {
        let pipeline = ToyPipeline(seed: 5)
        for row in [try Row(family: "sdxl"), try Row(channels: 4)] {
            let toImage = Self.mse(try row.studentResult(pipeline, steps: 2), row.image.scalars)
            #expect(abs(try Self.loss(DirectDistillLoss(target: .auto), row, pipeline) - toImage) <= 1e-6 * toImage)
            #expect { try DirectDistillLoss(target: .latents).validate(row.sample, pipeline: pipeline) }
                throws: { "\($0)".contains("a.safetensors") && "\($0)".contains("metadata.csv line 2") }
        }
        let plain = try Row(withLatents: false)
        #expect { try DirectDistillLoss(target: .latents).validate(plain.sample, pipeline: pipeline) }
            throws: { "\($0)".contains("metadata.csv line 2") && "\($0)".contains("'latents'") }
        try DirectDistillLoss(target: .auto).validate(plain.sample, pipeline: pipeline)
    }

    @Test("a file without a latents tensor is refused by name")
    func badFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).safetensors")
        try SafetensorsWriter.write([(name: "other", tensor: Tensor(shape: [1, 3, 2, 2], scalars: Array(repeating: 0, count: 12)))], to: url)
        #expect { try TeacherLatentsFile.read(url) } throws: { "\($0)".contains(url.lastPathComponent) && "\($0)".contains("other") }
        try SafetensorsWriter.write([(name: "latents", tensor: Tensor(shape: [3, 4], scalars: Array(repeating: 0, count: 12)))], to: url)
        #expect { try TeacherLatentsFile.read(url) } throws: { "\($0)".contains("[3, 4]") }
    }

    @Test("a step-count set trains every count: each step's loss is that of the count drawn for it")
    func stepCountSet() throws {
        let row = try Row(steps: "1, 2,4")
        #expect(row.sample.stepChoices == [1, 2, 4])
        let draws = (0..<300).map { row.sample.studentSteps(atTrainingStep: $0, seed: 3)! }
        for count in [1, 2, 4] { #expect(draws.filter { $0 == count }.count >= 70, "\(count) drawn \(draws.filter { $0 == count }.count) of 300") }
        #expect(draws == (0..<300).map { row.sample.studentSteps(atTrainingStep: $0, seed: 3)! }, "draws depend on (seed, step) alone")
        #expect(draws != (0..<300).map { row.sample.studentSteps(atTrainingStep: $0, seed: 4)! })
        let pipeline = ToyPipeline(seed: 5)
        let objective = DirectDistillLoss(seed: 3)
        for step in 0..<6 {
            let expected = Self.mse(try row.studentResult(pipeline, steps: draws[step]), row.latents.scalars)
            #expect(abs(try Self.loss(objective, row, pipeline, step: step) - expected) <= 1e-6 * expected, "step \(step)")
        }
        #expect(row.sample.replacingStepChoices(with: [8]).studentSteps(atTrainingStep: 0, seed: 3) == 8)
        #expect(TrainingSample.parseStepChoices("4,0") == nil && TrainingSample.parseStepChoices("2,2,1") == [2, 1])
        #expect { try Row(steps: "1,x") } throws: { "\($0)".contains("num_inference_steps") && "\($0)".contains("1,x") }
    }

    @Test("eval measures the distance to the teacher's own latents within one family only")
    func evaluationLatentSpace() throws {
        let shape = [1, 2, 2, 3]
        let weights = (0..<12).map { Float($0) / 24 - 0.25 }
        let teacher = AffinePipeline(shape: shape, a: weights, b: weights.reversed(), family: "one")
        func run(_ student: AffinePipeline) throws -> DistillationEvaluation.Result {
            let settings = SamplingSettings(steps: 3, guidanceScale: 1)
            return try DistillationEvaluation.run(
                teacher: .init(label: "teacher", pipeline: teacher, settings: SamplingSettings(steps: 12, guidanceScale: 1)),
                variants: [.init(label: "student", pipeline: student, settings: settings)],
                cases: [.init(prompt: "p", seed: 5)], height: 2, width: 3).variants[1]
        }
        let same = try run(AffinePipeline(shape: shape, a: weights, b: weights, family: "one"))
        let teacherLatents = try Sampler.generate(pipeline: teacher, prompt: "p", height: 2, width: 3, seed: 5, steps: 12, guidanceScale: 1)
        let studentLatents = try Sampler.generate(pipeline: AffinePipeline(shape: shape, a: weights, b: weights, family: "one"),
                                                  prompt: "p", height: 2, width: 3, seed: 5, steps: 3, guidanceScale: 1)
        let expected = Self.mse(studentLatents.scalars, teacherLatents.scalars)
        #expect(abs(same.teacherLatentMSE[0] - expected) <= 1e-6 * max(expected, 1e-3), "\(same.teacherLatentMSE[0]) vs \(expected)")
        #expect(try run(AffinePipeline(shape: shape, a: weights, b: weights, family: "two")).teacherLatentMSE[0].isNaN)
    }
}

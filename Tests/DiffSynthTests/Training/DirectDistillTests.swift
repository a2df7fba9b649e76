import Foundation
import Testing
@testable import DiffSynth

@Suite("Direct Distillation")
struct DirectDistillTests {
    @Test("the gradient through a whole 4-step student loop equals finite differences")
    func gradientThroughLoop() throws {
        let pipeline = ToyPipeline(seed: 3, size: 2, hidden: 8)
        var r = TestRandom(5)
        let data = try ToyDataset(rows: [("a red square", 7, r.tensor([1, 3, 2, 2]))], steps: 4)
        let objective = DirectDistillLoss()
        pipeline.denoiser.unfreeze()
        pipeline.denoiser.zeroGrad()
        try objective.loss(for: data.samples[0], step: 0, pipeline: pipeline, cache: data.cache).backward()
        func lossValue() throws -> Double {
            Double(try withNoGrad { try objective.loss(for: data.samples[0], step: 0, pipeline: pipeline, cache: data.cache) }.item())
        }
        var checked = 0
        for parameter in [pipeline.model.projIn.weight, pipeline.model.blocks[1].proj.bias!, pipeline.model.projOut.weight] {
            let analytic = try #require(parameter.grad).scalars
            for index in stride(from: 0, to: parameter.value.count, by: max(1, parameter.value.count / 5)) {
                let epsilon: Float = 1e-2
                parameter.update { $0[index] += epsilon }
                let plus = try lossValue()
                parameter.update { $0[index] -= 2 * epsilon }
                let minus = try lossValue()
                parameter.update { $0[index] += epsilon }
                let numeric = Float((plus - minus) / Double(2 * epsilon))
                #expect(abs(numeric - analytic[index]) <= 2e-4 + 2e-2 * abs(numeric),
                        "\(parameter.name)[\(index)]: analytic \(analytic[index]), numeric \(numeric)")
                checked += 1
            }
        }
        #expect(checked >= 15)
    }

    @Test("the student starts from exactly the teacher's seeded noise and schedule")
    func startsFromTeacherNoise() throws {
        let pipeline = ToyPipeline(seed: 1)
        let (noise, _) = try pipeline.seededNoise(height: 4, width: 4, seed: 42)
        var generator = TorchGenerator(seed: 42)
        #expect(noise.scalars == generator.randn(count: 48))
        // With zero steps of change (an untrained model whose prediction we ignore), the loss at
        // one step equals the MSE from noise + v·(0 − 1): check the loop uses the row's step count.
        var r = TestRandom(2)
        let target = r.tensor([1, 3, 4, 4])
        let data = try ToyDataset(rows: [("p", 42, target)], steps: 3)
        let loss = try withNoGrad { try DirectDistillLoss().loss(for: data.samples[0], step: 0, pipeline: pipeline, cache: data.cache) }
        let direct = try withNoGrad {
            try Sampler.generate(pipeline: pipeline, prompt: "p", height: 4, width: 4, seed: 42, steps: 3, guidanceScale: 1)
        }
        #expect(abs(loss.item() - direct.mseLoss(target).item()) < 1e-7)
    }

    /// Teacher targets: the toy sampled at many steps with guidance, as a distillation dataset would hold.
    static func teacherRows(_ teacher: ToyPipeline, count: Int) throws -> [(prompt: String, seed: Int, target: Tensor)] {
        try (0..<count).map { i in
            let prompt = ["a red circle", "a blue square", "green triangle", "yellow star", "purple ring", "orange dot"][i % 6]
            let latents = try Sampler.generate(pipeline: teacher, prompt: prompt, negativePrompt: "", height: 4, width: 4,
                                               seed: UInt64(100 + i), steps: teacher.descriptor.teacher.steps,
                                               guidanceScale: teacher.descriptor.teacher.guidanceScale)
            return (prompt, 100 + i, latents)
        }
    }

    @Test("distilling a 20-step guided teacher into a 2-step student lowers the loss at least 10×")
    func toyDistillation() throws {
        let rows = try Self.teacherRows(ToyPipeline(seed: 11), count: 4)
        let student = ToyPipeline(seed: 11)
        let data = try ToyDataset(rows: rows, steps: 2)
        func meanLoss() throws -> Float {
            try withNoGrad {
                try data.samples.map { try DirectDistillLoss().loss(for: $0, step: 0, pipeline: student, cache: data.cache).item() }
                    .reduce(0, +) / Float(data.samples.count)
            }
        }
        let before = try meanLoss()
        var configuration = TrainerConfiguration(trainable: .full, outputPath: data.directory.appendingPathComponent("out"))
        configuration.learningRate = 3e-3
        configuration.epochs = 60
        configuration.csvLog = false
        configuration.saveSteps = 100_000
        try Trainer(pipeline: student, objective: DirectDistillLoss(), samples: data.samples, configuration: configuration, cache: data.cache).run()
        let after = try meanLoss()
        #expect(after * 10 <= before, "loss \(before) → \(after)")
    }
}

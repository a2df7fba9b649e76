import DiffSynth
import Foundation
import Testing
@testable import SDXL

// Serialized: each test already uses every core; running them side by side only oversubscribes.
@Suite("SDXL training through the shared Trainer", .serialized)
struct TrainingTests {
    static let size = 32

    /// Teacher images: the tiny base pipeline at 8 Euler steps with guidance 5, decoded.
    static func teacherRows() throws -> [(prompt: String, seed: UInt64, image: Tensor)] {
        let teacher = try Fixtures.pipeline()
        return try [(Fixtures.prompt, UInt64(1)), (Fixtures.secondPrompt, UInt64(2))].map { prompt, seed in
            let latents = try Sampler.generate(pipeline: teacher, prompt: prompt, negativePrompt: "", height: size, width: size,
                                               seed: seed, steps: 8, guidanceScale: 5)
            return (prompt, seed, try withNoGrad { try teacher.decode(latents: latents) }.clamp(min: -1, max: 1))
        }
    }

    /// The student: the same weights with a trailing Euler schedule (usable at 1–2 steps).
    static func student() throws -> SDXLPipeline {
        try SDXLPipeline.load(from: Fixtures.base, variant: "fp16",
                              makeScheduler: { _ in TestEulerScheduler(spacing: .trailing, ancestral: false) },
                              makeTokenizer: Fixtures.tokenizer(folder:))
    }

    static func train(_ pipeline: SDXLPipeline, _ data: TrainingSet, _ objective: any TrainingObjective,
                      trainable: TrainerConfiguration.Trainable, learningRate: Float, epochs: Int,
                      checkpointing: Bool = false) throws -> [Float] {
        var configuration = TrainerConfiguration(trainable: trainable, outputPath: data.directory.appendingPathComponent("out"))
        configuration.learningRate = learningRate
        configuration.weightDecay = 0
        configuration.epochs = epochs
        configuration.gradientCheckpointing = checkpointing
        configuration.csvLog = false
        configuration.saveSteps = 1_000_000   // one checkpoint at the end, not one per epoch
        let trainer = Trainer(pipeline: pipeline, objective: objective, samples: data.samples, configuration: configuration, cache: data.cache)
        return try trainer.run()
    }

    @Test("Direct Distillation: an 8-step guided teacher into a 2-step student, LoRA on the default targets, with checkpointing")
    func directDistillLoRA() throws {
        let data = try TrainingSet(rows: try Self.teacherRows(), steps: 2)
        defer { try? FileManager.default.removeItem(at: data.directory) }
        let student = try Self.student()
        let before = try data.meanLoss(DirectDistillLoss(), pipeline: student)
        let start = Date()
        let losses = try Self.train(student, data, DirectDistillLoss(),
                                    trainable: .lora(targets: student.descriptor.defaultLoRATargets, rank: 4, alpha: nil),
                                    learningRate: 1e-2, epochs: 25, checkpointing: true)
        let after = try data.meanLoss(DirectDistillLoss(), pipeline: student)
        print("direct distill LoRA: loss \(before) → \(after) in \(losses.count) steps, \(Date().timeIntervalSince(start)) s")
        #expect(student.unet.trainableParameters().allSatisfy { $0.name.contains(".lora_") })
        #expect(after < 0.7 * before, "loss \(before) → \(after)")
    }

    @Test("Direct Distillation: a 1-step student with full fine-tuning")
    func directDistillFull() throws {
        let data = try TrainingSet(rows: try Self.teacherRows(), steps: 1)
        defer { try? FileManager.default.removeItem(at: data.directory) }
        let student = try Self.student()
        let before = try data.meanLoss(DirectDistillLoss(), pipeline: student)
        let start = Date()
        let losses = try Self.train(student, data, DirectDistillLoss(), trainable: .full, learningRate: 1e-3, epochs: 10)
        let after = try data.meanLoss(DirectDistillLoss(), pipeline: student)
        print("direct distill full: loss \(before) → \(after) in \(losses.count) steps, \(Date().timeIntervalSince(start)) s")
        #expect(after < 0.2 * before, "loss \(before) → \(after)")
    }

    @Test("SFT (ε-prediction): the supervised loss on fixed draws falls, with LoRA and with full fine-tuning")
    func supervised() throws {
        let rows = try Self.teacherRows()
        for trainable in [TrainerConfiguration.Trainable.lora(targets: SDXLPipeline.defaultLoRATargets, rank: 4, alpha: nil), .full] {
            let data = try TrainingSet(rows: rows, steps: 1)
            defer { try? FileManager.default.removeItem(at: data.directory) }
            let pipeline = try Fixtures.pipeline()
            let objective = SupervisedLoss(seed: 3)
            let evaluation = Array(1000..<1012)   // micro-steps whose draws are never trained on
            let before = try data.meanLoss(objective, pipeline: pipeline, steps: evaluation)
            let start = Date()
            let losses = try Self.train(pipeline, data, objective, trainable: trainable,
                                        learningRate: trainable == .full ? 1e-3 : 3e-2, epochs: 20)
            let after = try data.meanLoss(objective, pipeline: pipeline, steps: evaluation)
            print("sft \(trainable == .full ? "full" : "LoRA"): loss \(before) → \(after) in \(losses.count) steps, \(Date().timeIntervalSince(start)) s")
            // LoRA on the attention/feed-forward layers cannot rescale the random UNet's output
            // convolutions, so it plateaus higher than full fine-tuning does.
            #expect(after < (trainable == .full ? 0.5 : 0.9) * before, "loss \(before) → \(after)")
        }
    }
}

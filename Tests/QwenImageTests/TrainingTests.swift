import DiffSynth
import Foundation
import Testing
@testable import QwenImage

@Suite("Training the tiny Qwen-Image through the shared Trainer")
struct TrainingTests {
    static let prompts = [0, 1, 2].map { Fixtures.promptTexts[$0] }

    func configuration(_ trainable: TrainerConfiguration.Trainable, _ set: QwenTrainingSet, learningRate: Float, epochs: Int) -> TrainerConfiguration {
        var c = TrainerConfiguration(trainable: trainable, outputPath: set.directory.appendingPathComponent("out"))
        c.learningRate = learningRate
        c.epochs = epochs
        c.csvLog = false
        c.saveSteps = 1_000_000
        c.gradientCheckpointing = true
        return c
    }

    func train(_ objective: any TrainingObjective, _ trainable: TrainerConfiguration.Trainable, learningRate: Float, epochs: Int,
               evaluationSteps: Range<Int>) throws -> (before: Float, after: Float, seconds: Double, steps: Int) {
        let teacher = try Fixtures.pipeline()
        let set = try QwenTrainingSet(prompts: Self.prompts, teacher: teacher, height: 32, width: 48, teacherSteps: 8, studentSteps: 4)
        let student = try Fixtures.pipeline()
        let before = try set.meanLoss(objective, pipeline: student, steps: evaluationSteps)
        let start = Date()
        let losses = try Trainer(pipeline: student, objective: objective, samples: set.samples,
                                 configuration: configuration(trainable, set, learningRate: learningRate, epochs: epochs), cache: set.cache).run()
        let seconds = Date().timeIntervalSince(start)
        let after = try set.meanLoss(objective, pipeline: student, steps: evaluationSteps)
        return (before, after, seconds, losses.count)
    }

    @Test("Direct Distillation with LoRA on the default targets lowers the loss")
    func directDistillLoRA() throws {
        let r = try train(DirectDistillLoss(), .lora(targets: QwenImagePipeline.defaultLoRATargets, rank: 4, alpha: nil),
                          learningRate: 2e-2, epochs: 40, evaluationSteps: 0..<1)
        print(String(format: "DirectDistill LoRA: loss %.5f → %.5f in %d steps, %.2f s (%.0f ms/step)", r.before, r.after, r.steps, r.seconds, 1000 * r.seconds / Double(r.steps)))
        #expect(r.after < 0.6 * r.before, "loss \(r.before) → \(r.after)")
    }

    @Test("Direct Distillation with full fine-tuning lowers the loss")
    func directDistillFull() throws {
        let r = try train(DirectDistillLoss(), .full, learningRate: 2e-3, epochs: 20, evaluationSteps: 0..<1)
        print(String(format: "DirectDistill full: loss %.5f → %.5f in %d steps, %.2f s (%.0f ms/step)", r.before, r.after, r.steps, r.seconds, 1000 * r.seconds / Double(r.steps)))
        #expect(r.after < 0.5 * r.before, "loss \(r.before) → \(r.after)")
    }

    @Test("SFT with LoRA lowers the loss on a fixed set of timesteps and noises")
    func supervisedLoRA() throws {
        let r = try train(SupervisedLoss(seed: 3), .lora(targets: QwenImagePipeline.defaultLoRATargets, rank: 4, alpha: nil),
                          learningRate: 1e-2, epochs: 30, evaluationSteps: 0..<16)
        print(String(format: "SFT LoRA: loss %.5f → %.5f in %d steps, %.2f s", r.before, r.after, r.steps, r.seconds))
        #expect(r.after < 0.8 * r.before, "loss \(r.before) → \(r.after)")
    }

    @Test("SFT with full fine-tuning lowers the loss on a fixed set of timesteps and noises")
    func supervisedFull() throws {
        let r = try train(SupervisedLoss(seed: 3), .full, learningRate: 2e-3, epochs: 30, evaluationSteps: 0..<16)
        print(String(format: "SFT full: loss %.5f → %.5f in %d steps, %.2f s", r.before, r.after, r.steps, r.seconds))
        #expect(r.after < 0.8 * r.before, "loss \(r.before) → \(r.after)")
    }

    @Test("LoRA injection hits the 12 default targets of every block and nothing else")
    func loraTargets() throws {
        let pipeline = try Fixtures.pipeline()
        let layers = try LoRA.inject(into: pipeline.denoiser, targets: pipeline.descriptor.defaultLoRATargets, rank: 2)
        #expect(layers.count == 2 * 12)
        #expect(Set(layers.map { $0.path.split(separator: ".", maxSplits: 2).last.map(String.init)! })
                == Set(["attn.to_q", "attn.to_k", "attn.to_v", "attn.add_q_proj", "attn.add_k_proj", "attn.add_v_proj", "attn.to_out.0",
                        "attn.to_add_out", "img_mlp.net.2", "img_mod.1", "txt_mlp.net.2", "txt_mod.1"]))
        #expect(pipeline.denoiser.trainableParameters().count == 2 * 12 * 2)
    }
}

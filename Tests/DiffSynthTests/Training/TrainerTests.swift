import Foundation
import Testing
@testable import DiffSynth

@Suite("Trainer")
struct TrainerTests {
    static func rows() throws -> [(prompt: String, seed: Int, target: Tensor)] {
        try DirectDistillTests.teacherRows(ToyPipeline(seed: 11), count: 3)
    }

    @Test("gradient checkpointing gives the same gradients as keeping activations")
    func checkpointingEqualsPlain() throws {
        let data = try ToyDataset(rows: try Self.rows(), steps: 3)
        func gradients(_ checkpointing: Bool) throws -> [[Float]] {
            let pipeline = ToyPipeline(seed: 11)
            try LoRA.inject(into: pipeline.denoiser, targets: ["proj_in", "proj", "proj_out"], rank: 2)
            for layer in pipeline.denoiser.linearLayers() { for a in layer.adapters { a.up.assign(Tensor.full(a.up.shape, 0.01)) } }
            pipeline.gradientCheckpointing = checkpointing
            try DirectDistillLoss().loss(for: data.samples[1], step: 0, pipeline: pipeline, cache: data.cache).backward()
            return pipeline.denoiser.trainableParameters().map { $0.grad!.scalars }
        }
        #expect(try gradients(true) == gradients(false))
    }

    func configuration(_ directory: URL) -> TrainerConfiguration {
        var c = TrainerConfiguration(trainable: .lora(targets: ["proj_in", "proj"], rank: 4, alpha: nil), outputPath: directory)
        c.learningRate = 5e-3
        c.epochs = 3
        c.datasetRepeat = 2
        c.gradientAccumulationSteps = 2
        c.warmupSteps = 2
        c.maxGradNorm = 1
        c.saveSteps = 4
        c.seed = 9
        return c
    }

    @Test("resuming from a mid-window checkpoint reproduces the uninterrupted loss curve exactly")
    func exactResume() throws {
        let data = try ToyDataset(rows: try Self.rows(), steps: 2)
        let whole = data.directory.appendingPathComponent("whole"), split = data.directory.appendingPathComponent("split")
        let reference = try Trainer(pipeline: ToyPipeline(seed: 11), objective: DirectDistillLoss(), samples: data.samples,
                                    configuration: configuration(whole), cache: data.cache).run()
        #expect(reference.count == 18)
        var first = configuration(split)
        first.maxSteps = 7   // inside an accumulation window, between save points
        let head = try Trainer(pipeline: ToyPipeline(seed: 11), objective: DirectDistillLoss(), samples: data.samples,
                               configuration: first, cache: data.cache).run()
        let tail = try Trainer(pipeline: ToyPipeline(seed: 11), objective: DirectDistillLoss(), samples: data.samples,
                               configuration: configuration(split), cache: data.cache).run(resumeFrom: split)
        #expect(head + tail == reference)
        let csvWhole = try String(contentsOf: whole.appendingPathComponent("loss.csv"), encoding: .utf8)
        let csvSplit = try String(contentsOf: split.appendingPathComponent("loss.csv"), encoding: .utf8)
        func losses(_ csv: String) -> [String] { csv.split(separator: "\n").filter { $0.contains(",loss,") }.map(String.init) }
        #expect(losses(csvWhole) == losses(csvSplit))
        #expect(csvWhole.hasPrefix("step,key,value\n1,loss,"))
        let final = try SafetensorsFile(url: whole.appendingPathComponent("step-18.safetensors"))
        let resumed = try SafetensorsFile(url: split.appendingPathComponent("step-18.safetensors"))
        for name in final.names { #expect(try final.tensor(name).scalars == resumed.tensor(name).scalars) }
        #expect(final.names.contains("blocks.1.proj.lora_B.default.weight"))
        #expect(final.metadata["lora_rank"] == "4")
    }

    @Test("checkpoints follow DiffSynth's names: step-N with save_steps, epoch-K without")
    func checkpointNames() throws {
        let data = try ToyDataset(rows: try Self.rows(), steps: 2)
        var c = configuration(data.directory.appendingPathComponent("epochs"))
        c.saveSteps = nil
        c.epochs = 2
        var written: [String] = []
        try Trainer(pipeline: ToyPipeline(seed: 11), objective: DirectDistillLoss(), samples: data.samples, configuration: c,
                    cache: data.cache).run { if case .checkpoint(let url) = $0 { written.append(url.lastPathComponent) } }
        #expect(written == ["epoch-0.safetensors", "epoch-1.safetensors"])
        c = configuration(data.directory.appendingPathComponent("steps"))
        c.saveSteps = 5
        written = []
        try Trainer(pipeline: ToyPipeline(seed: 11), objective: DirectDistillLoss(), samples: data.samples, configuration: c,
                    cache: data.cache).run { if case .checkpoint(let url) = $0 { written.append(url.lastPathComponent) } }
        #expect(written == ["step-5.safetensors", "step-10.safetensors", "step-15.safetensors", "step-18.safetensors"])
    }

    @Test("resuming with different settings is refused, naming the setting")
    func resumeMismatch() throws {
        let data = try ToyDataset(rows: try Self.rows(), steps: 2)
        let directory = data.directory.appendingPathComponent("run")
        var c = configuration(directory)
        c.maxSteps = 4
        try Trainer(pipeline: ToyPipeline(seed: 11), objective: DirectDistillLoss(), samples: data.samples, configuration: c, cache: data.cache).run()
        c.learningRate = 1e-2
        c.maxSteps = nil
        do {
            try Trainer(pipeline: ToyPipeline(seed: 11), objective: DirectDistillLoss(), samples: data.samples, configuration: c,
                        cache: data.cache).run(resumeFrom: directory)
            Issue.record("expected a mismatch")
        } catch let error as TrainingError {
            #expect(error.description.contains("learning_rate"))
        }
    }

    @Test("a non-finite loss stops the run naming the row, and earlier checkpoints stay intact")
    func nanGuard() throws {
        var rows = try Self.rows()
        rows[2].target = Tensor.full([1, 3, 4, 4], .nan)
        let data = try ToyDataset(rows: rows, steps: 2)
        var c = configuration(data.directory.appendingPathComponent("nan"))
        c.shuffle = false
        c.saveSteps = 1
        do {
            try Trainer(pipeline: ToyPipeline(seed: 11), objective: DirectDistillLoss(), samples: data.samples, configuration: c, cache: data.cache).run()
            Issue.record("expected a NaN stop")
        } catch let error as TrainingError {
            #expect(error.description.contains("line 4") && error.description.contains("step 3"))
        }
        let kept = try SafetensorsFile(url: c.outputPath.appendingPathComponent("step-2.safetensors"))
        #expect(try kept.names.allSatisfy { try kept.tensor($0).scalars.allSatisfy(\.isFinite) })
    }

    @Test("warm-up rises linearly to the learning rate; the data order is a seeded permutation of the repeated rows")
    func scheduleAndOrder() throws {
        let data = try ToyDataset(rows: try Self.rows(), steps: 2)
        let trainer = Trainer(pipeline: ToyPipeline(), objective: DirectDistillLoss(), samples: data.samples,
                              configuration: configuration(data.directory), cache: data.cache)
        #expect([0, 1, 2, 3].map { trainer.learningRate(afterSteps: $0) } == [2.5e-3, 5e-3, 5e-3, 5e-3])
        let order = trainer.order(epoch: 0)
        #expect(order.sorted() == [0, 0, 1, 1, 2, 2])
        #expect(order == trainer.order(epoch: 0))
        #expect(order != trainer.order(epoch: 1))
    }
}

import DiffSynth
import Foundation
import Testing
@testable import SDXL

@Suite("SDXL UNet")
struct UNetTests {
    /// Runs a fixture case (`unet.square`, …) and returns its relative error.
    static func error(of name: String, unet: UNet2DConditionModel) throws -> Float {
        let sample = try Fixtures.reference("\(name).sample"), timesteps = try Fixtures.reference("\(name).timesteps").scalars
        let context = try Fixtures.reference("\(name).context"), text = try Fixtures.reference("\(name).text_embeds")
        let timeIDs = try Fixtures.reference("\(name).time_ids")
        let output = withNoGrad { unet(sample, timesteps: timesteps, encoderHiddenStates: context, textEmbeds: text, timeIds: timeIDs) }
        let reference = try Fixtures.reference("\(name).out")
        #expect(output.shape == reference.shape)
        return Compare.relativeError(output, reference)
    }

    @Test("the tiny UNet matches diffusers on a batch of two (per-sample timesteps and time ids) and on a non-square latent")
    func tinyUNetMatchesDiffusers() throws {
        let pipeline = try Fixtures.pipeline()
        for name in ["unet.square", "unet.wide"] {
            let error = try Self.error(of: name, unet: pipeline.unet)
            print("\(name): relative error \(error)")
            #expect(error <= 1e-4, "\(name): relative error \(error)")
        }
    }

    @Test("the 3-level UNet (SDXL's block layout) matches diffusers, including an odd 10×6 latent through upsample_size")
    func threeLevelUNetMatchesDiffusers() throws {
        let unet = try UNet2DConditionModel.load(from: Fixtures.referenceFolder.appendingPathComponent("unet-3level"))
        #expect(unet.configuration.levels == 3 && unet.configuration.transformerLayersPerBlock == [1, 2, 3])
        for name in ["unet3.odd", "unet3.square"] {
            let error = try Self.error(of: name, unet: unet)
            print("\(name): relative error \(error)")
            #expect(error <= 1e-4, "\(name): relative error \(error)")
        }
    }

    @Test("nearest resizing picks PyTorch's source rows: 3→5 is 0,0,1,1,2 and 2→3 is 0,0,1")
    func nearestResize() {
        let x = Tensor(shape: [1, 1, 3, 2], scalars: [0, 1, 2, 3, 4, 5])
        #expect(x.resizedNearest(height: 5, width: 3).scalars == [0, 0, 1, 0, 0, 1, 2, 2, 3, 2, 2, 3, 4, 4, 5])
        #expect(x.resizedNearest(height: 6, width: 4).scalars == x.upsampleNearest(factor: 2).scalars)
    }

    @Test("gradient checkpointing gives the same gradients as keeping activations")
    func checkpointingGivesSameGradients() throws {
        let pipeline = try Fixtures.pipeline()
        let sample = try Fixtures.reference("unet.wide.sample")
        let context = try Fixtures.reference("unet.wide.context"), text = try Fixtures.reference("unet.wide.text_embeds")
        let ids = try Fixtures.reference("unet.wide.time_ids")
        try LoRA.inject(into: pipeline.unet, targets: SDXLPipeline.defaultLoRATargets, rank: 2, seed: 3)
        for layer in pipeline.unet.linearLayers() { for adapter in layer.adapters { adapter.up.assign(Tensor.full(adapter.up.shape, 0.01)) } }
        // A trainable input-side weight too, so gradients also flow through checkpointed resnets.
        pipeline.unet.convIn.weight.isTrainable = true
        func gradients(_ checkpointing: Bool) -> [[Float]] {
            pipeline.unet.zeroGrad()
            pipeline.gradientCheckpointing = checkpointing
            let output = pipeline.unet(sample, timesteps: [500], encoderHiddenStates: context, textEmbeds: text, timeIds: ids)
            (output * output).mean().backward()
            return pipeline.unet.trainableParameters().map { $0.grad?.scalars ?? [] }
        }
        let plain = gradients(false), checkpointed = gradients(true)
        #expect(plain.count == checkpointed.count && plain.allSatisfy { !$0.isEmpty })
        var worst: Float = 0
        for (a, b) in zip(plain, checkpointed) {
            let scale = a.map(abs).max() ?? 0
            worst = max(worst, (zip(a, b).map { abs($0 - $1) }.max() ?? 0) / max(scale, 1e-12))
        }
        #expect(worst <= 1e-5, "largest relative gradient difference \(worst)")
    }
}

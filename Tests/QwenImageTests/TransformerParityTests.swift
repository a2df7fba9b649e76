import DiffSynth
import Foundation
import Testing
@testable import QwenImage

@Suite("Qwen-Image transformer matches diffusers")
struct TransformerParityTests {
    static var cases: [[String: Any]] { Fixtures.json["transformer"] as! [[String: Any]] }

    @Test("the velocity for fixed inputs matches on square, non-square and odd masked grids", arguments: ["square", "wide", "odd_masked"])
    func forward(_ name: String) throws {
        let pipeline = try Fixtures.pipeline()
        let info = Self.cases.first { $0["name"] as! String == name }!
        let (h, w) = (info["latent_height"] as! Int, info["latent_width"] as! Int)
        let lengths = info["text_lengths"] as! [Int]
        let mask = Fixtures.tensor("transformer.\(name).encoder_hidden_states_mask")
        let output = withNoGrad {
            pipeline.transformer(Fixtures.tensor("transformer.\(name).hidden_states"),
                                 encoderHiddenStates: Fixtures.tensor("transformer.\(name).encoder_hidden_states"),
                                 encoderHiddenStatesMask: lengths.min()! < lengths.max()! ? mask : nil,
                                 sigmas: Fixtures.tensor("transformer.\(name).timestep").scalars, grid: (1, h / 2, w / 2))
        }
        let comparison = Comparison(output, Fixtures.tensor("transformer.\(name).output"))
        print("transformer \(name) \(output.shape): \(comparison)")
        #expect(comparison.maxRelative <= 1e-4, "\(comparison)")
    }

    @Test("masking padded text equals truncating it (text RoPE positions depend only on the token index)")
    func maskEqualsTruncation() throws {
        let pipeline = try Fixtures.pipeline()
        let hidden = Fixtures.tensor("transformer.odd_masked.hidden_states").slice(axis: 0, 1..<2)
        let text = Fixtures.tensor("transformer.odd_masked.encoder_hidden_states").slice(axis: 0, 1..<2)
        let mask = Fixtures.tensor("transformer.odd_masked.encoder_hidden_states_mask").slice(axis: 0, 1..<2)
        let valid = Int(mask.sum().item())
        #expect(valid == 8)
        let masked = withNoGrad { pipeline.transformer(hidden, encoderHiddenStates: text, encoderHiddenStatesMask: mask, sigmas: [0.25], grid: (1, 3, 5)) }
        let truncated = withNoGrad {
            pipeline.transformer(hidden, encoderHiddenStates: text.slice(axis: 1, 0..<valid), sigmas: [0.25], grid: (1, 3, 5))
        }
        let unmasked = withNoGrad { pipeline.transformer(hidden, encoderHiddenStates: text, sigmas: [0.25], grid: (1, 3, 5)) }
        let reference = Fixtures.tensor("transformer.odd_masked.output").slice(axis: 0, 1..<2)
        #expect(Comparison(masked, reference).maxRelative <= 1e-4)
        #expect(Comparison(truncated, masked).maxRelative <= 1e-5)
        // The mask matters: attending to the zero-padded tokens changes the result.
        #expect(Comparison(unmasked, reference).maxRelative > 1e-3)
    }

    @Test("2×2 packing follows diffusers' channel order and unpacking inverts it")
    func packing() {
        // Latent (b, c, y, x) = 1000c + 10y + x for a 2-channel 4×6 latent.
        var values: [Float] = []
        for c in 0..<2 { for y in 0..<4 { for x in 0..<6 { values.append(Float(1000 * c + 10 * y + x)) } } }
        let latents = Tensor(shape: [1, 2, 4, 6], scalars: values)
        let tokens = LatentPatchPacking.pack(latents)
        #expect(tokens.shape == [1, 6, 8])
        // Token (i, j) = row-major patch index; feature c·4 + dy·2 + dx.
        let t = tokens.scalars
        for i in 0..<2 { for j in 0..<3 { for c in 0..<2 { for dy in 0..<2 { for dx in 0..<2 {
            #expect(t[(i * 3 + j) * 8 + c * 4 + dy * 2 + dx] == Float(1000 * c + 10 * (2 * i + dy) + 2 * j + dx))
        } } } } }
        #expect(LatentPatchPacking.unpack(tokens, height: 4, width: 6).scalars == values)
    }

    @Test("gradient checkpointing gives the same gradients as keeping activations")
    func checkpointingGradients() throws {
        let pipeline = try Fixtures.pipeline()
        pipeline.transformer.unfreeze()
        let latents = Fixtures.tensor("pipeline.student.noise")
        let conditioning = try pipeline.encode(prompt: Fixtures.promptTexts[1])
        func gradients(_ on: Bool) -> [[Float]] {
            pipeline.gradientCheckpointing = on
            pipeline.transformer.zeroGrad()
            pipeline.predict(latents: latents, timestep: 700, conditioning: conditioning).pow(2).mean().backward()
            return pipeline.transformer.parameters().map { $0.grad?.scalars ?? [] }
        }
        let plain = gradients(false), checkpointed = gradients(true)
        // The last block's text MLP feeds nothing (its stream is discarded): no gradient either way.
        #expect(plain.map(\.isEmpty) == checkpointed.map(\.isEmpty))
        #expect(plain.filter { !$0.isEmpty }.count >= plain.count - 8)
        var worst: Float = 0
        for (a, b) in zip(plain, checkpointed) { for (x, y) in zip(a, b) { worst = max(worst, abs(x - y)) } }
        #expect(worst <= 1e-6, "max gradient difference \(worst)")
    }
}

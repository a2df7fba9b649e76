import Foundation
import Testing
@testable import DiffSynth

@Suite("LoRA")
struct LoRATests {
    func output(_ pipeline: ToyPipeline) throws -> Tensor {
        var r = TestRandom(4)
        return withNoGrad { pipeline.predict(latents: r.tensor([1, 3, 4, 4]), timestep: 500, conditioning: try! pipeline.encode(prompt: "x")) }
    }

    @Test("targets match peft's rule: whole path or a dotted suffix")
    func matching() {
        #expect(LoRA.matches("transformer_blocks.3.attn.to_q", targets: ["to_q"]))
        #expect(LoRA.matches("transformer_blocks.3.attn.to_out.0", targets: ["to_out.0"]))
        #expect(LoRA.matches("proj_in", targets: ["proj_in"]))
        #expect(!LoRA.matches("transformer_blocks.3.attn.add_q_proj", targets: ["q_proj"]))
        #expect(!LoRA.matches("blocks.0.proj_x", targets: ["proj"]))
    }

    @Test("a freshly injected LoRA leaves outputs bit-identical and freezes the base")
    func identityAtInit() throws {
        let pipeline = ToyPipeline(seed: 2)
        let before = try output(pipeline)
        let layers = try LoRA.inject(into: pipeline.denoiser, targets: ["proj_in", "proj"], rank: 4)
        #expect(layers.map(\.path) == ["proj_in", "blocks.0.proj", "blocks.1.proj"])
        #expect(try output(pipeline).scalars == before.scalars)
        #expect(Set(pipeline.denoiser.trainableParameters().map(\.name)) == Set(layers.flatMap {
            ["\($0.path).lora_A.default.weight", "\($0.path).lora_B.default.weight"]
        }))
        let a = pipeline.model.projIn.adapters[0].down.value
        #expect(a.shape == [4, pipeline.model.projIn.inFeatures])
        #expect(a.scalars.allSatisfy { abs($0) <= 1 / Float(pipeline.model.projIn.inFeatures).squareRoot() })
        #expect(throws: LoRAError.self) { try LoRA.inject(into: ToyPipeline().denoiser, targets: ["to_q"], rank: 4) }
    }

    @Test("save → load round-trips in both key formats; hot attach and fuse reproduce the trained model")
    func roundTrip() throws {
        let trained = ToyPipeline(seed: 2)
        try LoRA.inject(into: trained.denoiser, targets: ["proj_in", "proj"], rank: 3, alpha: 6)
        var r = TestRandom(8)
        for layer in trained.denoiser.linearLayers() {
            for adapter in layer.adapters { adapter.up.assign(r.tensor(adapter.up.shape, -0.1, 0.1)) }
        }
        let expected = try output(trained)
        for format in LoRAWeights.KeyFormat.allCases {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("lora-\(UUID().uuidString).safetensors")
            let state = LoRA.trainedWeights(of: trained.denoiser).stateDict(format: format)
            try SafetensorsWriter.write(state.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, to: url)
            let file = try SafetensorsFile(url: url)
            let infix = format == .diffSynth ? ".default" : ""
            #expect(file.names.contains("blocks.0.proj.lora_A\(infix).weight"))
            #expect(file.info("blocks.0.proj.lora_B\(infix).weight")?.shape == [32, 3])
            #expect(file.info("blocks.0.proj.alpha")?.shape == [])
            var tensors: [String: Tensor] = [:]
            for name in file.names { tensors[name] = try file.tensor(name) }
            let weights = try LoRAWeights(stateDict: tensors, file: url.lastPathComponent)
            #expect(weights.layers["proj_in"]?.scale == 2)
            let hot = ToyPipeline(seed: 2)
            try LoRA.attach(weights, to: hot.denoiser)
            #expect(try output(hot).scalars == expected.scalars)
            LoRA.fuse(hot.denoiser)
            #expect(hot.model.projIn.adapters.isEmpty)
            #expect(maxAbsDifference(try output(hot), expected) < 1e-5)
            let detached = ToyPipeline(seed: 2)
            try LoRA.attach(weights, to: detached.denoiser, scale: 0.5, name: "style")
            LoRA.detach(from: detached.denoiser, named: "style")
            #expect(try output(detached).scalars == (try output(ToyPipeline(seed: 2))).scalars)
        }
    }

    @Test("loading names the layer and file at fault")
    func loadErrors() throws {
        let weights = try LoRAWeights(stateDict: ["nope.lora_A.weight": Tensor.zeros([2, 4]), "nope.lora_B.weight": Tensor.zeros([4, 2])])
        #expect(throws: LoRAError.self) { try LoRA.attach(weights, to: ToyPipeline().denoiser) }
        do {
            _ = try LoRAWeights(stateDict: ["a.lora_A.weight": Tensor.zeros([2, 4])], file: "x.safetensors")
            Issue.record("expected incompletePair")
        } catch let error as LoRAError {
            #expect(error.description.contains("x.safetensors") && error.description.contains("'a'"))
        }
        #expect(throws: LoRAError.self) { try LoRAWeights(stateDict: ["a.weight": Tensor.zeros([2])]) }
        let prefixed = try LoRAWeights(stateDict: ["diffusion_model.blocks.0.proj.lora_down.weight": Tensor.zeros([2, 32]),
                                                   "diffusion_model.blocks.0.proj.lora_up.weight": Tensor.zeros([32, 2])])
        #expect(prefixed.layers.keys.sorted() == ["blocks.0.proj"])
    }
}

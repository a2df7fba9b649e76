import Testing
@testable import DiffSynth

/// A small model shaped like a diffusers block, to check key paths and loading.
final class TinyBlock: Module {
    let norm: LayerNorm
    let toOut: [Linear]
    let conv: Conv2d
    let extra: RMSNorm?
    init(_ scope: ParameterScope) {
        norm = LayerNorm(scope["norm"], dimension: 4)
        toOut = [Linear(scope["attn.to_out"][0], inFeatures: 4, outFeatures: 4)]
        conv = Conv2d(scope["conv"], inChannels: 2, outChannels: 3, kernelSize: (3, 3), padding: (1, 1))
        extra = nil
    }
}

final class TinyModel: Module {
    let embed: Embedding
    let blocks: [TinyBlock]
    let projOut: Linear
    init(_ scope: ParameterScope = ParameterScope(.random(seed: 0))) {
        embed = Embedding(scope["embed"], count: 10, dimension: 4)
        blocks = (0..<2).map { TinyBlock(scope["transformer_blocks"][$0]) }
        projOut = Linear(scope["proj_out"], inFeatures: 4, outFeatures: 2, bias: false)
    }
}

@Suite("Modules and weight loading")
struct ModuleTests {
    @Test("parameter keys follow the reference module paths")
    func keys() {
        let keys = TinyModel().parameters().map(\.name)
        #expect(keys == [
            "embed.weight",
            "transformer_blocks.0.norm.weight", "transformer_blocks.0.norm.bias",
            "transformer_blocks.0.attn.to_out.0.weight", "transformer_blocks.0.attn.to_out.0.bias",
            "transformer_blocks.0.conv.weight", "transformer_blocks.0.conv.bias",
            "transformer_blocks.1.norm.weight", "transformer_blocks.1.norm.bias",
            "transformer_blocks.1.attn.to_out.0.weight", "transformer_blocks.1.attn.to_out.0.bias",
            "transformer_blocks.1.conv.weight", "transformer_blocks.1.conv.bias",
            "proj_out.weight",
        ])
        #expect(TinyModel().parameterCount == 40 + 2 * (4 + 4 + 16 + 4 + 54 + 3) + 8)
    }

    @Test("random initialisation is PyTorch's: uniform within 1/sqrt(fan_in), norms at 1 and 0, seeded")
    func initialisation() {
        let a = TinyModel(), b = TinyModel()
        #expect(a.projOut.weight.value.scalars == b.projOut.weight.value.scalars)
        #expect(a.projOut.weight.value.scalars.allSatisfy { abs($0) <= 0.5 })
        #expect(a.blocks[0].conv.weight.value.scalars.allSatisfy { abs($0) <= 1 / Float(18).squareRoot() })
        #expect(a.blocks[0].norm.weight!.value.scalars == [1, 1, 1, 1])
        #expect(a.blocks[0].norm.bias!.value.scalars == [0, 0, 0, 0])
        let c = TinyModel(ParameterScope(.random(seed: 1)))
        #expect(a.projOut.weight.value.scalars != c.projOut.weight.value.scalars)
    }

    @Test("a state dict round-trips into another model")
    func roundTrip() throws {
        let source = TinyModel(), target = TinyModel(ParameterScope(.uninitialized))
        let report = try target.load(stateDict: source.stateDict())
        #expect(report.isExact && report.loaded.count == 14)
        for (key, value) in source.stateDict() { #expect(target.stateDict()[key]!.scalars == value.scalars) }
    }

    @Test("strict loading names missing, unexpected and mis-shaped keys and assigns nothing")
    func strictErrors() {
        let model = TinyModel()
        let before = model.projOut.weight.value.scalars
        var state = model.stateDict()
        state["proj_out.weight"] = Tensor.zeros([2, 4])
        state.removeValue(forKey: "embed.weight")
        state["lm_head.weight"] = Tensor.zeros([3])
        do {
            try model.load(stateDict: state)
            Issue.record("expected an error")
        } catch let error as WeightLoadError {
            let message = error.description
            #expect(message.contains("'embed.weight' is missing"))
            #expect(message.contains("unexpected tensor 'lm_head.weight'"))
            #expect(model.projOut.weight.value.scalars == before)
        } catch { Issue.record("unexpected error \(error)") }
        state["transformer_blocks.0.conv.bias"] = Tensor.zeros([4])
        #expect(throws: WeightLoadError.self) { try model.load(stateDict: state, strict: false) }
    }

    @Test("non-strict loading reports what was left out; a key filter skips tensors unread")
    func lenient() throws {
        let model = TinyModel()
        var state = model.stateDict()
        state.removeValue(forKey: "embed.weight")
        state["visual.patch.weight"] = Tensor.zeros([1])
        let report = try model.load(from: InMemoryWeights(state), strict: false) { $0.hasPrefix("visual.") ? nil : $0 }
        #expect(report.missing == ["embed.weight"])
        #expect(report.unexpected.isEmpty)
    }

    @Test("freezing removes parameters from the graph and from the trainable set")
    func freezing() {
        let model = TinyModel()
        model.freeze()
        #expect(model.trainableParameters().isEmpty)
        model.projOut.weight.isTrainable = true
        let y = model.projOut(Tensor.ones([1, 4]))
        y.sum().backward()
        #expect(model.projOut.weight.grad!.scalars == [1, 1, 1, 1, 1, 1, 1, 1])
        #expect(model.embed.weight.grad == nil)
    }
}

import Testing
@testable import DiffSynth

/// Optimisers against `torch.optim` traces (`Tools/reference/make_op_fixtures.py`).
@Suite("Optimisers match torch.optim")
struct OptimizerTests {
    struct Trace: Decodable {
        let lr: Float
        let betas: [Float]?
        let eps: Float?, weight_decay: Float, momentum: Float?, dampening: Float?, nesterov: Bool?
        let initial: [Float]
        let grads: [[Float]]
        let after: [[Float]]
    }
    struct File: Decodable { let traces: [String: Trace] }
    static let traces = try! Fixtures.decode(File.self, "ops/optim.json").traces

    func run(_ trace: Trace, _ make: (Parameter) -> any Optimizer) -> Float {
        let parameter = Parameter(name: "p", value: Tensor(shape: [4, 5], scalars: trace.initial))
        let optimizer = make(parameter)
        var worst: Float = 0
        for (grad, expected) in zip(trace.grads, trace.after) {
            parameter.zeroGrad()
            (parameter.value * Tensor(shape: [4, 5], scalars: grad)).sum().backward()
            optimizer.step()
            for (a, b) in zip(parameter.value.scalars, expected) { worst = max(worst, abs(a - b) / max(abs(b), 1e-3)) }
        }
        return worst
    }

    @Test("AdamW over 10 steps agrees to 1e-6 relative", arguments: ["adamw", "adamw_defaults"])
    func adamW(_ name: String) throws {
        let t = try #require(Self.traces[name])
        let error = run(t) { AdamW(parameters: [$0], learningRate: t.lr, betas: (t.betas![0], t.betas![1]), eps: t.eps!, weightDecay: t.weight_decay) }
        #expect(error < 1e-6, "relative error \(error)")
    }

    @Test("SGD with momentum, dampening, weight decay and Nesterov agrees to 1e-6 relative", arguments: ["sgd_momentum", "sgd_nesterov"])
    func sgd(_ name: String) throws {
        let t = try #require(Self.traces[name])
        let error = run(t) {
            SGD(parameters: [$0], learningRate: t.lr, momentum: t.momentum!, dampening: t.dampening!, weightDecay: t.weight_decay, nesterov: t.nesterov!)
        }
        #expect(error < 1e-6, "relative error \(error)")
    }

    @Test("AdamW state round-trips through its state dict and continues identically")
    func adamWResume() throws {
        let t = try #require(Self.traces["adamw"])
        let make = { (p: Parameter) in AdamW(parameters: [p], learningRate: t.lr, weightDecay: t.weight_decay) }
        let a = Parameter(name: "p", value: Tensor(shape: [4, 5], scalars: t.initial))
        let first = make(a)
        func step(_ optimizer: AdamW, _ p: Parameter, _ g: [Float]) {
            p.zeroGrad()
            (p.value * Tensor(shape: [4, 5], scalars: g)).sum().backward()
            optimizer.step()
        }
        for g in t.grads.prefix(5) { step(first, a, g) }
        let b = Parameter(name: "p", value: a.value.detached())
        let second = make(b)
        try second.load(stateDict: first.stateDict())
        for g in t.grads.dropFirst(5) { step(first, a, g); step(second, b, g) }
        #expect(a.value.scalars == b.value.scalars)
    }
}

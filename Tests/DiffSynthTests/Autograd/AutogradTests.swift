import Foundation
import Testing
@testable import DiffSynth

@Suite("Autograd tape")
struct AutogradTests {
    @Test("nothing is recorded without an input that requires a gradient, or inside withNoGrad")
    func recordingRules() {
        var r = TestRandom(1)
        let a = r.tensor([3, 4]), w = r.tensor([4, 4]).requiringGrad()
        #expect(!(a.exp() * a).requiresGrad)
        #expect(a.matmul(w).requiresGrad)
        #expect(!withNoGrad { a.matmul(w) }.requiresGrad)
        #expect(withNoGrad { withGrad { a.matmul(w) } }.requiresGrad)
    }

    @Test("analytic gradient of x² + 5x + 4 is 2x + 5")
    func analytic() {
        let x = Tensor([1, -2, 3.5]).requiringGrad()
        (x * x + x * 5 + 4).sum().backward()
        #expect(x.grad!.scalars == [7, 1, 12])
    }

    @Test("gradients accumulate over backward passes until cleared")
    func accumulation() {
        let x = Tensor([1, 2]).requiringGrad()
        (x * 3).sum().backward()
        (x * x).sum().backward()
        #expect(x.grad!.scalars == [5, 7])
        x.zeroGrad()
        #expect(x.grad == nil)
        (x * 2).sum().backward()
        #expect(x.grad!.scalars == [2, 2])
    }

    @Test("fan-out sums the gradients of every use")
    func fanOut() {
        let x = Tensor([2]).requiringGrad()
        let y = x.exp()
        (y * y + y).sum().backward()
        let e = Float(exp(2.0))
        #expect(abs(x.grad!.item() - (2 * e * e + e)) < 1e-4)
    }

    @Test("checkpointed blocks give the same gradients as plain ones, for inputs and captured parameters")
    func checkpointMatchesPlain() {
        var r = TestRandom(2)
        let x0 = r.tensor([4, 6])
        let w1 = Parameter(name: "w1", value: r.tensor([6, 6])), w2 = Parameter(name: "w2", value: r.tensor([6, 6]))
        let frozen = Parameter(name: "frozen", value: r.tensor([6, 6]), isTrainable: false)
        func block(_ h: Tensor) -> Tensor { h.matmul(w1.value).gelu().matmul(frozen.value).matmul(w2.value).layerNorm() }
        func run(checkpointed: Bool) -> (Tensor, Tensor, Tensor) {
            w1.zeroGrad(); w2.zeroGrad()
            let x = x0.requiringGrad()
            var h = x
            for _ in 0..<3 { h = checkpointed ? checkpoint(h, block) : block(h) }
            (h * h).sum().backward()
            return (x.grad!, w1.grad!, w2.grad!)
        }
        let plain = run(checkpointed: false), checked = run(checkpointed: true)
        #expect(plain.0.scalars == checked.0.scalars)
        #expect(plain.1.scalars == checked.1.scalars)
        #expect(plain.2.scalars == checked.2.scalars)
        #expect(frozen.grad == nil)
    }

    @Test("a checkpoint whose input needs no gradient still trains the parameters inside")
    func checkpointParametersOnly() {
        let w = Parameter(name: "w", value: Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))
        let x = Tensor(shape: [1, 2], scalars: [1, 1])
        let y = checkpoint(x) { $0.matmul(w.value) }
        #expect(y.requiresGrad)
        y.sum().backward()
        #expect(w.grad!.scalars == [1, 1, 1, 1])
    }

    @Test("a long chain (10 000 ops) runs backward without deep recursion")
    func longChain() {
        let x = Tensor([1]).requiringGrad()
        var y = x
        for _ in 0..<10_000 { y = y * 1.0001 }
        y.sum().backward()
        #expect(abs(x.grad!.item() - Float(pow(1.0001, 10_000.0))) < 1e-2)
    }

    @Test("attention gives the same values and gradients however finely it is chunked")
    func attentionChunking() {
        var r = TestRandom(3)
        let q = r.tensor([1, 2, 9, 4]), k = r.tensor([1, 2, 7, 4]), v = r.tensor([1, 2, 7, 5])
        let mask = Tensor.attentionMask(keep: Tensor(shape: [1, 1, 9, 7], scalars: (0..<63).map { $0 % 7 == 3 ? 0 : 1 }))
        func run(_ budget: Int) -> [Tensor] {
            let leaves = [q, k, v].map { $0.requiringGrad() }
            let out = Tensor.scaledDotProductAttention(query: leaves[0], key: leaves[1], value: leaves[2], mask: mask, scale: nil, scoreBudget: budget)
            (out * out).sum().backward()
            return [out.detached()] + leaves.map { $0.grad! }
        }
        let whole = run(1 << 18), rowByRow = run(1), inPairs = run(14)
        for (a, b) in zip(whole, rowByRow) { #expect(maxAbsDifference(a, b) < 1e-6) }
        for (a, b) in zip(whole, inPairs) { #expect(maxAbsDifference(a, b) < 1e-6) }
    }
}

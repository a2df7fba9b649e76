import Testing
@testable import DiffSynth

/// Every differentiable op's gradient against central finite differences.
@Suite("Gradients match finite differences")
struct GradientTests {
    struct Case: Sendable {
        let inputs: @Sendable () -> [Tensor]
        let f: @Sendable ([Tensor]) -> Tensor
        var epsilon: Float = 1e-2
        var tolerance: Float = 5e-3
    }

    /// Values in ±[0.2, 1]: away from the kinks of abs/relu/clamp at 0.
    static func awayFromZero(_ shape: [Int], seed: UInt64) -> Tensor {
        var r = TestRandom(seed)
        return Tensor(shape: shape, scalars: (0..<shape.elementCount).map { _ in
            let m = r.uniform(0.2, 1)
            return r.uniform() < 0 ? -m : m
        })
    }

    static func random(_ shape: [Int], seed: UInt64, _ low: Float = -1, _ high: Float = 1) -> Tensor {
        var r = TestRandom(seed)
        return r.tensor(shape, low, high)
    }

    static let cases: [String: Case] = [
        "add broadcast": Case(inputs: { [random([2, 3, 4], seed: 1), random([3, 1], seed: 2)] }, f: { $0[0] + $0[1] }),
        "sub broadcast": Case(inputs: { [random([4], seed: 1), random([2, 3, 4], seed: 2)] }, f: { $0[0] - $0[1] }),
        "mul broadcast": Case(inputs: { [random([2, 3, 4], seed: 1), random([1, 3, 1], seed: 2)] }, f: { $0[0] * $0[1] }),
        "div broadcast": Case(inputs: { [random([2, 3], seed: 1), random([3], seed: 2, 0.5, 2)] }, f: { $0[0] / $0[1] }),
        "scalar ops": Case(inputs: { [random([5], seed: 3)] }, f: { (($0[0] * 3) + 2) / 4 - 1 }),
        "neg": Case(inputs: { [random([5], seed: 3)] }, f: { -$0[0] }),
        "pow scalar": Case(inputs: { [random([6], seed: 4, 0.5, 2)] }, f: { $0[0].pow(2.5) }),
        "pow square": Case(inputs: { [random([6], seed: 4)] }, f: { $0[0].pow(2) }),
        "pow tensor": Case(inputs: { [random([2, 3], seed: 4, 0.5, 2), random([3], seed: 5)] }, f: { $0[0].pow($0[1]) }),
        "exp": Case(inputs: { [random([6], seed: 5)] }, f: { $0[0].exp() }),
        "log": Case(inputs: { [random([6], seed: 6, 0.5, 3)] }, f: { $0[0].log() }),
        "sqrt": Case(inputs: { [random([6], seed: 7, 0.5, 3)] }, f: { $0[0].sqrt() }),
        "rsqrt": Case(inputs: { [random([6], seed: 8, 0.5, 3)] }, f: { $0[0].rsqrt() }),
        "abs": Case(inputs: { [awayFromZero([8], seed: 9)] }, f: { $0[0].abs() }),
        "clamp": Case(inputs: { [awayFromZero([8], seed: 10)] }, f: { $0[0].clamp(min: -0.1, max: 0.1) + $0[0].clamp(min: 0.05) }),
        "maximum": Case(inputs: { [random([2, 3], seed: 11), random([3], seed: 12)] }, f: { $0[0].maximum($0[1]) }, epsilon: 1e-3),
        "where": Case(inputs: { [random([2, 3], seed: 11), random([3], seed: 12)] },
                      f: { $0[0].where(Tensor(shape: [2, 1], scalars: [1, 0]), else: $0[1]) }),
        "sigmoid": Case(inputs: { [random([6], seed: 13, -3, 3)] }, f: { $0[0].sigmoid() }),
        "tanh": Case(inputs: { [random([6], seed: 14, -2, 2)] }, f: { $0[0].tanh() }),
        "relu": Case(inputs: { [awayFromZero([8], seed: 15)] }, f: { $0[0].relu() }),
        "silu": Case(inputs: { [random([6], seed: 16, -3, 3)] }, f: { $0[0].silu() }),
        "gelu erf": Case(inputs: { [random([6], seed: 17, -3, 3)] }, f: { $0[0].gelu() }),
        "gelu tanh": Case(inputs: { [random([6], seed: 18, -3, 3)] }, f: { $0[0].gelu(approximate: .tanh) }),
        "quick gelu": Case(inputs: { [random([6], seed: 19, -3, 3)] }, f: { $0[0].quickGelu() }),
        "sum axes": Case(inputs: { [random([2, 3, 4], seed: 20)] }, f: { $0[0].sum(axes: [0, 2]) }),
        "sum keepdims": Case(inputs: { [random([2, 3, 4], seed: 20)] }, f: { $0[0].sum(axes: [1], keepDims: true) }),
        "mean": Case(inputs: { [random([2, 3, 4], seed: 21)] }, f: { $0[0].mean(axes: [-1]) }),
        "variance": Case(inputs: { [random([3, 5], seed: 22)] }, f: { $0[0].variance(axes: [1]).sum() + $0[0].variance(axes: [0], unbiased: false).sum() }),
        "max": Case(inputs: { [random([3, 5], seed: 23)] }, f: { $0[0].max(axis: 1) }, epsilon: 1e-3),
        "reshape permute": Case(inputs: { [random([2, 3, 4], seed: 24)] }, f: { $0[0].reshaped([6, 4]).transposed().reshaped([2, 2, 6]).permuted([2, 0, 1]) }),
        "expand": Case(inputs: { [random([3, 1], seed: 25)] }, f: { $0[0].expand(to: [2, 3, 4]) }),
        "slice step": Case(inputs: { [random([4, 7], seed: 26)] }, f: { $0[0].slice(axis: 1, 1..<7, step: 2) }),
        "concat split": Case(inputs: { [random([2, 3], seed: 27), random([2, 2], seed: 28)] }, f: {
            let joined = Tensor.concat([$0[0], $0[1]], axis: 1)
            let parts = joined.split(sizes: [1, 4], axis: 1)
            return parts[1] * parts[0]
        }),
        "chunk": Case(inputs: { [random([2, 6], seed: 29)] }, f: { let c = $0[0].chunked(3, axis: 1); return c[0] * c[2] - c[1] }),
        "stack": Case(inputs: { [random([2, 3], seed: 27), random([2, 3], seed: 28)] }, f: { Tensor.stack([$0[0], $0[1]], axis: 1) }),
        "pad and crop": Case(inputs: { [random([2, 3, 4], seed: 30)] }, f: { $0[0].padded([(1, 2), (-1, 1)], value: 0.5) }),
        "matmul": Case(inputs: { [random([2, 3, 4], seed: 31), random([4, 5], seed: 32)] }, f: { $0[0].matmul($0[1]) }),
        "matmul batch broadcast": Case(inputs: { [random([3, 4], seed: 31), random([2, 4, 5], seed: 32)] }, f: { $0[0].matmul($0[1]) }),
        "matmul transposed A": Case(inputs: { [random([2, 4, 3], seed: 33), random([2, 4, 5], seed: 34)] }, f: { $0[0].matmul($0[1], transposeA: true) }),
        "matmul transposed B": Case(inputs: { [random([2, 3, 4], seed: 35), random([5, 4], seed: 36)] }, f: { $0[0].matmul($0[1], transposeB: true) }),
        "matmul transposed both": Case(inputs: { [random([2, 4, 3], seed: 37), random([2, 5, 4], seed: 38)] },
                                       f: { $0[0].matmul($0[1], transposeA: true, transposeB: true) }),
        "linear": Case(inputs: { [random([2, 3, 4], seed: 39), random([5, 4], seed: 40), random([5], seed: 41)] },
                       f: { $0[0].linear(weight: $0[1], bias: $0[2]) }),
        "conv2d padded": Case(inputs: { [random([2, 3, 5, 6], seed: 42), random([4, 3, 3, 3], seed: 43), random([4], seed: 44)] },
                              f: { $0[0].conv2d(weight: $0[1], bias: $0[2], padding: (1, 1)) }),
        "conv2d stride dilation": Case(inputs: { [random([1, 2, 7, 8], seed: 45), random([3, 2, 3, 2], seed: 46)] },
                                       f: { $0[0].conv2d(weight: $0[1], stride: (2, 3), padding: (2, 1), dilation: (2, 1)) }),
        // Few pixels per channel: the im2col path (larger images take the shifted-GEMM path).
        "conv2d im2col": Case(inputs: { [random([1, 8, 3, 3], seed: 90), random([2, 8, 3, 3], seed: 91)] },
                              f: { $0[0].conv2d(weight: $0[1], padding: (1, 1)) }),
        "conv2d groups": Case(inputs: { [random([2, 4, 5, 5], seed: 47), random([6, 2, 3, 3], seed: 48)] },
                              f: { $0[0].conv2d(weight: $0[1], padding: (1, 1), groups: 2) }),
        "conv2d pointwise": Case(inputs: { [random([2, 3, 4, 4], seed: 49), random([5, 3, 1, 1], seed: 50), random([5], seed: 51)] },
                                 f: { $0[0].conv2d(weight: $0[1], bias: $0[2]) }),
        "upsample nearest": Case(inputs: { [random([1, 2, 3, 4], seed: 52)] }, f: { $0[0].upsampleNearest(factor: 2) }),
        "gather rows": Case(inputs: { [random([5, 3], seed: 53)] }, f: { $0[0].gatherRows([4, 0, 4, 2], shape: [2, 2]) }),
        "softmax": Case(inputs: { [random([3, 5], seed: 54, -2, 2)] }, f: { $0[0].softmax() }),
        "softmax axis 0": Case(inputs: { [random([3, 5], seed: 55, -2, 2)] }, f: { $0[0].softmax(axis: 0) }),
        "log softmax": Case(inputs: { [random([3, 5], seed: 56, -2, 2)] }, f: { $0[0].logSoftmax() }),
        "layer norm affine": Case(inputs: { [random([3, 6], seed: 57), random([6], seed: 58), random([6], seed: 59)] },
                                  f: { $0[0].layerNorm(weight: $0[1], bias: $0[2]) }),
        "layer norm plain": Case(inputs: { [random([2, 2, 5], seed: 60)] }, f: { $0[0].layerNorm(eps: 1e-6) }),
        "group norm": Case(inputs: { [random([2, 4, 3, 2], seed: 61), random([4], seed: 62), random([4], seed: 63)] },
                           f: { $0[0].groupNorm(groups: 2, weight: $0[1], bias: $0[2]) }),
        "rms norm": Case(inputs: { [random([3, 6], seed: 64), random([6], seed: 65)] }, f: { $0[0].rmsNorm(weight: $0[1]) }),
        "attention": Case(inputs: { [random([2, 2, 5, 4], seed: 66), random([2, 2, 6, 4], seed: 67), random([2, 2, 6, 3], seed: 68)] },
                          f: { Tensor.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2]) }),
        "attention masked grouped": Case(
            inputs: { [random([1, 4, 3, 4], seed: 69), random([1, 2, 5, 4], seed: 70), random([1, 2, 5, 4], seed: 71)] },
            f: {
                let keep = Tensor(shape: [1, 1, 1, 5], scalars: [1, 1, 0, 1, 0])
                return Tensor.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], mask: Tensor.attentionMask(keep: keep), scale: 0.7)
            }),
        "rotary interleaved": Case(inputs: { [random([2, 3, 2, 4], seed: 72)] },
                                   f: { $0[0].applyingRotary(cos: random([3, 1, 2], seed: 73), sin: random([3, 1, 2], seed: 74), style: .interleaved) }),
        "rotary halves": Case(inputs: { [random([2, 2, 3, 6], seed: 75)] },
                              f: { $0[0].applyingRotary(cos: random([3, 3], seed: 76), sin: random([3, 3], seed: 77), style: .halves) }),
        "mse loss": Case(inputs: { [random([2, 3], seed: 78), random([2, 3], seed: 79)] }, f: { $0[0].mseLoss($0[1]) }),
        "checkpoint": Case(inputs: { [random([2, 3], seed: 80), random([3, 3], seed: 81)] }, f: { inputs in
            checkpoint([inputs[0], inputs[1]]) { [($0[0].matmul($0[1])).tanh().matmul($0[1])] }[0]
        }),
    ]

    @Test("gradient of", arguments: cases.keys.sorted())
    func gradient(_ name: String) {
        let c = Self.cases[name]!
        let error = GradientCheck.maximumError(c.inputs(), epsilon: c.epsilon, c.f)
        #expect(error < c.tolerance, "\(name): max gradient error \(error)")
    }
}

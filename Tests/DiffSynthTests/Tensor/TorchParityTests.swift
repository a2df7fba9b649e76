import Foundation
import Testing
@testable import DiffSynth

/// Forward values and gradients of the ops against PyTorch (`Tools/reference/make_op_fixtures.py`).
@Suite("Ops match PyTorch")
struct TorchParityTests {
    struct Array32: Decodable { let shape: [Int]; let values: [Float] }
    struct Params: Decodable {
        let stride: [Int]?, padding: [Int]?, dilation: [Int]?, groups: Int?, eps: Float?, ids: [Int]?, mask_keep: [Float]?
    }
    struct Case: Decodable {
        let name: String
        let params: Params
        let inputs: [Array32]
        let output: Array32
        let projection: [Float]
        let grads: [[Float]?]
    }
    struct File: Decodable { let cases: [Case] }

    static let file = try! Fixtures.decode(File.self, "ops/ops.json")

    /// The Swift version of each reference case.
    static func apply(_ c: Case, _ x: [Tensor]) -> Tensor {
        let p = c.params
        switch c.name {
        case "linear": return x[0].linear(weight: x[1], bias: x[2])
        case "matmul_batched": return x[0].matmul(x[1])
        case "conv2d", "conv2d_3x3":
            return x[0].conv2d(weight: x[1], bias: x[2], stride: (p.stride![0], p.stride![1]), padding: (p.padding![0], p.padding![1]),
                               dilation: (p.dilation![0], p.dilation![1]), groups: p.groups!)
        case "group_norm": return x[0].groupNorm(groups: p.groups!, weight: x[1], bias: x[2], eps: p.eps!)
        case "layer_norm": return x[0].layerNorm(weight: x[1], bias: x[2], eps: p.eps!)
        case "layer_norm_plain": return x[0].layerNorm(eps: p.eps!)
        case "rms_norm": return x[0].rmsNorm(weight: x[1], eps: p.eps!)
        case "softmax": return x[0].softmax()
        case "log_softmax": return x[0].logSoftmax()
        case "gelu": return x[0].gelu()
        case "gelu_tanh": return x[0].gelu(approximate: .tanh)
        case "silu": return x[0].silu()
        case "quick_gelu": return x[0].quickGelu()
        case "sigmoid_tanh": return x[0].sigmoid() + x[0].tanh()
        case "exp_log_sqrt_rsqrt": return x[0].exp() + x[0].log() + x[0].sqrt() + x[0].rsqrt()
        case "pow": return x[0].pow(1.7)
        case "variance_mean": return x[0].variance(axes: [0, 2], keepDims: true) + x[0].mean(axis: 1, keepDims: true)
        case "amax": return x[0].max(axes: [1])
        case "attention_gqa_masked":
            let keep = Tensor(shape: [1, 1, 1, p.mask_keep!.count], scalars: p.mask_keep!)
            return Tensor.scaledDotProductAttention(query: x[0], key: x[1], value: x[2], mask: Tensor.attentionMask(keep: keep))
        case "attention": return Tensor.scaledDotProductAttention(query: x[0], key: x[1], value: x[2])
        case "rope_interleaved": return x[0].applyingRotary(cos: x[1].detached(), sin: x[2].detached(), style: .interleaved)
        case "rope_halves": return x[0].applyingRotary(cos: x[1].detached(), sin: x[2].detached(), style: .halves)
        case "upsample_nearest": return x[0].upsampleNearest(factor: 2)
        case "pad": return x[0].padded([(1, 2), (0, 3)], value: 0.25)
        case "embedding": return x[0].gatherRows(p.ids!, shape: [2, 2])
        case "mse_loss": return x[0].mseLoss(x[1]).reshaped([1])
        case "where_clamp_abs":
            let condition = withNoGrad { Tensor(shape: x[0].shape, scalars: x[0].scalars.map { $0 > 0 ? 1 : 0 }) }
            return x[0].clamp(min: -0.5, max: 0.5).where(condition, else: x[1].abs())
        default: fatalError("no Swift version of reference case \(c.name)")
        }
    }

    @Test("forward and backward agree with torch", arguments: file.cases.map(\.name))
    func parity(_ name: String) throws {
        let c = try #require(Self.file.cases.first { $0.name == name })
        let leaves = c.inputs.map { Tensor(shape: $0.shape, scalars: $0.values).requiringGrad() }
        let out = Self.apply(c, leaves)
        #expect(out.shape == c.output.shape)
        let reference = Tensor(shape: c.output.shape, scalars: c.output.values)
        // Float32 with different summation orders: errors of a few ulps of the magnitudes involved.
        let tolerance: Float = 2e-5
        #expect(maxAbsDifference(out.detached(), reference) <= tolerance * max(1, reference.scalars.map(abs).max() ?? 1))
        (out * Tensor(shape: out.shape, scalars: c.projection)).sum().backward()
        for (index, expected) in c.grads.enumerated() {
            guard let expected else { continue }
            let grad = try #require(leaves[index].grad, "\(name): no gradient for input \(index)")
            let scale = max(1, expected.map(abs).max() ?? 1)
            let error = maxAbsDifference(grad, Tensor(shape: grad.shape, scalars: expected))
            #expect(error <= tolerance * scale, "\(name): gradient \(index) differs by \(error)")
        }
    }
}

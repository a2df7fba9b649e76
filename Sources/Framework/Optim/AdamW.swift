import Foundation

/// AdamW with PyTorch's semantics (`torch.optim.AdamW`, single-tensor path, no amsgrad):
/// decoupled weight decay `θ ← θ(1 − lr·λ)`, bias-corrected moments, `eps` added after the
/// square root. Defaults are PyTorch's (betas 0.9/0.999, eps 1e-8, weight decay 0.01).
/// Scalar factors are formed in Double and rounded once, as PyTorch's Python-float arithmetic does.
public final class AdamW: Optimizer {
    public let parameters: [Parameter]
    public var learningRate: Float
    public let beta1: Float, beta2: Float, eps: Float, weightDecay: Float
    private var steps: [Int]
    private var firstMoments: [TensorStorage?]
    private var secondMoments: [TensorStorage?]

    public init(parameters: [Parameter], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
                eps: Float = 1e-8, weightDecay: Float = 0.01) {
        self.parameters = parameters
        self.learningRate = learningRate
        (beta1, beta2) = betas
        self.eps = eps
        self.weightDecay = weightDecay
        steps = Array(repeating: 0, count: parameters.count)
        firstMoments = Array(repeating: nil, count: parameters.count)
        secondMoments = Array(repeating: nil, count: parameters.count)
    }

    public func step() {
        let lr = Double(learningRate)
        for (index, parameter) in parameters.enumerated() {
            guard let grad = parameter.grad else { continue }
            let n = grad.count
            let m = firstMoments[index] ?? TensorStorage(count: n, repeating: 0)
            let v = secondMoments[index] ?? TensorStorage(count: n, repeating: 0)
            firstMoments[index] = m
            secondMoments[index] = v
            steps[index] += 1
            let t = Double(steps[index])
            let decay = Float(1 - lr * Double(weightDecay))
            let stepSize = Float(lr / (1 - Foundation.pow(Double(beta1), t)))
            let correction2Sqrt = Float((1 - Foundation.pow(Double(beta2), t)).squareRoot())
            let (b2, e) = (beta2, eps)
            let oneMinusB1 = Float(1 - Double(beta1)), oneMinusB2 = Float(1 - Double(beta2))
            nonisolated(unsafe) let pm = m.pointer
            nonisolated(unsafe) let pv = v.pointer
            nonisolated(unsafe) let pg = UnsafePointer(grad.storage.pointer)
            parameter.update { values in
                nonisolated(unsafe) let theta = values.baseAddress!
                Parallel.forEachRange(n, costPerElement: 4) { range in
                    // Each array read and written once per element (locals, not re-reads through
                    // pointers the compiler must assume alias): the loop is memory-bound.
                    for i in range {
                        let g = pg[i]
                        // torch.lerp with weight < 0.5: start + weight · (end − start)
                        let m = pm[i] + oneMinusB1 * (g - pm[i])
                        let v = pv[i] * b2 + oneMinusB2 * (g * g)
                        pm[i] = m
                        pv[i] = v
                        let denominator = v.squareRoot() / correction2Sqrt + e
                        let decayed = theta[i] * decay
                        theta[i] = decayed + -stepSize * (m / denominator)
                    }
                }
            }
        }
    }

    public func stateDict() -> [String: Tensor] {
        var state: [String: Tensor] = [:]
        for (index, parameter) in parameters.enumerated() {
            guard let m = firstMoments[index], let v = secondMoments[index] else { continue }
            state["\(parameter.name).exp_avg"] = Tensor(shape: parameter.shape, storage: m)
            state["\(parameter.name).exp_avg_sq"] = Tensor(shape: parameter.shape, storage: v)
            state["\(parameter.name).step"] = Tensor(scalar: Float(steps[index]))
        }
        return state
    }

    public func load(stateDict state: [String: Tensor]) throws {
        for (index, parameter) in parameters.enumerated() {
            guard let m = state["\(parameter.name).exp_avg"], let v = state["\(parameter.name).exp_avg_sq"],
                  let step = state["\(parameter.name).step"] else { continue }
            for (key, t) in [("exp_avg", m), ("exp_avg_sq", v)] where t.shape != parameter.shape {
                throw OptimizerStateError.shapeMismatch(key: "\(parameter.name).\(key)", expected: parameter.shape, found: t.shape)
            }
            firstMoments[index] = Tensor(shape: m.shape, scalars: m.scalars).storage
            secondMoments[index] = Tensor(shape: v.shape, scalars: v.scalars).storage
            steps[index] = Int(step.item())
        }
    }
}

/// Stochastic gradient descent with PyTorch's semantics (`torch.optim.SGD`): L2 weight decay
/// added to the gradient, momentum with dampening (the first step stores the gradient itself),
/// optional Nesterov.
public final class SGD: Optimizer {
    public let parameters: [Parameter]
    public var learningRate: Float
    public let momentum: Float, dampening: Float, weightDecay: Float, nesterov: Bool
    private var buffers: [TensorStorage?]

    public init(parameters: [Parameter], learningRate: Float, momentum: Float = 0, dampening: Float = 0,
                weightDecay: Float = 0, nesterov: Bool = false) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum requires a momentum and zero dampening")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        buffers = Array(repeating: nil, count: parameters.count)
    }

    public func step() {
        let (lr, mu, damp, wd, nesterov) = (learningRate, momentum, dampening, weightDecay, self.nesterov)
        for (index, parameter) in parameters.enumerated() {
            guard let grad = parameter.grad else { continue }
            let n = grad.count
            let fresh = buffers[index] == nil
            let buffer = mu != 0 ? (buffers[index] ?? TensorStorage(uninitializedCount: n)) : nil
            buffers[index] = buffer
            nonisolated(unsafe) let pg = UnsafePointer(grad.storage.pointer)
            nonisolated(unsafe) let pb = buffer?.pointer
            parameter.update { values in
                nonisolated(unsafe) let theta = values.baseAddress!
                Parallel.forEachRange(n, costPerElement: 2) { range in
                    // PyTorch's `add(other, alpha:)` is a fused multiply-add on CPU; so is every update here.
                    for i in range {
                        var d = pg[i]
                        if wd != 0 { d = d.addingProduct(theta[i], wd) }
                        if let pb {
                            pb[i] = fresh ? d : (pb[i] * mu).addingProduct(d, 1 - damp)
                            d = nesterov ? d.addingProduct(pb[i], mu) : pb[i]
                        }
                        theta[i] = theta[i].addingProduct(d, -lr)
                    }
                }
            }
        }
    }

    public func stateDict() -> [String: Tensor] {
        var state: [String: Tensor] = [:]
        for (index, parameter) in parameters.enumerated() {
            if let b = buffers[index] { state["\(parameter.name).momentum_buffer"] = Tensor(shape: parameter.shape, storage: b) }
        }
        return state
    }

    public func load(stateDict state: [String: Tensor]) throws {
        for (index, parameter) in parameters.enumerated() {
            guard let b = state["\(parameter.name).momentum_buffer"] else { continue }
            guard b.shape == parameter.shape else {
                throw OptimizerStateError.shapeMismatch(key: "\(parameter.name).momentum_buffer", expected: parameter.shape, found: b.shape)
            }
            buffers[index] = Tensor(shape: b.shape, scalars: b.scalars).storage
        }
    }
}

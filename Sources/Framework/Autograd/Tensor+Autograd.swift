extension Tensor {
    /// `true` when this tensor is part of the autograd graph: a leaf that wants a gradient or a
    /// value computed from one.
    @inlinable public var requiresGrad: Bool { edge != nil }

    /// A new leaf sharing this tensor's elements that accumulates a gradient in ``grad``.
    public func requiringGrad() -> Tensor {
        Tensor(shape: shape, storage: storage, edge: GradEdge(node: .leaf(shape: shape), index: 0))
    }

    /// The same elements cut off from the graph (PyTorch's `detach()`).
    public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }

    /// The gradient accumulated by backward passes, for leaves; nil otherwise or before any backward.
    public var grad: Tensor? {
        guard let node = edge?.node, node.isLeaf else { return nil }
        return node.grad
    }

    /// Clears the accumulated gradient of a leaf.
    public func zeroGrad() { if let node = edge?.node, node.isLeaf { node.zeroGrad() } }

    /// Records `output` as computed from `inputs` when recording is on and some input requires a
    /// gradient; otherwise returns `output` unchanged at no cost beyond the check.
    ///
    /// `backward` receives the output gradient and which inputs need one, and returns one entry
    /// per input (nil where none is needed). Knowing which inputs need gradients lets an op skip
    /// work, e.g. a linear layer with a frozen weight never forms the weight gradient.
    public static func record(
        _ name: String, inputs: [Tensor], output: Tensor,
        backward: @escaping (_ gradient: Tensor, _ needs: [Bool]) -> [Tensor?]
    ) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: { $0.edge != nil }) else { return output }
        let needs = inputs.map { $0.edge != nil }
        let shape = output.shape
        let node = GradNode(name: name, inputs: inputs.map(\.edge), outputShapes: [shape]) { gradients in
            let gradient = gradients[0] ?? Tensor.zeros(shape)
            return backward(gradient, needs)
        }
        return Tensor(shape: output.shape, storage: output.storage, edge: GradEdge(node: node, index: 0))
    }

    /// Runs a backward pass from this scalar (or from `gradient`, which must have this tensor's
    /// shape), adding into the ``grad`` of every leaf it reaches.
    public func backward(_ gradient: Tensor? = nil) {
        if gradient == nil {
            precondition(count == 1, "backward() without a gradient needs a one-element tensor, shape is \(shape)")
        }
        DiffSynth.backward([(self, gradient ?? Tensor.ones(shape))])
    }
}

/// Runs one backward pass from several roots at once, each with its output gradient, adding into
/// the gradients of the leaves reached.
///
/// The graph is consumed: every node's saved tensors are released as soon as its gradient has
/// been propagated, so the memory of long graphs (a whole sampling loop) drains during backward.
public func backward(_ roots: [(tensor: Tensor, gradient: Tensor)]) {
    let order = topologicalOrder(roots.compactMap { $0.tensor.edge?.node })
    var pending: [ObjectIdentifier: [Tensor?]] = [:]
    func deposit(_ gradient: Tensor, at edge: GradEdge) {
        let id = ObjectIdentifier(edge.node)
        var slots = pending[id] ?? Array(repeating: nil, count: edge.node.outputShapes.count)
        slots[edge.index] = slots[edge.index].map { $0.adding(gradient) } ?? gradient
        pending[id] = slots
    }
    withNoGrad {
        for (tensor, gradient) in roots {
            guard let edge = tensor.edge else { continue }
            precondition(gradient.shape == tensor.shape,
                         "backward: gradient shape \(gradient.shape) differs from tensor shape \(tensor.shape)")
            deposit(gradient.detached(), at: edge)
        }
        for node in order.reversed() {
            guard let slots = pending.removeValue(forKey: ObjectIdentifier(node)) else { continue }
            if node.isLeaf {
                if let gradient = slots[0] { node.accumulate(gradient) }
                continue
            }
            guard let function = node.backwardFunction else {
                preconditionFailure("backward through '\(node.name)' a second time: the graph was released by an earlier backward pass")
            }
            node.backwardFunction = nil
            let inputGradients = function(slots)
            for (edge, gradient) in zip(node.inputs, inputGradients) {
                guard let edge, let gradient else { continue }
                deposit(gradient, at: edge)
            }
        }
    }
}

/// Nodes reachable from `roots`, each after all nodes it depends on (iterative, so graphs of
/// any depth are safe).
private func topologicalOrder(_ roots: [GradNode]) -> [GradNode] {
    var order: [GradNode] = []
    var visited = Set<ObjectIdentifier>()
    var stack: [(node: GradNode, next: Int)] = []
    for root in roots where visited.insert(ObjectIdentifier(root)).inserted {
        stack.append((root, 0))
        while let top = stack.last {
            if top.next < top.node.inputs.count {
                stack[stack.count - 1].next += 1
                if let child = top.node.inputs[top.next]?.node, visited.insert(ObjectIdentifier(child)).inserted {
                    stack.append((child, 0))
                }
            } else {
                order.append(top.node)
                stack.removeLast()
            }
        }
    }
    return order
}

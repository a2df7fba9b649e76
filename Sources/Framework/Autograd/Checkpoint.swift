/// Gradient checkpointing: runs `body` now, keeps only its inputs, and runs it again during the
/// backward pass to obtain the gradients.
///
/// Memory for a block's intermediate activations is held only while that block is being
/// computed, forward or backward — what makes back-propagating through a whole few-step sampling
/// loop of a large denoiser possible. Parameters used inside `body` need not be passed: their
/// gradients accumulate into their leaves during the recomputation, as they would without
/// checkpointing. `body` must be deterministic (it is evaluated twice).
public func checkpoint(_ inputs: [Tensor], _ body: @escaping ([Tensor]) -> [Tensor]) -> [Tensor] {
    guard GradMode.isEnabled else { return body(inputs) }
    let detachedInputs = inputs.map { $0.detached() }
    // Recording stays on for the forward evaluation so we learn whether any trainable
    // parameter inside was touched; the block's graph is dropped right after.
    let outputs = body(detachedInputs)
    let needs = inputs.map(\.requiresGrad)
    guard needs.contains(true) || outputs.contains(where: \.requiresGrad) else { return outputs }
    let node = GradNode(name: "checkpoint", inputs: inputs.map(\.edge), outputShapes: outputs.map(\.shape)) { gradients in
        let leaves = zip(detachedInputs, needs).map { input, need in need ? input.requiringGrad() : input }
        let recomputed = withGrad { body(leaves) }
        var roots: [(tensor: Tensor, gradient: Tensor)] = []
        for (output, gradient) in zip(recomputed, gradients) {
            if let gradient, output.requiresGrad { roots.append((output, gradient)) }
        }
        backward(roots)
        return zip(leaves, needs).map { leaf, need in need ? (leaf.grad ?? Tensor.zeros(leaf.shape)) : nil }
    }
    return outputs.enumerated().map { index, output in
        Tensor(shape: output.shape, storage: output.storage, edge: GradEdge(node: node, index: index))
    }
}

/// Single-input, single-output form of ``checkpoint(_:_:)``.
public func checkpoint(_ input: Tensor, _ body: @escaping (Tensor) -> Tensor) -> Tensor {
    checkpoint([input]) { [body($0[0])] }[0]
}

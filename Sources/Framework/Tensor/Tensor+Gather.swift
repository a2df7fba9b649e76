// Row gathering: embedding lookups and their scatter-add gradient.

extension Tensor {
    /// Rows `indices` of a `[V, D]` table, shaped `indicesShape + [D]` (default `[indices.count, D]`):
    /// PyTorch `F.embedding`.
    public func gatherRows(_ indices: [Int], shape indicesShape: [Int]? = nil) -> Tensor {
        precondition(rank == 2, "gatherRows needs a [V, D] table, got \(shape)")
        let (vocabulary, d) = (shape[0], shape[1])
        for (position, index) in indices.enumerated() {
            precondition(index >= 0 && index < vocabulary, "index \(index) at position \(position) is outside the table of \(vocabulary) rows")
        }
        let outShape = (indicesShape ?? [indices.count]) + [d]
        precondition(outShape.elementCount == indices.count * d, "indices shape \(indicesShape ?? []) does not hold \(indices.count) indices")
        let out = TensorStorage(uninitializedCount: indices.count * d)
        for (row, index) in indices.enumerated() {
            (out.pointer + row * d).update(from: storage.pointer + index * d, count: d)
        }
        let tableShape = shape
        return Tensor.record("gather_rows", inputs: [self], output: Tensor(shape: outShape, storage: out)) { g, _ in
            let table = Tensor.zeros(tableShape)
            for (row, index) in indices.enumerated() {
                let dst = table.storage.pointer + index * d, src = g.storage.pointer + row * d
                for j in 0..<d { dst[j] += src[j] }
            }
            return [table]
        }
    }

    /// Mean squared error `mean((self − target)²)`, PyTorch `F.mse_loss` with mean reduction.
    /// Gradients flow to both sides.
    public func mseLoss(_ target: Tensor) -> Tensor {
        precondition(shape == target.shape, "mseLoss: shapes \(shape) and \(target.shape) differ")
        let difference = Kernels.zip(detached(), target.detached()) { a, b, d, r in for i in r { d[i] = a[i] - b[i] } }
        let n = Float(Swift.max(count, 1))
        let total = Reduction.sum(Kernels.map(difference) { x, y, r in for i in r { y[i] = x[i] * x[i] } }, axes: Array(0..<rank))
        let out = Tensor(scalar: total.storage.pointer[0] / n)
        return Tensor.record("mse_loss", inputs: [self, target], output: out) { g, needs in
            let factor = 2 * g.item() / n
            let grad = Kernels.map(difference) { x, y, r in for i in r { y[i] = x[i] * factor } }
            return [needs[0] ? grad : nil, needs[1] ? grad.negated() : nil]
        }
    }
}

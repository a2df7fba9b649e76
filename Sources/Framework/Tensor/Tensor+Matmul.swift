// Matrix products through OpenBLAS sgemm. Transposes are folded into the BLAS call rather
// than materialised, in the forward and in every gradient.

extension Tensor {
    /// Batched matrix product `op(self) · op(other)` over the last two dimensions, broadcasting
    /// leading (batch) dimensions as `torch.matmul` does. `transposeA`/`transposeB` use the
    /// transpose of the last two dimensions of the respective operand without copying.
    public func matmul(_ other: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        precondition(rank >= 2 && other.rank >= 2, "matmul needs rank ≥ 2, got \(shape) and \(other.shape)")
        let m = transposeA ? shape[rank - 1] : shape[rank - 2]
        let k = transposeA ? shape[rank - 2] : shape[rank - 1]
        let kb = transposeB ? other.shape[other.rank - 1] : other.shape[other.rank - 2]
        let n = transposeB ? other.shape[other.rank - 2] : other.shape[other.rank - 1]
        precondition(k == kb, "matmul inner dimensions differ: \(shape)\(transposeA ? "ᵀ" : "") × \(other.shape)\(transposeB ? "ᵀ" : "")")
        let batchA = Array(shape.dropLast(2)), batchB = Array(other.shape.dropLast(2))
        let batch = Broadcasting.shape(batchA, batchB)
        let outShape = batch + [m, n]
        let out = TensorStorage(uninitializedCount: outShape.elementCount)
        let pa = UnsafePointer(storage.pointer), pb = UnsafePointer(other.storage.pointer)
        if batchB.elementCount == 1 && !transposeA {
            // Every batch of A meets the same B: one large GEMM with the batches stacked as rows.
            BLAS.gemm(transposeA: false, transposeB: transposeB, m: batch.elementCount * m, n: n, k: k, a: pa, b: pb, c: out.pointer)
        } else {
            let stridesA = Broadcasting.strides(of: batchA, broadcastTo: batch)
            let stridesB = Broadcasting.strides(of: batchB, broadcastTo: batch)
            let count = batch.elementCount
            var index = OuterIndex(shape: batch.isEmpty ? [1] : batch,
                                   strides: [batch.isEmpty ? [0] : stridesA, batch.isEmpty ? [0] : stridesB],
                                   startingAt: 0)
            for i in 0..<count {
                BLAS.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                          a: pa + index.offsets[0] * m * k, b: pb + index.offsets[1] * k * n, c: out.pointer + i * m * n)
                index.advance()
            }
        }
        let (a, b) = (self.detached(), other.detached())
        return Tensor.record("matmul", inputs: [self, other], output: Tensor(shape: outShape, storage: out)) { g, needs in
            var gradA: Tensor?, gradB: Tensor?
            switch (transposeA, transposeB) {
            case (false, false):
                if needs[0] { gradA = g.matmul(b, transposeB: true) }
                if needs[1] { gradB = a.matmul(g, transposeA: true) }
            case (false, true):
                if needs[0] { gradA = g.matmul(b) }
                if needs[1] { gradB = g.matmul(a, transposeA: true) }
            case (true, false):
                if needs[0] { gradA = b.matmul(g, transposeB: true) }
                if needs[1] { gradB = a.matmul(g) }
            case (true, true):
                if needs[0] { gradA = b.matmul(g, transposeA: true, transposeB: true) }
                if needs[1] { gradB = g.matmul(a, transposeA: true, transposeB: true) }
            }
            return [gradA?.sumToShape(a.shape), gradB?.sumToShape(b.shape)]
        }
    }

    /// `self · weightᵀ + bias` over the last dimension, PyTorch `F.linear`: weight `[out, in]`,
    /// bias `[out]`. One GEMM for all leading dimensions together.
    public func linear(weight: Tensor, bias: Tensor? = nil) -> Tensor {
        let (inFeatures, outFeatures, rows, outShape, out) = linearOutput(weightShape: weight.shape, bias: bias)
        BLAS.gemm(transposeA: false, transposeB: true, m: rows, n: outFeatures, k: inFeatures,
                  a: storage.pointer, b: weight.storage.pointer, beta: bias == nil ? 0 : 1, c: out.pointer)
        let x = detached(), w = weight.detached()
        let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
        return Tensor.record("linear", inputs: inputs, output: Tensor(shape: outShape, storage: out)) { g, needs in
            var grads: [Tensor?] = []
            if needs[0] {
                let dx = TensorStorage(uninitializedCount: rows * inFeatures)
                BLAS.gemm(transposeA: false, transposeB: false, m: rows, n: inFeatures, k: outFeatures,
                          a: g.storage.pointer, b: w.storage.pointer, c: dx.pointer)
                grads.append(Tensor(shape: x.shape, storage: dx))
            } else { grads.append(nil) }
            if needs[1] {
                let dw = TensorStorage(uninitializedCount: outFeatures * inFeatures)
                BLAS.gemm(transposeA: true, transposeB: false, m: outFeatures, n: inFeatures, k: rows,
                          a: g.storage.pointer, b: x.storage.pointer, c: dw.pointer)
                grads.append(Tensor(shape: w.shape, storage: dw))
            } else { grads.append(nil) }
            if needs.count == 3 {
                grads.append(needs[2] ? g.reshaped([rows, outFeatures]).sum(axes: [0]) : nil)
            }
            return grads
        }
    }

    /// The checks and the output every linear shares: `self [..., in]` against a weight of shape
    /// `[out, in]` and an optional bias `[out]`; the output storage holds the bias in every row
    /// (or is uninitialised without one), ready for a GEMM with beta 1 (beta 0).
    func linearOutput(weightShape: [Int], bias: Tensor?)
        -> (inFeatures: Int, outFeatures: Int, rows: Int, outShape: [Int], out: TensorStorage) {
        precondition(weightShape.count == 2 && rank >= 1 && shape[rank - 1] == weightShape[1],
                     "linear: input \(shape) does not fit weight \(weightShape)")
        let inFeatures = weightShape[1], outFeatures = weightShape[0]
        if let bias { precondition(bias.shape == [outFeatures], "linear: bias \(bias.shape) does not fit weight \(weightShape)") }
        let rows = count / Swift.max(inFeatures, 1)
        let out = TensorStorage(uninitializedCount: rows * outFeatures)
        if let bias {
            for r in 0..<rows { (out.pointer + r * outFeatures).update(from: bias.storage.pointer, count: outFeatures) }
        }
        return (inFeatures, outFeatures, rows, Array(shape.dropLast()) + [outFeatures], out)
    }
}

import Foundation

// Softmax and log-softmax over one axis, fused per row.

extension Tensor {
    /// Softmax along `axis` (the last by default).
    public func softmax(axis: Int = -1) -> Tensor {
        rowwise(axis: axis) { x in
            let out = Softmax.forward(x, log: false)
            return Tensor.record("softmax", inputs: [x], output: out) { g, _ in [Softmax.backward(g, out.detached(), log: false)] }
        }
    }

    /// Log-softmax along `axis` (the last by default).
    public func logSoftmax(axis: Int = -1) -> Tensor {
        rowwise(axis: axis) { x in
            let out = Softmax.forward(x, log: true)
            return Tensor.record("log_softmax", inputs: [x], output: out) { g, _ in [Softmax.backward(g, out.detached(), log: true)] }
        }
    }

    /// Applies a last-axis row operation along any axis by moving that axis last and back.
    func rowwise(axis: Int, _ body: (Tensor) -> Tensor) -> Tensor {
        let a = normalizedAxis(axis)
        if a == rank - 1 { return body(self) }
        return body(transposed(a, -1)).transposed(a, -1)
    }
}

enum Softmax {
    static func forward(_ x: Tensor, log: Bool) -> Tensor {
        let n = x.shape.last ?? 1
        let rows = x.count / Swift.max(n, 1)
        let out = TensorStorage(uninitializedCount: x.count)
        nonisolated(unsafe) let src = UnsafePointer(x.storage.pointer)
        nonisolated(unsafe) let dst = out.pointer
        Parallel.forEachRange(rows, costPerElement: 4 * n) { range in
            for r in range { row(src + r * n, dst + r * n, n, log: log) }
        }
        return Tensor(shape: x.shape, storage: out)
    }

    /// Softmax (or log-softmax) of one row. A row whose entries are all −∞ (fully masked) gives
    /// zeros rather than NaN.
    @inline(__always)
    static func row(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, log: Bool) {
        let m = RowMath.max(x, n)
        if m == -.infinity {
            y.update(repeating: log ? -.infinity : 0, count: n)
            return
        }
        for i in 0..<n { y[i] = FastMath.exp(x[i] - m) }
        let total = RowMath.sum(y, n)
        if log {
            let shift = m + Foundation.log(total)
            for i in 0..<n { y[i] = x[i] - shift }
        } else {
            let inverse = 1 / total
            for i in 0..<n { y[i] *= inverse }
        }
    }

    static func backward(_ g: Tensor, _ y: Tensor, log: Bool) -> Tensor {
        let n = y.shape.last ?? 1
        let rows = y.count / Swift.max(n, 1)
        let out = TensorStorage(uninitializedCount: y.count)
        nonisolated(unsafe) let pg = UnsafePointer(g.storage.pointer)
        nonisolated(unsafe) let py = UnsafePointer(y.storage.pointer)
        nonisolated(unsafe) let dst = out.pointer
        Parallel.forEachRange(rows, costPerElement: 3 * n) { range in
            for r in range {
                let gr = pg + r * n, yr = py + r * n, d = dst + r * n
                if log {
                    // d/dx log_softmax: g − softmax · Σg
                    let total = RowMath.sum(gr, n)
                    for i in 0..<n { d[i] = gr[i] - FastMath.exp(yr[i]) * total }
                } else {
                    // d/dx softmax: y (g − Σ g·y)
                    let dot = RowMath.dot(gr, yr, n)
                    for i in 0..<n { d[i] = yr[i] * (gr[i] - dot) }
                }
            }
        }
        return Tensor(shape: y.shape, storage: out)
    }
}

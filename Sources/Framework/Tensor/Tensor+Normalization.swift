import Foundation

// Layer, group and RMS normalisation, each one fused kernel forward and one backward. Statistics
// are computed in two passes over the row (mean, then centred squares) for accuracy.

extension Tensor {
    /// Layer normalisation over the last dimension (PyTorch `F.layer_norm` with
    /// `normalized_shape = [D]`), with optional per-feature `weight` and `bias` of shape `[D]`.
    public func layerNorm(weight: Tensor? = nil, bias: Tensor? = nil, eps: Float = 1e-5) -> Tensor {
        let d = shape.last ?? 1
        if let weight { precondition(weight.shape == [d], "layerNorm weight \(weight.shape) does not fit \(shape)") }
        if let bias { precondition(bias.shape == [d], "layerNorm bias \(bias.shape) does not fit \(shape)") }
        return Normalization.normalize(self, groups: count / Swift.max(d, 1), affineStride: 1, affineCount: d,
                                       weight: weight, bias: bias, eps: eps, centered: true, name: "layer_norm")
    }

    /// Group normalisation of `[N, C, *]` over `groups` groups of channels (PyTorch
    /// `F.group_norm`), with optional per-channel `weight` and `bias` of shape `[C]`.
    public func groupNorm(groups: Int, weight: Tensor? = nil, bias: Tensor? = nil, eps: Float = 1e-5) -> Tensor {
        precondition(rank >= 2 && shape[1] % groups == 0, "groupNorm: \(shape[1]) channels are not divisible into \(groups) groups")
        let c = shape[1]
        if let weight { precondition(weight.shape == [c], "groupNorm weight \(weight.shape) does not fit \(shape)") }
        if let bias { precondition(bias.shape == [c], "groupNorm bias \(bias.shape) does not fit \(shape)") }
        let spatial = shape[2...].reduce(1, *)
        return Normalization.normalize(self, groups: shape[0] * groups, affineStride: spatial, affineCount: c,
                                       weight: weight, bias: bias, eps: eps, centered: true, name: "group_norm")
    }

    /// RMS normalisation over the last dimension, `x / sqrt(mean(x²) + eps) · weight`
    /// (transformers' `Qwen2RMSNorm`, diffusers' `RMSNorm`).
    public func rmsNorm(weight: Tensor? = nil, eps: Float = 1e-6) -> Tensor {
        let d = shape.last ?? 1
        if let weight { precondition(weight.shape == [d], "rmsNorm weight \(weight.shape) does not fit \(shape)") }
        return Normalization.normalize(self, groups: count / Swift.max(d, 1), affineStride: 1, affineCount: d,
                                       weight: weight, bias: nil, eps: eps, centered: false, name: "rms_norm")
    }
}

/// The shared kernel: the tensor is `groups` contiguous rows; element `i` of a row uses affine
/// parameter `(i / affineStride) % affineCount` — per feature for layer/RMS norm (stride 1),
/// per channel for group norm (stride = spatial size).
enum Normalization {
    static func normalize(_ x: Tensor, groups: Int, affineStride: Int, affineCount: Int,
                          weight: Tensor?, bias: Tensor?, eps: Float, centered: Bool, name: String) -> Tensor {
        let n = x.count / Swift.max(groups, 1)
        let inputs = [x] + [weight, bias].compactMap { $0 }
        let recording = GradMode.isEnabled && inputs.contains(where: \.requiresGrad)
        let out = TensorStorage(uninitializedCount: x.count)
        // x̂ is kept for backward only when a graph is recorded; otherwise it is written straight
        // into the output and scaled there.
        let normalized = recording ? TensorStorage(uninitializedCount: x.count) : out
        let rstd = TensorStorage(uninitializedCount: groups)
        nonisolated(unsafe) let src = UnsafePointer(x.storage.pointer)
        nonisolated(unsafe) let dst = out.pointer
        nonisolated(unsafe) let hat = normalized.pointer
        nonisolated(unsafe) let inv = rstd.pointer
        nonisolated(unsafe) let w = weight.map { UnsafePointer($0.storage.pointer) }
        nonisolated(unsafe) let b = bias.map { UnsafePointer($0.storage.pointer) }
        Parallel.forEachRange(groups, costPerElement: 4 * n) { range in
            for r in range {
                let row = src + r * n, h = hat + r * n, y = dst + r * n
                let mean = centered ? RowMath.sum(row, n) / Float(n) : 0
                let sq = RowMath.sumOfSquares(row, n, shift: mean)
                let r0 = 1 / (sq / Float(n) + eps).squareRoot()
                inv[r] = r0
                // One pass from x to y; x̂ is also stored when recording (`h` is `y` otherwise). The
                // arithmetic is the same either way — ((x − mean)·rstd)·w + b — so recorded and
                // unrecorded runs agree bit for bit.
                Normalization.forEachAffineBlock(row: r, n: n, affineStride: affineStride, affineCount: affineCount) { start, count, a, step in
                    let x = row + start, hatBlock = h + start, yBlock = y + start
                    switch (w, b) {
                    case let (w?, b?):
                        for i in 0..<count { let v = (x[i] - mean) * r0; hatBlock[i] = v; yBlock[i] = v * w[a + i * step] + b[a + i * step] }
                    case let (w?, nil):
                        for i in 0..<count { let v = (x[i] - mean) * r0; hatBlock[i] = v; yBlock[i] = v * w[a + i * step] }
                    case let (nil, b?):
                        for i in 0..<count { let v = (x[i] - mean) * r0; hatBlock[i] = v; yBlock[i] = v + b[a + i * step] }
                    case (nil, nil):
                        for i in 0..<count { let v = (x[i] - mean) * r0; hatBlock[i] = v; yBlock[i] = v }
                    }
                }
            }
        }
        let output = Tensor(shape: x.shape, storage: out)
        guard recording else { return output }
        let xhat = Tensor(shape: x.shape, storage: normalized)
        let hasWeight = weight != nil, hasBias = bias != nil
        let wDetached = weight?.detached()
        return Tensor.record(name, inputs: inputs, output: output) { g, needs in
            var grads: [Tensor?] = [nil]
            if needs[0] {
                grads[0] = backwardInput(g, xhat: xhat, rstd: rstd, groups: groups, affineStride: affineStride,
                                         affineCount: affineCount, weight: wDetached, centered: centered)
            }
            var next = 1
            if hasWeight {
                grads.append(needs[next] ? affineGradient(Kernels.broadcast(g, xhat, Multiply.self), groups: groups, affineStride: affineStride, affineCount: affineCount) : nil)
                next += 1
            }
            if hasBias {
                grads.append(needs[next] ? affineGradient(g, groups: groups, affineStride: affineStride, affineCount: affineCount) : nil)
            }
            return grads
        }
    }

    /// dx = rstd · (ĝ − mean(ĝ) − x̂ · mean(ĝ x̂)) with ĝ = g · weight (no mean term for RMS norm).
    private static func backwardInput(_ g: Tensor, xhat: Tensor, rstd: TensorStorage, groups: Int, affineStride: Int,
                                      affineCount: Int, weight: Tensor?, centered: Bool) -> Tensor {
        let n = g.count / Swift.max(groups, 1)
        let out = TensorStorage(uninitializedCount: g.count)
        nonisolated(unsafe) let pg = UnsafePointer(g.storage.pointer)
        nonisolated(unsafe) let ph = UnsafePointer(xhat.storage.pointer)
        nonisolated(unsafe) let inv = UnsafePointer(rstd.pointer)
        nonisolated(unsafe) let dst = out.pointer
        nonisolated(unsafe) let w = weight.map { UnsafePointer($0.storage.pointer) }
        Parallel.forEachRange(groups, costPerElement: 6 * n) { range in
            for r in range {
                let gr = pg + r * n, h = ph + r * n, d = dst + r * n
                if let w {
                    Normalization.forEachAffineBlock(row: r, n: n, affineStride: affineStride, affineCount: affineCount) { start, count, a, step in
                        for i in 0..<count { d[start + i] = gr[start + i] * w[a + i * step] }
                    }
                } else {
                    d.update(from: gr, count: n)
                }
                let meanG = centered ? RowMath.sum(d, n) / Float(n) : 0
                let meanGH = RowMath.dot(d, h, n) / Float(n)
                let r0 = inv[r]
                for i in 0..<n { d[i] = r0 * (d[i] - meanG - h[i] * meanGH) }
            }
        }
        return Tensor(shape: g.shape, storage: out)
    }

    /// Visits the runs of a row by affine parameter: `(start, count, first parameter, parameter
    /// step)`. Layer/RMS norm rows are one run stepping through a parameter per element (step 1);
    /// group norm rows are one run per channel sharing its parameter (step 0).
    @inline(__always)
    static func forEachAffineBlock(row r: Int, n: Int, affineStride: Int, affineCount: Int,
                                   _ body: (_ start: Int, _ count: Int, _ parameter: Int, _ step: Int) -> Void) {
        if affineStride == 1 && affineCount == n {
            body(0, n, 0, 1)
            return
        }
        let first = r * n / affineStride
        for block in 0..<(n / affineStride) {
            body(block * affineStride, affineStride, (first + block) % affineCount, 0)
        }
    }

    /// Sums `values` into one entry per affine parameter.
    private static func affineGradient(_ values: Tensor, groups: Int, affineStride: Int, affineCount: Int) -> Tensor {
        // Rows are (outer, affineCount, affineStride) blocks once grouping is undone.
        let outer = values.count / (affineCount * affineStride)
        return values.reshaped([outer, affineCount, affineStride]).sum(axes: [0, 2])
    }
}

// Reductions over axes. The kernels reduce one run of consecutive axes at a time, viewing the
// tensor as (outer, reduced, inner): the inner loop is contiguous either way.

extension Tensor {
    /// Sum over `axes` (all axes when nil). `keepDims` keeps reduced axes with size 1.
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let axes = normalizedAxes(axes)
        let kept = Reduction.keptShape(shape, axes)
        let out = Reduction.sum(detached(), axes: axes).reshaped(keepDims ? kept : Reduction.droppedShape(shape, axes))
        let inputShape = shape
        return Tensor.record("sum", inputs: [self], output: out) { g, _ in
            [g.reshaped(kept).expand(to: inputShape)]
        }
    }

    /// Sum over one axis.
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(axes: [axis], keepDims: keepDims) }

    /// Mean over `axes` (all axes when nil).
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let axes = normalizedAxes(axes)
        let n = axes.reduce(1) { $0 * shape[$1] }
        return sum(axes: axes, keepDims: keepDims).dividing(Float(n))
    }

    /// Mean over one axis.
    public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(axes: [axis], keepDims: keepDims) }

    /// Variance over `axes`; `unbiased` divides by n − 1 (PyTorch's default `correction=1`).
    public func variance(axes: [Int]? = nil, unbiased: Bool = true, keepDims: Bool = false) -> Tensor {
        let axes = normalizedAxes(axes)
        let n = axes.reduce(1) { $0 * shape[$1] }
        let centered = self - mean(axes: axes, keepDims: true)
        return centered.pow(2).sum(axes: axes, keepDims: keepDims).dividing(Float(unbiased ? n - 1 : n))
    }

    /// Maximum over `axes` (all when nil). The gradient is shared equally among tied maxima,
    /// as `torch.amax`.
    public func max(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let axes = normalizedAxes(axes)
        let kept = Reduction.keptShape(shape, axes)
        let maxKept = Reduction.max(detached(), axes: axes).reshaped(kept)
        let out = maxKept.reshaped(keepDims ? kept : Reduction.droppedShape(shape, axes))
        let x = detached()
        return Tensor.record("max", inputs: [self], output: out) { g, _ in
            let mask = Kernels.broadcast(x, maxKept, Equal.self)
            let ties = Reduction.sum(mask, axes: axes).reshaped(kept)
            let share = Kernels.broadcast(g.reshaped(kept), ties, Divide.self)
            return [Kernels.broadcast(mask, share, Multiply.self)]
        }
    }

    /// Maximum over one axis.
    public func max(axis: Int, keepDims: Bool = false) -> Tensor { max(axes: [axis], keepDims: keepDims) }

    /// Sums a broadcast result back to `target` shape: the gradient rule of broadcasting.
    public func sumToShape(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        let lead = rank - target.count
        precondition(lead >= 0, "cannot reduce \(shape) to \(target)")
        var axes = Array(0..<lead)
        for i in 0..<target.count where target[i] == 1 && shape[i + lead] != 1 { axes.append(i + lead) }
        return sum(axes: axes, keepDims: true).reshaped(target)
    }

    func normalizedAxes(_ axes: [Int]?) -> [Int] {
        guard let axes else { return Array(0..<rank) }
        let normalized = Set(axes.map { normalizedAxis($0) })
        precondition(normalized.count == axes.count, "repeated axis in \(axes)")
        return normalized.sorted()
    }
}

enum Reduction {
    static func keptShape(_ shape: [Int], _ axes: [Int]) -> [Int] {
        var kept = shape
        for a in axes { kept[a] = 1 }
        return kept
    }

    static func droppedShape(_ shape: [Int], _ axes: [Int]) -> [Int] {
        shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    }

    /// Runs of consecutive axes, last run first (reducing inner runs first keeps later runs' strides valid).
    private static func runs(_ axes: [Int]) -> [ClosedRange<Int>] {
        var runs: [ClosedRange<Int>] = []
        for a in axes {
            if let last = runs.last, last.upperBound + 1 == a { runs[runs.count - 1] = last.lowerBound...a } else { runs.append(a...a) }
        }
        return runs.reversed()
    }

    /// Sum over `axes` (sorted, distinct); the result has the kept shape.
    static func sum(_ x: Tensor, axes: [Int]) -> Tensor {
        reduce(x, axes: axes, initial: 0, Add.self)
    }

    /// Max over `axes`; the result has the kept shape.
    static func max(_ x: Tensor, axes: [Int]) -> Tensor {
        precondition(axes.allSatisfy { x.shape[$0] > 0 }, "max over an empty axis of shape \(x.shape)")
        return reduce(x, axes: axes, initial: -.infinity, Maximum.self)
    }

    /// Generic over the operator so the loops specialise and inline it (see `Kernels`).
    private static func reduce<Op: BinaryOperator>(_ x: Tensor, axes: [Int], initial: Float, _ op: Op.Type) -> Tensor {
        var current = x
        var shape = x.shape
        for run in runs(axes) {
            let outer = shape[..<run.lowerBound].reduce(1, *)
            let r = shape[run].reduce(1, *)
            let inner = shape[(run.upperBound + 1)...].reduce(1, *)
            for a in run { shape[a] = 1 }
            let out = TensorStorage(uninitializedCount: outer * inner)
            nonisolated(unsafe) let src = UnsafePointer(current.storage.pointer)
            nonisolated(unsafe) let dst = out.pointer
            if inner == 1 && outer < Parallel.coreCount && r >= 1 << 16 {
                // Few long rows: split each row across cores, then combine the partial results.
                let parts = Parallel.coreCount
                let partials = UnsafeMutablePointer<Float>.allocate(capacity: outer * parts)
                defer { partials.deallocate() }
                nonisolated(unsafe) let partial = partials
                Parallel.forEachRange(outer * parts, costPerElement: r / parts) { range in
                    for job in range {
                        let (o, p) = job.quotientAndRemainder(dividingBy: parts)
                        let start = r * p / parts, end = r * (p + 1) / parts
                        partial[job] = rowReduce(src + (o &* r &+ start), end - start, initial, op)
                    }
                }
                for o in 0..<outer { dst[o] = rowReduce(UnsafePointer(partials + o * parts), parts, initial, op) }
            } else if inner == 1 {
                Parallel.forEachRange(outer, costPerElement: r) { range in
                    for o in range { dst[o] = rowReduce(src + o &* r, r, initial, op) }
                }
            } else {
                Parallel.forEachRange(outer, costPerElement: r &* inner) { range in
                    for o in range {
                        let d = dst + o &* inner
                        d.initialize(repeating: initial, count: inner)
                        for k in 0..<r {
                            let row = src + (o &* r &+ k) &* inner
                            for i in 0..<inner { d[i] = Op.apply(d[i], row[i]) }
                        }
                    }
                }
            }
            current = Tensor(shape: shape, storage: out)
        }
        return current
    }

    /// Reduces `count` contiguous values with eight interleaved accumulators: vectorisable, and
    /// a long sum's rounding error grows far slower than with one running total.
    @inline(__always)
    private static func rowReduce<Op: BinaryOperator>(_ row: UnsafePointer<Float>, _ count: Int, _ initial: Float, _: Op.Type) -> Float {
        var a0 = initial, a1 = initial, a2 = initial, a3 = initial
        var a4 = initial, a5 = initial, a6 = initial, a7 = initial
        var k = 0
        while k &+ 8 <= count {
            a0 = Op.apply(a0, row[k]); a1 = Op.apply(a1, row[k &+ 1])
            a2 = Op.apply(a2, row[k &+ 2]); a3 = Op.apply(a3, row[k &+ 3])
            a4 = Op.apply(a4, row[k &+ 4]); a5 = Op.apply(a5, row[k &+ 5])
            a6 = Op.apply(a6, row[k &+ 6]); a7 = Op.apply(a7, row[k &+ 7])
            k &+= 8
        }
        while k < count { a0 = Op.apply(a0, row[k]); k &+= 1 }
        return Op.apply(Op.apply(Op.apply(a0, a1), Op.apply(a2, a3)), Op.apply(Op.apply(a4, a5), Op.apply(a6, a7)))
    }
}

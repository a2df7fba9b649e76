/// Element-wise kernels on contiguous buffers, split across cores for large tensors. The
/// closures are inlined into the loops by the optimiser (the callers are `@inline(__always)`),
/// so each op compiles to a tight loop.
enum Kernels {
    /// `f(x)` for every element.
    @inline(__always)
    static func map(_ x: Tensor, cost: Int = 1, _ f: (Float) -> Float) -> Tensor {
        let out = TensorStorage(uninitializedCount: x.count)
        nonisolated(unsafe) let src = UnsafePointer(x.storage.pointer)
        nonisolated(unsafe) let dst = out.pointer
        Parallel.forEachRange(x.count, costPerElement: cost) { range in
            for i in range { dst[i] = f(src[i]) }
        }
        return Tensor(shape: x.shape, storage: out)
    }

    /// `f(a, b)` for tensors of one shape.
    @inline(__always)
    static func zip(_ a: Tensor, _ b: Tensor, cost: Int = 1, _ f: (Float, Float) -> Float) -> Tensor {
        precondition(a.shape == b.shape, "shape mismatch \(a.shape) vs \(b.shape)")
        let out = TensorStorage(uninitializedCount: a.count)
        nonisolated(unsafe) let pa = UnsafePointer(a.storage.pointer)
        nonisolated(unsafe) let pb = UnsafePointer(b.storage.pointer)
        nonisolated(unsafe) let dst = out.pointer
        Parallel.forEachRange(a.count, costPerElement: cost) { range in
            for i in range { dst[i] = f(pa[i], pb[i]) }
        }
        return Tensor(shape: a.shape, storage: out)
    }

    /// `f(a, b, c)` for tensors of one shape.
    @inline(__always)
    static func zip3(_ a: Tensor, _ b: Tensor, _ c: Tensor, cost: Int = 1, _ f: (Float, Float, Float) -> Float) -> Tensor {
        precondition(a.shape == b.shape && a.shape == c.shape, "shape mismatch \(a.shape), \(b.shape), \(c.shape)")
        let out = TensorStorage(uninitializedCount: a.count)
        nonisolated(unsafe) let pa = UnsafePointer(a.storage.pointer)
        nonisolated(unsafe) let pb = UnsafePointer(b.storage.pointer)
        nonisolated(unsafe) let pc = UnsafePointer(c.storage.pointer)
        nonisolated(unsafe) let dst = out.pointer
        Parallel.forEachRange(a.count, costPerElement: cost) { range in
            for i in range { dst[i] = f(pa[i], pb[i], pc[i]) }
        }
        return Tensor(shape: a.shape, storage: out)
    }

    /// `f(a, b)` with PyTorch broadcasting.
    @inline(__always)
    static func broadcast(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        if a.shape == b.shape { return zip(a, b, f) }
        let shape = Broadcasting.shape(a.shape, b.shape)
        let out = TensorStorage(uninitializedCount: shape.elementCount)
        nonisolated(unsafe) let pa = UnsafePointer(a.storage.pointer)
        nonisolated(unsafe) let pb = UnsafePointer(b.storage.pointer)
        nonisolated(unsafe) let dst = out.pointer
        if b.count == 1 && shape == a.shape {
            let s = pb[0]
            Parallel.forEachRange(a.count) { range in for i in range { dst[i] = f(pa[i], s) } }
            return Tensor(shape: shape, storage: out)
        }
        if a.count == 1 && shape == b.shape {
            let s = pa[0]
            Parallel.forEachRange(b.count) { range in for i in range { dst[i] = f(s, pb[i]) } }
            return Tensor(shape: shape, storage: out)
        }
        if shape.elementCount == 0 { return Tensor(shape: shape, storage: out) }
        let collapsed = Broadcasting.collapse(
            shape: shape,
            strides: [Broadcasting.strides(of: a.shape, broadcastTo: shape),
                      Broadcasting.strides(of: b.shape, broadcastTo: shape),
                      Broadcasting.contiguousStrides(shape)])
        let inner = collapsed.shape.last!
        let sa = collapsed.strides[0].last!, sb = collapsed.strides[1].last!
        let outerShape = Array(collapsed.shape.dropLast())
        let outerStrides = collapsed.strides.map { Array($0.dropLast()) }
        Parallel.forEachRange(outerShape.elementCount, costPerElement: inner) { range in
            var index = OuterIndex(shape: outerShape, strides: outerStrides, startingAt: range.lowerBound)
            for _ in range {
                let x = pa + index.offsets[0], y = pb + index.offsets[1], d = dst + index.offsets[2]
                if sa == 1 && sb == 1 {
                    for i in 0..<inner { d[i] = f(x[i], y[i]) }
                } else if sa == 1 {
                    let s = y[0]
                    for i in 0..<inner { d[i] = f(x[i], s) }
                } else if sb == 1 {
                    let s = x[0]
                    for i in 0..<inner { d[i] = f(s, y[i]) }
                } else {
                    let v = f(x[0], y[0])
                    for i in 0..<inner { d[i] = v }
                }
                index.advance()
            }
        }
        return Tensor(shape: shape, storage: out)
    }
}

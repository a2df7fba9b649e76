import Foundation

/// Element-wise kernels on contiguous buffers, split across cores for large tensors.
///
/// Why the loops are written out at each call site (`{ x, y, range in for i in range { … } }`)
/// instead of passing a per-element closure: code that runs on a worker thread sits inside a
/// closure handed to Dispatch, and a per-element closure captured there is called indirectly
/// for every element — measured 5–10× slower. A loop literal is compiled in place; so is a
/// binary operator passed as a generic type (`Add.self`).
enum Kernels {
    typealias Read = UnsafePointer<Float>
    typealias Write = UnsafeMutablePointer<Float>

    /// A new tensor of `x`'s shape whose elements `loop(x, y, range)` writes, a range at a time.
    @inline(__always)
    static func map(_ x: Tensor, cost: Int = 1, _ loop: (Read, Write, Range<Int>) -> Void) -> Tensor {
        let out = TensorStorage(uninitializedCount: x.count)
        nonisolated(unsafe) let src = UnsafePointer(x.storage.pointer)
        nonisolated(unsafe) let dst = out.pointer
        Parallel.forEachRange(x.count, costPerElement: cost) { range in loop(src, dst, range) }
        return Tensor(shape: x.shape, storage: out)
    }

    /// A new tensor from two equally shaped tensors: `loop(a, b, y, range)`.
    @inline(__always)
    static func zip(_ a: Tensor, _ b: Tensor, cost: Int = 1, _ loop: (Read, Read, Write, Range<Int>) -> Void) -> Tensor {
        precondition(a.shape == b.shape, "shape mismatch \(a.shape) vs \(b.shape)")
        let out = TensorStorage(uninitializedCount: a.count)
        nonisolated(unsafe) let pa = UnsafePointer(a.storage.pointer)
        nonisolated(unsafe) let pb = UnsafePointer(b.storage.pointer)
        nonisolated(unsafe) let dst = out.pointer
        Parallel.forEachRange(a.count, costPerElement: cost) { range in loop(pa, pb, dst, range) }
        return Tensor(shape: a.shape, storage: out)
    }

    /// A new tensor from three equally shaped tensors: `loop(a, b, c, y, range)`.
    @inline(__always)
    static func zip3(_ a: Tensor, _ b: Tensor, _ c: Tensor, cost: Int = 1, _ loop: (Read, Read, Read, Write, Range<Int>) -> Void) -> Tensor {
        precondition(a.shape == b.shape && a.shape == c.shape, "shape mismatch \(a.shape), \(b.shape), \(c.shape)")
        let out = TensorStorage(uninitializedCount: a.count)
        nonisolated(unsafe) let pa = UnsafePointer(a.storage.pointer)
        nonisolated(unsafe) let pb = UnsafePointer(b.storage.pointer)
        nonisolated(unsafe) let pc = UnsafePointer(c.storage.pointer)
        nonisolated(unsafe) let dst = out.pointer
        Parallel.forEachRange(a.count, costPerElement: cost) { range in loop(pa, pb, pc, dst, range) }
        return Tensor(shape: a.shape, storage: out)
    }

    /// `Op.apply(a, b)` with PyTorch broadcasting.
    static func broadcast<Op: BinaryOperator>(_ a: Tensor, _ b: Tensor, _: Op.Type) -> Tensor {
        let shape = a.shape == b.shape ? a.shape : Broadcasting.shape(a.shape, b.shape)
        let out = TensorStorage(uninitializedCount: shape.elementCount)
        nonisolated(unsafe) let pa = UnsafePointer(a.storage.pointer)
        nonisolated(unsafe) let pb = UnsafePointer(b.storage.pointer)
        nonisolated(unsafe) let dst = out.pointer
        if a.shape == b.shape {
            Parallel.forEachRange(a.count, costPerElement: Op.cost) { range in
                for i in range { dst[i] = Op.apply(pa[i], pb[i]) }
            }
            return Tensor(shape: shape, storage: out)
        }
        if shape.elementCount == 0 { return Tensor(shape: shape, storage: out) }
        if b.count == 1 && shape == a.shape {
            let s = pb[0]
            Parallel.forEachRange(a.count, costPerElement: Op.cost) { range in for i in range { dst[i] = Op.apply(pa[i], s) } }
            return Tensor(shape: shape, storage: out)
        }
        if a.count == 1 && shape == b.shape {
            let s = pa[0]
            Parallel.forEachRange(b.count, costPerElement: Op.cost) { range in for i in range { dst[i] = Op.apply(s, pb[i]) } }
            return Tensor(shape: shape, storage: out)
        }
        let collapsed = Broadcasting.collapse(
            shape: shape,
            strides: [Broadcasting.strides(of: a.shape, broadcastTo: shape),
                      Broadcasting.strides(of: b.shape, broadcastTo: shape),
                      Broadcasting.contiguousStrides(shape)])
        let inner = collapsed.shape.last!
        let sa = collapsed.strides[0].last!, sb = collapsed.strides[1].last!
        let outerShape = Array(collapsed.shape.dropLast())
        let outerStrides = collapsed.strides.map { Array($0.dropLast()) }
        Parallel.forEachRange(outerShape.elementCount, costPerElement: inner * Op.cost) { range in
            var index = OuterIndex(shape: outerShape, strides: outerStrides, startingAt: range.lowerBound)
            for _ in range {
                let x = pa + index.offsets[0], y = pb + index.offsets[1], d = dst + index.offsets[2]
                if sa == 1 && sb == 1 {
                    for i in 0..<inner { d[i] = Op.apply(x[i], y[i]) }
                } else if sa == 1 {
                    let s = y[0]
                    for i in 0..<inner { d[i] = Op.apply(x[i], s) }
                } else if sb == 1 {
                    let s = x[0]
                    for i in 0..<inner { d[i] = Op.apply(s, y[i]) }
                } else {
                    let v = Op.apply(x[0], y[0])
                    for i in 0..<inner { d[i] = v }
                }
                index.advance()
            }
        }
        return Tensor(shape: shape, storage: out)
    }
}

/// A binary element-wise function, passed as a type so that broadcasting kernels specialise
/// on it and inline it into their loops.
protocol BinaryOperator {
    static func apply(_ a: Float, _ b: Float) -> Float
    /// Relative cost per element (1 = an add), for deciding when to use several cores.
    static var cost: Int { get }
}

extension BinaryOperator {
    static var cost: Int { 1 }
}

enum Add: BinaryOperator { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a + b } }
enum Subtract: BinaryOperator { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a - b } }
enum Multiply: BinaryOperator { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a * b } }
enum Divide: BinaryOperator { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a / b } }
enum Maximum: BinaryOperator { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { Swift.max(a, b) } }
enum Power: BinaryOperator {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { Foundation.pow(a, b) }
    static var cost: Int { 8 }
}
/// 1 where `a == b`, else 0 (locating maxima).
enum Equal: BinaryOperator { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a == b ? 1 : 0 } }

import Foundation

/// An n-dimensional Float32 array, row-major and contiguous, with an optional link into the
/// autograd graph.
///
/// `Tensor` is a value: operations return new tensors and never modify their inputs. A tensor
/// carries a graph edge only when it was produced, with gradient recording enabled, from an
/// input that requires a gradient (candle's rule): inference and teacher passes record nothing.
/// Layout follows PyTorch: activations NCHW, linear weights `[out, in]`, conv weights OIHW.
public struct Tensor: @unchecked Sendable {
    /// Extent of each dimension; `[]` for a scalar.
    public let shape: [Int]
    /// The elements, `shape.product` of them, row-major.
    public let storage: TensorStorage
    /// Where this tensor sits in the autograd graph, if it requires a gradient.
    @usableFromInline internal var edge: GradEdge?

    /// Wraps existing storage. The storage must hold exactly as many elements as `shape` describes.
    public init(shape: [Int], storage: TensorStorage) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(shape.elementCount == storage.count,
                     "shape \(shape) needs \(shape.elementCount) elements, storage has \(storage.count)")
        self.shape = shape
        self.storage = storage
        self.edge = nil
    }

    @usableFromInline
    internal init(shape: [Int], storage: TensorStorage, edge: GradEdge?) {
        self.shape = shape
        self.storage = storage
        self.edge = edge
    }

    /// A tensor holding `scalars` in row-major order.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.elementCount == scalars.count,
                     "shape \(shape) needs \(shape.elementCount) elements, got \(scalars.count)")
        let storage = TensorStorage(uninitializedCount: scalars.count)
        scalars.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { storage.pointer.initialize(from: base, count: src.count) }
        }
        self.init(shape: shape, storage: storage)
    }

    /// A one-dimensional tensor.
    public init(_ scalars: [Float]) {
        self.init(shape: [scalars.count], scalars: scalars)
    }

    /// A rank-0 tensor.
    public init(scalar: Float) {
        self.init(shape: [], scalars: [scalar])
    }

    /// A tensor of `shape` filled with `value`.
    public static func full(_ shape: [Int], _ value: Float) -> Tensor {
        Tensor(shape: shape, storage: TensorStorage(count: shape.elementCount, repeating: value))
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { full(shape, 0) }

    /// A tensor of ones.
    public static func ones(_ shape: [Int]) -> Tensor { full(shape, 1) }

    /// `[start, start + step, …]` with `count` elements.
    public static func arange(_ count: Int, start: Float = 0, step: Float = 1) -> Tensor {
        let storage = TensorStorage(uninitializedCount: count)
        for i in 0..<count { storage.pointer[i] = start + Float(i) * step }
        return Tensor(shape: [count], storage: storage)
    }

    /// Number of elements.
    @inlinable public var count: Int { storage.count }
    /// Number of dimensions.
    @inlinable public var rank: Int { shape.count }
    /// The elements as an array (a copy).
    public var scalars: [Float] { Array(storage.buffer) }

    /// The single element of a one-element tensor.
    public func item() -> Float {
        precondition(count == 1, "item() needs exactly one element, shape is \(shape)")
        return storage.pointer[0]
    }

    /// Dimension `axis`, negative values counting from the end.
    public func size(_ axis: Int) -> Int { shape[normalizedAxis(axis)] }

    /// Resolves a possibly negative axis against this tensor's rank.
    public func normalizedAxis(_ axis: Int) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < Swift.max(rank, 1), "axis \(axis) out of range for shape \(shape)")
        return a
    }

    /// Reads the elements through a buffer pointer without copying.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(storage.buffer)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { String(format: "%.5g", Double($0)) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(preview)\(count > 8 ? ", …" : "")]\(requiresGrad ? ", requiresGrad" : ""))"
    }
}

extension Array where Element == Int {
    /// The product of the dimensions: the element count of a shape.
    @inlinable public var elementCount: Int { reduce(1, *) }
}

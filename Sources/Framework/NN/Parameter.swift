/// A named, optionally trainable tensor of a model: its checkpoint key and its current value.
///
/// A trainable parameter's value is an autograd leaf, so backward passes accumulate its
/// gradient in ``grad`` (as PyTorch's `.grad`) until ``zeroGrad()``. Optimisers update
/// ``value`` in place.
public final class Parameter: @unchecked Sendable {
    /// The full checkpoint key, e.g. `transformer_blocks.0.attn.to_q.weight`.
    public let name: String
    /// The current value (for a weight kept in half precision, a fresh Float32 widening of it).
    public var value: Tensor { halfPrecision?.widened() ?? storedValue }
    private var storedValue: Tensor
    /// The 16-bit copy a frozen weight is kept in instead of its Float32 value, or nil (see
    /// ``keepInHalfPrecision()``). Layers that know it (``Linear``) widen it a tile at a time.
    public private(set) var halfPrecision: HalfPrecisionWeight?
    /// Whether backward passes compute a gradient for this parameter. Making a half-precision
    /// weight trainable widens it back to Float32 for good.
    public var isTrainable: Bool {
        didSet {
            guard isTrainable != oldValue else { return }
            let current = value
            halfPrecision = nil
            storedValue = isTrainable ? current.detached().requiringGrad() : current.detached()
        }
    }

    /// A parameter holding `value`.
    public init(name: String, value: Tensor, isTrainable: Bool = true) {
        self.name = name
        self.isTrainable = isTrainable
        self.storedValue = isTrainable ? value.detached().requiringGrad() : value.detached()
    }

    /// Keeps this frozen parameter as 16-bit floats, releasing its Float32 elements (when nothing
    /// else holds them); returns the copy. A trainable parameter stays Float32 (nil).
    @discardableResult
    public func keepInHalfPrecision() -> HalfPrecisionWeight? {
        guard !isTrainable else { return nil }
        if let halfPrecision { return halfPrecision }
        let copy = HalfPrecisionWeight(storedValue)
        halfPrecision = copy
        storedValue = Tensor(shape: [0], storage: TensorStorage(uninitializedCount: 0))  // the elements live in the copy
        return copy
    }

    /// The shape of the value.
    public var shape: [Int] { halfPrecision?.shape ?? storedValue.shape }

    /// The gradient accumulated since the last ``zeroGrad()``, nil when none reached this parameter.
    public var grad: Tensor? { storedValue.grad }

    /// Forgets the accumulated gradient.
    public func zeroGrad() { storedValue.zeroGrad() }

    /// Replaces the value with `newValue` of the same shape (loading weights); the gradient is cleared.
    public func assign(_ newValue: Tensor) {
        precondition(newValue.shape == shape, "\(name): cannot assign shape \(newValue.shape) to a parameter of shape \(shape)")
        halfPrecision = nil
        storedValue = isTrainable ? newValue.detached().requiringGrad() : newValue.detached()
    }

    /// Overwrites the elements in place, keeping the autograd leaf and its gradient: the
    /// optimiser's update. `body` receives the elements.
    public func update(_ body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        precondition(halfPrecision == nil, "\(name): a half-precision weight is frozen; it has no in-place update")
        body(UnsafeMutableBufferPointer(start: storedValue.storage.pointer, count: storedValue.count))
    }
}

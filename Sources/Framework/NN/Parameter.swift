/// A named, optionally trainable tensor of a model: its checkpoint key and its current value.
///
/// A trainable parameter's value is an autograd leaf, so backward passes accumulate its
/// gradient in ``grad`` (as PyTorch's `.grad`) until ``zeroGrad()``. Optimisers update
/// ``value`` in place.
public final class Parameter: @unchecked Sendable {
    /// The full checkpoint key, e.g. `transformer_blocks.0.attn.to_q.weight`.
    public let name: String
    /// The current value.
    public private(set) var value: Tensor
    /// Whether backward passes compute a gradient for this parameter.
    public var isTrainable: Bool {
        didSet { if isTrainable != oldValue { value = isTrainable ? value.detached().requiringGrad() : value.detached() } }
    }

    /// A parameter holding `value`.
    public init(name: String, value: Tensor, isTrainable: Bool = true) {
        self.name = name
        self.isTrainable = isTrainable
        self.value = isTrainable ? value.detached().requiringGrad() : value.detached()
    }

    /// The shape of the value.
    public var shape: [Int] { value.shape }

    /// The gradient accumulated since the last ``zeroGrad()``, nil when none reached this parameter.
    public var grad: Tensor? { value.grad }

    /// Forgets the accumulated gradient.
    public func zeroGrad() { value.zeroGrad() }

    /// Replaces the value with `newValue` of the same shape (loading weights); the gradient is cleared.
    public func assign(_ newValue: Tensor) {
        precondition(newValue.shape == value.shape, "\(name): cannot assign shape \(newValue.shape) to a parameter of shape \(value.shape)")
        value = isTrainable ? newValue.detached().requiringGrad() : newValue.detached()
    }

    /// Overwrites the elements in place, keeping the autograd leaf and its gradient: the
    /// optimiser's update. `body` receives the elements.
    public func update(_ body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        body(UnsafeMutableBufferPointer(start: value.storage.pointer, count: value.count))
    }
}

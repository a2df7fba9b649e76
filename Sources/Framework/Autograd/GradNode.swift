/// One recorded operation in the autograd graph.
///
/// A node remembers the edges to the nodes that produced its inputs and a closure that maps the
/// gradients of its outputs to the gradients of its inputs. Leaves (parameters and tensors marked
/// with ``Tensor/requiringGrad()``) have no closure; ``backward(_:)`` accumulates into their
/// ``grad``, exactly like `.grad` in PyTorch, so several backward passes add up (gradient
/// accumulation) until the caller clears them.
public final class GradNode: @unchecked Sendable {
    /// Maps output gradients (nil where an output received none) to input gradients, one per
    /// entry of ``inputs`` (nil where an input needs none). Released after use so that long
    /// graphs free their saved activations as the backward pass walks through them.
    public typealias Backward = ([Tensor?]) -> [Tensor?]

    /// A short op name, for diagnostics.
    public let name: String
    /// Edges to the producers of the inputs; nil for inputs that need no gradient.
    public let inputs: [GradEdge?]
    /// Shapes of the outputs, used to seed zero gradients where an output went unused.
    public let outputShapes: [[Int]]
    internal var backwardFunction: Backward?
    /// Accumulated gradient of a leaf.
    public internal(set) var grad: Tensor?

    /// `true` for leaves: parameters and tensors created with `requiringGrad()`.
    public var isLeaf: Bool { inputs.isEmpty }

    internal init(name: String, inputs: [GradEdge?], outputShapes: [[Int]], backward: Backward?) {
        self.name = name
        self.inputs = inputs
        self.outputShapes = outputShapes
        self.backwardFunction = backward
    }

    /// A leaf node for a tensor of `shape`.
    internal static func leaf(shape: [Int]) -> GradNode {
        GradNode(name: "leaf", inputs: [], outputShapes: [shape], backward: nil)
    }

    /// Adds `gradient` to the leaf's accumulated gradient.
    internal func accumulate(_ gradient: Tensor) {
        grad = grad.map { $0.adding(gradient) } ?? gradient
    }

    /// Forgets the accumulated gradient.
    public func zeroGrad() { grad = nil }
}

/// A reference to output `index` of a ``GradNode``.
public struct GradEdge: @unchecked Sendable {
    public let node: GradNode
    public let index: Int
}

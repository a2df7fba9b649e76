/// Updates parameters from their accumulated gradients.
public protocol Optimizer: AnyObject {
    /// The parameters this optimiser updates.
    var parameters: [Parameter] { get }
    /// The learning rate used by the next ``step()``; schedules set it between steps.
    var learningRate: Float { get set }
    /// Applies one update to every parameter that has a gradient (parameters without one are
    /// skipped and their state left alone, as in PyTorch).
    func step()
    /// Optimiser state (moments, step counts) by name, for checkpoints.
    func stateDict() -> [String: Tensor]
    /// Restores state written by ``stateDict()``.
    func load(stateDict: [String: Tensor]) throws
}

extension Optimizer {
    /// Clears the gradients of all parameters (PyTorch `zero_grad(set_to_none=True)`).
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }
}

/// Why optimiser state could not be restored.
public enum OptimizerStateError: Error, CustomStringConvertible {
    case shapeMismatch(key: String, expected: [Int], found: [Int])
    public var description: String {
        switch self {
        case .shapeMismatch(let key, let expected, let found):
            return "optimizer state '\(key)' has shape \(found), expected \(expected)"
        }
    }
}

/// One switch shared by every block of a model that may recompute itself during backward
/// (gradient checkpointing), so the model flips all of them by setting one flag.
public final class GradientCheckpointSwitch: @unchecked Sendable {
    /// Whether blocks run under ``checkpoint(_:_:)``.
    public var isEnabled = false

    /// A switch that starts off.
    public init() {}

    /// Runs `body` on `inputs`, checkpointed when enabled. Parameters used inside `body` still
    /// receive their gradients (the framework's checkpoint recomputes with them).
    public func run(_ inputs: [Tensor], _ body: @escaping ([Tensor]) -> Tensor) -> Tensor {
        guard isEnabled else { return body(inputs) }
        return checkpoint(inputs) { [body($0)] }[0]
    }
}

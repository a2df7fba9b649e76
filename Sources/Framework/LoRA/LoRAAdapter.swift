/// A low-rank update `scale · B·A` added to a ``Linear`` layer's output: `y = W x + b + scale · B (A x)`.
///
/// Created by ``LoRA/inject(into:targets:rank:alpha:seed:)`` for training (A Kaiming-uniform with
/// a = √5, B zeros, so a fresh adapter leaves outputs unchanged — peft's defaults) or by
/// ``LoRA/attach(_:to:scale:)`` when a saved LoRA is applied at inference. Parameter names follow
/// peft/DiffSynth: `<layer>.lora_A.<adapter>.weight` (rank × in) and `<layer>.lora_B.<adapter>.weight`
/// (out × rank).
public final class LoRAAdapter: Module {
    /// The adapter name in parameter keys (`default` for the one being trained, as peft names it).
    public let name: String
    public let down: Parameter   // lora_A
    public let up: Parameter     // lora_B
    /// `alpha / rank` times any user scale.
    public var scale: Float

    public init(name: String, down: Parameter, up: Parameter, scale: Float) {
        precondition(down.shape.count == 2 && up.shape.count == 2 && up.shape[1] == down.shape[0],
                     "LoRA \(name): lora_A \(down.shape) and lora_B \(up.shape) do not form a low-rank pair")
        self.name = name
        self.down = down
        self.up = up
        self.scale = scale
    }

    /// Rank of the update.
    public var rank: Int { down.shape[0] }

    /// `scale · B (A x)`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let update = x.linear(weight: down.value).linear(weight: up.value)
        return scale == 1 ? update : update * scale
    }

    /// `scale · B·A`, the dense update to the layer's weight.
    public func denseUpdate() -> Tensor {
        withNoGrad { up.value.matmul(down.value) * scale }
    }
}

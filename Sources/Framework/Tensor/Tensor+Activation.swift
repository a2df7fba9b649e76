import Foundation

// Activation functions. Each is one fused kernel forward and one backward, instead of a chain
// of primitives, because they run on every element of every layer.

extension Tensor {
    /// Logistic sigmoid `1 / (1 + e^-x)`.
    public func sigmoid() -> Tensor {
        let out = Kernels.map(self, cost: 4) { Activation.sigmoid($0) }
        return Tensor.record("sigmoid", inputs: [self], output: out) { g, _ in
            [Kernels.zip(g, out.detached()) { $0 * $1 * (1 - $1) }]
        }
    }

    /// Hyperbolic tangent.
    public func tanh() -> Tensor {
        let out = Kernels.map(self, cost: 4) { Foundation.tanh($0) }
        return Tensor.record("tanh", inputs: [self], output: out) { g, _ in
            [Kernels.zip(g, out.detached()) { $0 * (1 - $1 * $1) }]
        }
    }

    /// `max(x, 0)`.
    public func relu() -> Tensor {
        let x = detached()
        return Tensor.record("relu", inputs: [self], output: Kernels.map(self) { Swift.max($0, 0) }) { g, _ in
            [Kernels.zip(g, x) { $1 > 0 ? $0 : 0 }]
        }
    }

    /// SiLU / swish, `x · σ(x)`.
    public func silu() -> Tensor {
        let x = detached()
        return Tensor.record("silu", inputs: [self], output: Kernels.map(self, cost: 4) { $0 * Activation.sigmoid($0) }) { g, _ in
            [Kernels.zip(g, x, cost: 4) { g, x in
                let s = Activation.sigmoid(x)
                return g * s * (1 + x * (1 - s))
            }]
        }
    }

    /// GELU. `approximate: .none` is the exact `x · Φ(x)` with erf; `.tanh` is the tanh
    /// approximation (PyTorch `approximate="tanh"`, diffusers' "gelu-approximate").
    public func gelu(approximate: GELUApproximation = .none) -> Tensor {
        let x = detached()
        switch approximate {
        case .none:
            return Tensor.record("gelu", inputs: [self], output: Kernels.map(self, cost: 4) { Activation.gelu($0) }) { g, _ in
                [Kernels.zip(g, x, cost: 4) { $0 * Activation.geluDerivative($1) }]
            }
        case .tanh:
            return Tensor.record("gelu_tanh", inputs: [self], output: Kernels.map(self, cost: 4) { Activation.geluTanh($0) }) { g, _ in
                [Kernels.zip(g, x, cost: 4) { $0 * Activation.geluTanhDerivative($1) }]
            }
        }
    }

    /// Quick GELU, `x · σ(1.702 x)` (OpenAI CLIP's activation).
    public func quickGelu() -> Tensor {
        let x = detached()
        return Tensor.record("quick_gelu", inputs: [self], output: Kernels.map(self, cost: 4) { $0 * Activation.sigmoid(1.702 * $0) }) { g, _ in
            [Kernels.zip(g, x, cost: 4) { g, x in
                let s = Activation.sigmoid(1.702 * x)
                return g * (s + 1.702 * x * s * (1 - s))
            }]
        }
    }
}

/// Which GELU formula to use.
public enum GELUApproximation: Sendable {
    /// Exact, with the error function.
    case none
    /// `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))`.
    case tanh
}

/// Scalar activation formulas shared by forward and backward kernels.
@usableFromInline
enum Activation {
    @inline(__always) @usableFromInline
    static func sigmoid(_ x: Float) -> Float { 1 / (1 + Foundation.exp(-x)) }

    @inline(__always) @usableFromInline
    static func gelu(_ x: Float) -> Float { 0.5 * x * (1 + erf(x * Float(0.5).squareRoot())) }

    @inline(__always) @usableFromInline
    static func geluDerivative(_ x: Float) -> Float {
        let cdf = 0.5 * (1 + erf(x * Float(0.5).squareRoot()))
        let pdf = Foundation.exp(-0.5 * x * x) / Float(2 * Double.pi).squareRoot()
        return cdf + x * pdf
    }

    @usableFromInline static let sqrt2OverPi = Float((2 / Double.pi).squareRoot())

    @inline(__always) @usableFromInline
    static func geluTanh(_ x: Float) -> Float {
        0.5 * x * (1 + Foundation.tanh(sqrt2OverPi * (x + 0.044715 * x * x * x)))
    }

    @inline(__always) @usableFromInline
    static func geluTanhDerivative(_ x: Float) -> Float {
        let inner = sqrt2OverPi * (x + 0.044715 * x * x * x)
        let t = Foundation.tanh(inner)
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * sqrt2OverPi * (1 + 3 * 0.044715 * x * x)
    }
}

import Foundation

// Activation functions. Each is one fused kernel forward and one backward, instead of a chain
// of primitives, because they run on every element of every layer.

extension Tensor {
    /// Logistic sigmoid `1 / (1 + e^-x)`.
    public func sigmoid() -> Tensor {
        let out = Kernels.map(self, cost: 4) { x, y, r in for i in r { y[i] = Activation.sigmoid(x[i]) } }
        return Tensor.record("sigmoid", inputs: [self], output: out) { g, _ in
            [Kernels.zip(g, out.detached()) { g, s, d, r in for i in r { d[i] = g[i] * s[i] * (1 - s[i]) } }]
        }
    }

    /// Hyperbolic tangent.
    public func tanh() -> Tensor {
        let out = Kernels.map(self, cost: 4) { x, y, r in for i in r { y[i] = FastMath.tanh(x[i]) } }
        return Tensor.record("tanh", inputs: [self], output: out) { g, _ in
            [Kernels.zip(g, out.detached()) { g, t, d, r in for i in r { d[i] = g[i] * (1 - t[i] * t[i]) } }]
        }
    }

    /// `max(x, 0)`.
    public func relu() -> Tensor {
        let input = detached()
        let out = Kernels.map(self) { x, y, r in for i in r { y[i] = Swift.max(x[i], 0) } }
        return Tensor.record("relu", inputs: [self], output: out) { g, _ in
            [Kernels.zip(g, input) { g, x, d, r in for i in r { d[i] = x[i] > 0 ? g[i] : 0 } }]
        }
    }

    /// SiLU / swish, `x · σ(x)`.
    public func silu() -> Tensor {
        let input = detached()
        let out = Kernels.map(self, cost: 4) { x, y, r in for i in r { y[i] = x[i] * Activation.sigmoid(x[i]) } }
        return Tensor.record("silu", inputs: [self], output: out) { g, _ in
            [Kernels.zip(g, input, cost: 4) { g, x, d, r in
                for i in r {
                    let s = Activation.sigmoid(x[i])
                    d[i] = g[i] * s * (1 + x[i] * (1 - s))
                }
            }]
        }
    }

    /// GELU. `approximate: .none` is the exact `x · Φ(x)` with erf; `.tanh` is the tanh
    /// approximation (PyTorch `approximate="tanh"`, diffusers' "gelu-approximate").
    public func gelu(approximate: GELUApproximation = .none) -> Tensor {
        let input = detached()
        switch approximate {
        case .none:
            let out = Kernels.map(self, cost: 4) { x, y, r in for i in r { y[i] = Activation.gelu(x[i]) } }
            return Tensor.record("gelu", inputs: [self], output: out) { g, _ in
                [Kernels.zip(g, input, cost: 4) { g, x, d, r in for i in r { d[i] = g[i] * Activation.geluDerivative(x[i]) } }]
            }
        case .tanh:
            let out = Kernels.map(self, cost: 4) { x, y, r in for i in r { y[i] = Activation.geluTanh(x[i]) } }
            return Tensor.record("gelu_tanh", inputs: [self], output: out) { g, _ in
                [Kernels.zip(g, input, cost: 4) { g, x, d, r in for i in r { d[i] = g[i] * Activation.geluTanhDerivative(x[i]) } }]
            }
        }
    }

    /// Quick GELU, `x · σ(1.702 x)` (OpenAI CLIP's activation).
    public func quickGelu() -> Tensor {
        let input = detached()
        let out = Kernels.map(self, cost: 4) { x, y, r in for i in r { y[i] = x[i] * Activation.sigmoid(1.702 * x[i]) } }
        return Tensor.record("quick_gelu", inputs: [self], output: out) { g, _ in
            [Kernels.zip(g, input, cost: 4) { g, x, d, r in
                for i in r {
                    let s = Activation.sigmoid(1.702 * x[i])
                    d[i] = g[i] * (s + 1.702 * x[i] * s * (1 - s))
                }
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
enum Activation {
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float { FastMath.sigmoid(x) }

    static let sqrtHalf = Float(0.5).squareRoot()
    static let inverseSqrt2Pi = 1 / Float(2 * Double.pi).squareRoot()
    static let sqrt2OverPi = Float((2 / Double.pi).squareRoot())

    @inline(__always)
    static func gelu(_ x: Float) -> Float { 0.5 * x * (1 + FastMath.erf(x * sqrtHalf)) }

    @inline(__always)
    static func geluDerivative(_ x: Float) -> Float {
        let cdf = 0.5 * (1 + FastMath.erf(x * sqrtHalf))
        return cdf + x * FastMath.exp(-0.5 * x * x) * inverseSqrt2Pi
    }

    @inline(__always)
    static func geluTanh(_ x: Float) -> Float {
        0.5 * x * (1 + FastMath.tanh(sqrt2OverPi * (x + 0.044715 * x * x * x)))
    }

    @inline(__always)
    static func geluTanhDerivative(_ x: Float) -> Float {
        let t = FastMath.tanh(sqrt2OverPi * (x + 0.044715 * x * x * x))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * sqrt2OverPi * (1 + 3 * 0.044715 * x * x)
    }
}

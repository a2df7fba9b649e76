import Foundation

// Arithmetic with PyTorch broadcasting. Gradients of broadcast operands are summed back to
// their own shape in one place, `sumToShape`.

extension Tensor {
    /// `self + other`, broadcasting.
    public func adding(_ other: Tensor) -> Tensor {
        let out = Kernels.broadcast(self, other, Add.self)
        let (ls, rs) = (shape, other.shape)
        return Tensor.record("add", inputs: [self, other], output: out) { g, needs in
            [needs[0] ? g.sumToShape(ls) : nil, needs[1] ? g.sumToShape(rs) : nil]
        }
    }

    /// `self - other`, broadcasting.
    public func subtracting(_ other: Tensor) -> Tensor {
        let out = Kernels.broadcast(self, other, Subtract.self)
        let (ls, rs) = (shape, other.shape)
        return Tensor.record("sub", inputs: [self, other], output: out) { g, needs in
            [needs[0] ? g.sumToShape(ls) : nil, needs[1] ? g.negated().sumToShape(rs) : nil]
        }
    }

    /// `self * other` element-wise, broadcasting.
    public func multiplying(_ other: Tensor) -> Tensor {
        let out = Kernels.broadcast(self, other, Multiply.self)
        let (a, b) = (self.detached(), other.detached())
        return Tensor.record("mul", inputs: [self, other], output: out) { g, needs in
            [needs[0] ? Kernels.broadcast(g, b, Multiply.self).sumToShape(a.shape) : nil,
             needs[1] ? Kernels.broadcast(g, a, Multiply.self).sumToShape(b.shape) : nil]
        }
    }

    /// `self / other` element-wise, broadcasting.
    public func dividing(_ other: Tensor) -> Tensor {
        let out = Kernels.broadcast(self, other, Divide.self)
        let (a, b) = (self.detached(), other.detached())
        return Tensor.record("div", inputs: [self, other], output: out) { g, needs in
            let gb = Kernels.broadcast(g, b, Divide.self)
            // d(a/b)/db = −(a/b)/b, so the gradient is −(g/b)·out.
            return [needs[0] ? gb.sumToShape(a.shape) : nil,
                    needs[1] ? Kernels.zip(gb, out.detached()) { x, y, d, r in for i in r { d[i] = -x[i] * y[i] } }.sumToShape(b.shape) : nil]
        }
    }

    /// `self + scalar`.
    public func adding(_ scalar: Float) -> Tensor {
        let out = Kernels.map(self) { x, y, r in for i in r { y[i] = x[i] + scalar } }
        return Tensor.record("add_scalar", inputs: [self], output: out) { g, _ in [g] }
    }

    /// `self * scalar`.
    public func multiplying(_ scalar: Float) -> Tensor {
        let out = Kernels.map(self) { x, y, r in for i in r { y[i] = x[i] * scalar } }
        return Tensor.record("mul_scalar", inputs: [self], output: out) { g, _ in
            [Kernels.map(g) { x, y, r in for i in r { y[i] = x[i] * scalar } }]
        }
    }

    /// `self / scalar` (a true division, so results match PyTorch bit for bit).
    public func dividing(_ scalar: Float) -> Tensor {
        let out = Kernels.map(self) { x, y, r in for i in r { y[i] = x[i] / scalar } }
        return Tensor.record("div_scalar", inputs: [self], output: out) { g, _ in
            [Kernels.map(g) { x, y, r in for i in r { y[i] = x[i] / scalar } }]
        }
    }

    /// `-self`.
    public func negated() -> Tensor {
        let out = Kernels.map(self) { x, y, r in for i in r { y[i] = -x[i] } }
        return Tensor.record("neg", inputs: [self], output: out) { g, _ in [g.negated()] }
    }

    /// `self ** exponent` element-wise.
    public func pow(_ exponent: Float) -> Tensor {
        let input = detached()
        let out: Tensor
        switch exponent {
        case 2: out = Kernels.map(self) { x, y, r in for i in r { y[i] = x[i] * x[i] } }
        case 0.5: out = Kernels.map(self) { x, y, r in for i in r { y[i] = x[i].squareRoot() } }
        default: out = Kernels.map(self, cost: 8) { x, y, r in for i in r { y[i] = Foundation.pow(x[i], exponent) } }
        }
        return Tensor.record("pow", inputs: [self], output: out) { g, _ in
            if exponent == 2 { return [Kernels.zip(g, input) { g, x, d, r in for i in r { d[i] = g[i] * 2 * x[i] } }] }
            return [Kernels.zip(g, input, cost: 8) { g, x, d, r in for i in r { d[i] = g[i] * exponent * Foundation.pow(x[i], exponent - 1) } }]
        }
    }

    /// `self ** other` element-wise, broadcasting (real-valued where defined).
    public func pow(_ other: Tensor) -> Tensor {
        let out = Kernels.broadcast(self, other, Power.self)
        let shape = out.shape
        let (a, b) = (self.detached(), other.detached())
        return Tensor.record("pow", inputs: [self, other], output: out) { g, needs in
            let (x, e) = (a.expand(to: shape), b.expand(to: shape))
            // d/da a^b = b·a^(b−1);  d/db a^b = a^b·ln a
            return [needs[0] ? Kernels.zip3(g, x, e, cost: 8) { g, x, e, d, r in
                        for i in r { d[i] = g[i] * e[i] * Foundation.pow(x[i], e[i] - 1) } }.sumToShape(a.shape) : nil,
                    needs[1] ? Kernels.zip3(g, x, out.detached(), cost: 8) { g, x, o, d, r in
                        for i in r { d[i] = g[i] * o[i] * Foundation.log(x[i]) } }.sumToShape(b.shape) : nil]
        }
    }

    /// `exp(self)`.
    public func exp() -> Tensor {
        let out = Kernels.map(self, cost: 2) { x, y, r in for i in r { y[i] = FastMath.exp(x[i]) } }
        return Tensor.record("exp", inputs: [self], output: out) { g, _ in [Kernels.broadcast(g, out.detached(), Multiply.self)] }
    }

    /// Natural logarithm.
    public func log() -> Tensor {
        let input = detached()
        let out = Kernels.map(self, cost: 4) { x, y, r in for i in r { y[i] = Foundation.log(x[i]) } }
        return Tensor.record("log", inputs: [self], output: out) { g, _ in [Kernels.broadcast(g, input, Divide.self)] }
    }

    /// Square root.
    public func sqrt() -> Tensor {
        let out = Kernels.map(self) { x, y, r in for i in r { y[i] = x[i].squareRoot() } }
        return Tensor.record("sqrt", inputs: [self], output: out) { g, _ in
            [Kernels.zip(g, out.detached()) { g, s, d, r in for i in r { d[i] = 0.5 * g[i] / s[i] } }]
        }
    }

    /// `1 / sqrt(self)`.
    public func rsqrt() -> Tensor {
        let out = Kernels.map(self) { x, y, r in for i in r { y[i] = 1 / x[i].squareRoot() } }
        return Tensor.record("rsqrt", inputs: [self], output: out) { g, _ in
            [Kernels.zip(g, out.detached()) { g, s, d, r in for i in r { d[i] = -0.5 * g[i] * s[i] * s[i] * s[i] } }]
        }
    }

    /// Absolute value (gradient `sign(x)`, 0 at 0 as in PyTorch).
    public func abs() -> Tensor {
        let input = detached()
        let out = Kernels.map(self) { x, y, r in for i in r { y[i] = Swift.abs(x[i]) } }
        return Tensor.record("abs", inputs: [self], output: out) { g, _ in
            [Kernels.zip(g, input) { g, x, d, r in for i in r { d[i] = x[i] > 0 ? g[i] : (x[i] < 0 ? -g[i] : 0) } }]
        }
    }

    /// Clamps into `[min, max]` (either bound optional); the gradient passes where the value was
    /// inside the bounds (inclusive, as PyTorch).
    public func clamp(min lower: Float? = nil, max upper: Float? = nil) -> Tensor {
        let lo = lower ?? -Float.infinity, hi = upper ?? Float.infinity
        let input = detached()
        let out = Kernels.map(self) { x, y, r in for i in r { y[i] = Swift.min(Swift.max(x[i], lo), hi) } }
        return Tensor.record("clamp", inputs: [self], output: out) { g, _ in
            [Kernels.zip(g, input) { g, x, d, r in for i in r { d[i] = (x[i] >= lo && x[i] <= hi) ? g[i] : 0 } }]
        }
    }

    /// Element-wise maximum with PyTorch's gradient rule: ties split the gradient equally.
    public func maximum(_ other: Tensor) -> Tensor {
        let out = Kernels.broadcast(self, other, Maximum.self)
        let shape = out.shape
        let (a, b) = (self.detached(), other.detached())
        return Tensor.record("maximum", inputs: [self, other], output: out) { g, needs in
            let share = Kernels.zip(a.expand(to: shape), b.expand(to: shape)) { x, y, d, r in
                for i in r { d[i] = x[i] > y[i] ? 1 : (x[i] == y[i] ? 0.5 : 0) }
            }
            return [needs[0] ? Kernels.broadcast(g, share, Multiply.self).sumToShape(a.shape) : nil,
                    needs[1] ? Kernels.zip(g, share) { g, s, d, r in for i in r { d[i] = g[i] * (1 - s[i]) } }.sumToShape(b.shape) : nil]
        }
    }

    /// `condition ? self : other`, element-wise with broadcasting; `condition` is nonzero for true.
    public func `where`(_ condition: Tensor, else other: Tensor) -> Tensor {
        let shape = Broadcasting.shape(Broadcasting.shape(condition.shape, self.shape), other.shape)
        let c = condition.detached().expand(to: shape)
        let a = self.expand(to: shape), b = other.expand(to: shape)
        let out = Kernels.zip3(c, a.detached(), b.detached()) { c, a, b, d, r in for i in r { d[i] = c[i] != 0 ? a[i] : b[i] } }
        return Tensor.record("where", inputs: [a, b], output: out) { g, needs in
            [needs[0] ? Kernels.zip(g, c) { g, c, d, r in for i in r { d[i] = c[i] != 0 ? g[i] : 0 } } : nil,
             needs[1] ? Kernels.zip(g, c) { g, c, d, r in for i in r { d[i] = c[i] != 0 ? 0 : g[i] } } : nil]
        }
    }

    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.adding(rhs) }
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.subtracting(rhs) }
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.multiplying(rhs) }
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor { lhs.dividing(rhs) }
    public static func + (lhs: Tensor, rhs: Float) -> Tensor { lhs.adding(rhs) }
    public static func + (lhs: Float, rhs: Tensor) -> Tensor { rhs.adding(lhs) }
    public static func - (lhs: Tensor, rhs: Float) -> Tensor { lhs.adding(-rhs) }
    public static func - (lhs: Float, rhs: Tensor) -> Tensor { rhs.negated().adding(lhs) }
    public static func * (lhs: Tensor, rhs: Float) -> Tensor { lhs.multiplying(rhs) }
    public static func * (lhs: Float, rhs: Tensor) -> Tensor { rhs.multiplying(lhs) }
    public static func / (lhs: Tensor, rhs: Float) -> Tensor { lhs.dividing(rhs) }
    public static prefix func - (x: Tensor) -> Tensor { x.negated() }
}

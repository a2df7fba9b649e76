import Foundation

// Arithmetic with PyTorch broadcasting. Gradients of broadcast operands are summed back to
// their own shape in one place, `sumToShape`.

extension Tensor {
    /// `self + other`, broadcasting.
    public func adding(_ other: Tensor) -> Tensor {
        let out = Kernels.broadcast(self, other, +)
        let (ls, rs) = (shape, other.shape)
        return Tensor.record("add", inputs: [self, other], output: out) { g, needs in
            [needs[0] ? g.sumToShape(ls) : nil, needs[1] ? g.sumToShape(rs) : nil]
        }
    }

    /// `self - other`, broadcasting.
    public func subtracting(_ other: Tensor) -> Tensor {
        let out = Kernels.broadcast(self, other, -)
        let (ls, rs) = (shape, other.shape)
        return Tensor.record("sub", inputs: [self, other], output: out) { g, needs in
            [needs[0] ? g.sumToShape(ls) : nil, needs[1] ? g.negated().sumToShape(rs) : nil]
        }
    }

    /// `self * other` element-wise, broadcasting.
    public func multiplying(_ other: Tensor) -> Tensor {
        let out = Kernels.broadcast(self, other, *)
        let (a, b) = (self.detached(), other.detached())
        return Tensor.record("mul", inputs: [self, other], output: out) { g, needs in
            [needs[0] ? Kernels.broadcast(g, b, *).sumToShape(a.shape) : nil,
             needs[1] ? Kernels.broadcast(g, a, *).sumToShape(b.shape) : nil]
        }
    }

    /// `self / other` element-wise, broadcasting.
    public func dividing(_ other: Tensor) -> Tensor {
        let out = Kernels.broadcast(self, other, /)
        let (a, b) = (self.detached(), other.detached())
        return Tensor.record("div", inputs: [self, other], output: out) { g, needs in
            let gb = Kernels.broadcast(g, b, /)
            return [needs[0] ? gb.sumToShape(a.shape) : nil,
                    needs[1] ? Kernels.broadcast(gb, out.detached(), { -$0 * $1 }).sumToShape(b.shape) : nil]
        }
    }

    /// `self + scalar`.
    public func adding(_ scalar: Float) -> Tensor {
        Tensor.record("add_scalar", inputs: [self], output: Kernels.map(self) { $0 + scalar }) { g, _ in [g] }
    }

    /// `self * scalar`.
    public func multiplying(_ scalar: Float) -> Tensor {
        Tensor.record("mul_scalar", inputs: [self], output: Kernels.map(self) { $0 * scalar }) { g, _ in
            [Kernels.map(g) { $0 * scalar }]
        }
    }

    /// `self / scalar` (a true division, so results match PyTorch bit for bit).
    public func dividing(_ scalar: Float) -> Tensor {
        Tensor.record("div_scalar", inputs: [self], output: Kernels.map(self) { $0 / scalar }) { g, _ in
            [Kernels.map(g) { $0 / scalar }]
        }
    }

    /// `-self`.
    public func negated() -> Tensor {
        Tensor.record("neg", inputs: [self], output: Kernels.map(self) { -$0 }) { g, _ in [g.negated()] }
    }

    /// `self ** exponent` element-wise.
    public func pow(_ exponent: Float) -> Tensor {
        let x = detached()
        let out: Tensor
        switch exponent {
        case 2: out = Kernels.map(self) { $0 * $0 }
        case 0.5: out = Kernels.map(self) { $0.squareRoot() }
        default: out = Kernels.map(self, cost: 8) { Foundation.pow($0, exponent) }
        }
        return Tensor.record("pow", inputs: [self], output: out) { g, _ in
            if exponent == 2 { return [Kernels.zip(g, x) { $0 * 2 * $1 }] }
            return [Kernels.zip(g, x, cost: 8) { $0 * exponent * Foundation.pow($1, exponent - 1) }]
        }
    }

    /// `self ** other` element-wise, broadcasting (real-valued where defined).
    public func pow(_ other: Tensor) -> Tensor {
        let out = Kernels.broadcast(self, other) { Foundation.pow($0, $1) }
        let (a, b) = (self.detached(), other.detached())
        return Tensor.record("pow", inputs: [self, other], output: out) { g, needs in
            var result: [Tensor?] = [nil, nil]
            if needs[0] {
                // d/da a^b = b a^(b-1)
                let local = Kernels.broadcast(a, b) { $1 * Foundation.pow($0, $1 - 1) }
                result[0] = Kernels.broadcast(g, local, *).sumToShape(a.shape)
            }
            if needs[1] {
                // d/db a^b = a^b ln a
                let logA = Kernels.map(a) { Foundation.log($0) }
                result[1] = Kernels.broadcast(Kernels.broadcast(g, out.detached(), *), logA, *).sumToShape(b.shape)
            }
            return result
        }
    }

    /// `exp(self)`.
    public func exp() -> Tensor {
        let out = Kernels.map(self, cost: 4) { Foundation.exp($0) }
        return Tensor.record("exp", inputs: [self], output: out) { g, _ in [Kernels.zip(g, out.detached(), *)] }
    }

    /// Natural logarithm.
    public func log() -> Tensor {
        let x = detached()
        return Tensor.record("log", inputs: [self], output: Kernels.map(self, cost: 4) { Foundation.log($0) }) { g, _ in
            [Kernels.zip(g, x, /)]
        }
    }

    /// Square root.
    public func sqrt() -> Tensor {
        let out = Kernels.map(self) { $0.squareRoot() }
        return Tensor.record("sqrt", inputs: [self], output: out) { g, _ in
            [Kernels.zip(g, out.detached()) { 0.5 * $0 / $1 }]
        }
    }

    /// `1 / sqrt(self)`.
    public func rsqrt() -> Tensor {
        let out = Kernels.map(self) { 1 / $0.squareRoot() }
        return Tensor.record("rsqrt", inputs: [self], output: out) { g, _ in
            [Kernels.zip(g, out.detached()) { -0.5 * $0 * $1 * $1 * $1 }]
        }
    }

    /// Absolute value (gradient `sign(x)`, 0 at 0 as in PyTorch).
    public func abs() -> Tensor {
        let x = detached()
        return Tensor.record("abs", inputs: [self], output: Kernels.map(self) { Swift.abs($0) }) { g, _ in
            [Kernels.zip(g, x) { $1 > 0 ? $0 : ($1 < 0 ? -$0 : 0) }]
        }
    }

    /// Clamps into `[min, max]` (either bound optional); the gradient passes where the value was
    /// inside the bounds (inclusive, as PyTorch).
    public func clamp(min lower: Float? = nil, max upper: Float? = nil) -> Tensor {
        let lo = lower ?? -Float.infinity, hi = upper ?? Float.infinity
        let x = detached()
        return Tensor.record("clamp", inputs: [self], output: Kernels.map(self) { Swift.min(Swift.max($0, lo), hi) }) { g, _ in
            [Kernels.zip(g, x) { ($1 >= lo && $1 <= hi) ? $0 : 0 }]
        }
    }

    /// Element-wise maximum with PyTorch's gradient rule: ties split the gradient equally.
    public func maximum(_ other: Tensor) -> Tensor {
        let out = Kernels.broadcast(self, other) { Swift.max($0, $1) }
        let (a, b) = (self.detached(), other.detached())
        return Tensor.record("maximum", inputs: [self, other], output: out) { g, needs in
            let shareA = Kernels.broadcast(a, b) { $0 > $1 ? 1 : ($0 == $1 ? 0.5 : 0) }
            return [needs[0] ? Kernels.broadcast(g, shareA, *).sumToShape(a.shape) : nil,
                    needs[1] ? Kernels.broadcast(g, shareA) { $0 * (1 - $1) }.sumToShape(b.shape) : nil]
        }
    }

    /// `condition ? self : other`, element-wise with broadcasting; `condition` is nonzero for true.
    public func `where`(_ condition: Tensor, else other: Tensor) -> Tensor {
        let shape = Broadcasting.shape(Broadcasting.shape(condition.shape, self.shape), other.shape)
        let c = withNoGrad { condition.expand(to: shape) }
        let a = self.expand(to: shape), b = other.expand(to: shape)
        let out = Kernels.zip3(c.detached(), a.detached(), b.detached()) { $0 != 0 ? $1 : $2 }
        return Tensor.record("where", inputs: [a, b], output: out) { g, needs in
            [needs[0] ? Kernels.zip(g, c) { $1 != 0 ? $0 : 0 } : nil,
             needs[1] ? Kernels.zip(g, c) { $1 != 0 ? 0 : $0 } : nil]
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

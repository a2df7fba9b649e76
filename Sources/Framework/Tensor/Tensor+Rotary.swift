// Rotary position embeddings applied as a fused rotation of feature pairs.

/// How a rotary embedding pairs up features.
public enum RotaryStyle: Sendable {
    /// Features `2i` and `2i+1` form pair `i` (complex multiplication on interleaved pairs:
    /// diffusers' Qwen-Image `apply_rotary_emb_qwen`, `use_real=False`).
    case interleaved
    /// Features `i` and `i + D/2` form pair `i` (`rotate_half`: transformers' Qwen2 / Llama).
    case halves
}

/// Rotation tables for one attention stream: `cos`/`sin` whose last dimension is `headDim/2` and
/// which broadcast against the rotated queries and keys (Qwen-Image's and FLUX's DiTs use
/// `[S, 1, headDim/2]` for `[B, S, heads, headDim]`, Qwen2's text encoder `[L, headDim/2]` for
/// `[B, heads, L, headDim]`).
public struct RotaryTables: Sendable {
    /// Cosines of the rotation angles.
    public let cos: Tensor
    /// Sines of the rotation angles.
    public let sin: Tensor

    /// Tables of equal shape.
    public init(cos: Tensor, sin: Tensor) {
        self.cos = cos
        self.sin = sin
    }
}

extension Tensor {
    /// Rotates feature pairs of the last dimension (size D) by the angles whose cosines and sines
    /// are given: `cos`/`sin` have last dimension D/2 and broadcast against `self.shape.dropLast()`.
    /// Pair `(a, b)` becomes `(a cos − b sin, a sin + b cos)`.
    public func applyingRotary(cos: Tensor, sin: Tensor, style: RotaryStyle) -> Tensor {
        let d = shape.last ?? 0
        precondition(d % 2 == 0 && cos.shape == sin.shape && cos.shape.last == d / 2,
                     "rotary: features \(shape) need cos/sin with last dimension \(d / 2), got \(cos.shape)")
        let rowsShape = Array(shape.dropLast()) + [d / 2]
        let tableStrides = Broadcasting.strides(of: cos.shape, broadcastTo: rowsShape)
        let out = Rotary.rotate(self, cos: cos, sin: sin, tableStrides: tableStrides, style: style, inverse: false)
        let (c, s) = (cos.detached(), sin.detached())
        return Tensor.record("rotary", inputs: [self], output: out) { g, _ in
            [Rotary.rotate(g, cos: c, sin: s, tableStrides: tableStrides, style: style, inverse: true)]
        }
    }
}

enum Rotary {
    /// Rotation by the table's angles, or by their negatives (`inverse`, the adjoint used in backward).
    static func rotate(_ x: Tensor, cos: Tensor, sin: Tensor, tableStrides: [Int], style: RotaryStyle, inverse: Bool) -> Tensor {
        let d = x.shape.last!, half = d / 2
        let rows = x.count / Swift.max(d, 1)
        let out = TensorStorage(uninitializedCount: x.count)
        let outerShape = Array(x.shape.dropLast())
        let outerStrides = [Array(tableStrides.dropLast())]
        let pairStride = tableStrides.last!
        nonisolated(unsafe) let src = UnsafePointer(x.storage.pointer)
        nonisolated(unsafe) let dst = out.pointer
        nonisolated(unsafe) let pc = UnsafePointer(cos.storage.pointer)
        nonisolated(unsafe) let ps = UnsafePointer(sin.storage.pointer)
        let sign: Float = inverse ? -1 : 1
        let (first, second, step): (Int, Int, Int) = style == .interleaved ? (0, 1, 2) : (0, half, 1)
        Parallel.forEachRange(rows, costPerElement: d) { range in
            var index = OuterIndex(shape: outerShape.isEmpty ? [1] : outerShape, strides: [outerShape.isEmpty ? [0] : outerStrides[0]],
                                   startingAt: range.lowerBound)
            for r in range {
                let xr = src + r * d, yr = dst + r * d
                let cr = pc + index.offsets[0], sr = ps + index.offsets[0]
                for i in 0..<half {
                    let c = cr[i * pairStride], s = sign * sr[i * pairStride]
                    let a = xr[first + i * step], b = xr[second + i * step]
                    yr[first + i * step] = a * c - b * s
                    yr[second + i * step] = a * s + b * c
                }
                index.advance()
            }
        }
        return Tensor(shape: x.shape, storage: out)
    }
}

/// Reductions of one contiguous row with eight independent accumulators.
///
/// A single running total makes every addition wait for the previous one, and the compiler
/// may not reorder floating-point sums on its own; eight partial results keep the vector units
/// busy, and also keep the rounding error of long sums small.
enum RowMath {
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        reduce(n, 0, { $0 + x[$1] }, +)
    }

    /// Σ (x − shift)².
    @inline(__always)
    static func sumOfSquares(_ x: UnsafePointer<Float>, _ n: Int, shift: Float = 0) -> Float {
        reduce(n, 0, { let c = x[$1] - shift; return $0 + c * c }, +)
    }

    /// Σ a·b.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        reduce(n, 0, { $0 + a[$1] * b[$1] }, +)
    }

    /// The largest element (−∞ for an empty row).
    @inline(__always)
    static func max(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        reduce(n, -.infinity, { Swift.max($0, x[$1]) }, { Swift.max($0, $1) })
    }

    /// Folds `step(accumulator, index)` over `0..<n` into eight accumulators, then combines them.
    @inline(__always)
    private static func reduce(_ n: Int, _ initial: Float, _ step: (Float, Int) -> Float, _ combine: (Float, Float) -> Float) -> Float {
        var a0 = initial, a1 = initial, a2 = initial, a3 = initial
        var a4 = initial, a5 = initial, a6 = initial, a7 = initial
        var i = 0
        while i &+ 8 <= n {
            a0 = step(a0, i); a1 = step(a1, i &+ 1); a2 = step(a2, i &+ 2); a3 = step(a3, i &+ 3)
            a4 = step(a4, i &+ 4); a5 = step(a5, i &+ 5); a6 = step(a6, i &+ 6); a7 = step(a7, i &+ 7)
            i &+= 8
        }
        while i < n { a0 = step(a0, i); i &+= 1 }
        return combine(combine(combine(a0, a1), combine(a2, a3)), combine(combine(a4, a5), combine(a6, a7)))
    }
}

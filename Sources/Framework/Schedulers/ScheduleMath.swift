import Foundation

/// The numeric building blocks of schedule tables, written so that each value comes out exactly
/// as diffusers computes it: numpy float64 where diffusers uses numpy float64, torch float32
/// where it uses torch, with the conversion to float32 at the same place.
///
/// Value-for-value agreement matters because the tables feed every sampling step: a sigma one
/// float32 ulp off shifts a whole trajectory, and fixtures recorded from diffusers are compared
/// at 1e-6.
enum ScheduleMath {
    /// `torch.linspace(start, end, count)` in float32, as x86-64 torch computes it.
    ///
    /// torch's CPU kernel evaluates `start + step·i` for the first half and `end − step·(count−1−i)`
    /// for the second, in float32; the AVX2/AVX-512 builds that x86-64 machines run contract both
    /// into fused multiply-adds (one rounding), which changes about one value in ten against the
    /// unfused formula. `addingProduct` is that single-rounding operation.
    static func torchLinspace(_ start: Float, _ end: Float, count: Int) -> [Float] {
        precondition(count >= 1, "linspace needs at least one value")
        if count == 1 { return [start] }
        let step = (end - start) / Float(count - 1)
        let halfway = count / 2
        return (0..<count).map { i in
            i < halfway ? start.addingProduct(step, Float(i)) : end.addingProduct(-step, Float(count - 1 - i))
        }
    }

    /// `np.linspace(start, stop, count)` in float64: `i·step + start` rounded twice (numpy multiplies
    /// and adds in separate passes), with the last value set to `stop` exactly.
    static func numpyLinspace(_ start: Double, _ stop: Double, count: Int) -> [Double] {
        precondition(count >= 1, "linspace needs at least one value")
        if count == 1 { return [start] }
        let divisions = Double(count - 1)
        let delta = stop - start
        let step = delta / divisions
        var values = (0..<count).map { i in
            // numpy's fallback for a zero step (start == stop) scales by delta after dividing.
            step == 0 ? Double(i) / divisions * delta + start : Double(i) * step + start
        }
        values[count - 1] = stop
        return values
    }

    /// `np.arange(start, stop, step)` in float64 (numpy fills `start + i·(value₁ − start)` where
    /// `value₁ = start + step`, and takes `ceil((stop − start) / step)` values).
    static func numpyArange(_ start: Double, _ stop: Double, step: Double) -> [Double] {
        let length = max(Int(((stop - start) / step).rounded(.up)), 0)
        guard length > 1 else { return length == 1 ? [start] : [] }
        let delta = (start + step) - start
        return (0..<length).map { i in i == 0 ? start : start + Double(i) * delta }
    }

    /// The float64 a Python user means by a `Float` parameter such as `0.8` or a strength of `0.7`.
    ///
    /// Python passes these as float64 literals; widening the float32 instead (0.800000011920929…)
    /// would change `exp(mu)` and `int(steps · strength)` in their last digits. The shortest decimal
    /// that reads back as the same float32 is the number that was written.
    static func decimal(_ value: Float) -> Double {
        Double(value.description) ?? Double(value)
    }
}

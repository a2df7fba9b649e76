import Foundation
import Testing
@testable import DiffSynth

@Suite("Fast transcendental functions against Double libm")
struct FastMathTests {
    /// Every 97th float pattern between −`limit` and `limit`, plus special values.
    static func samples(_ limit: Float) -> [Float] {
        var values: [Float] = [0, -0, 1e-30, -1e-30, limit, -limit]
        var x = -limit
        while x < limit { values.append(x); x += limit / 50_000 }
        return values
    }

    @Test("exp within 2 ulp on [-87, 88], 0 below -104 and for -inf, inf above 88.72, NaN kept")
    func exp() {
        var worstUlps: Float = 0
        for x in Self.samples(87) {
            let reference = Float(Foundation.exp(Double(x)))
            worstUlps = max(worstUlps, abs(FastMath.exp(x) - reference) / reference.ulp)
        }
        #expect(worstUlps <= 2, "worst error \(worstUlps) ulp")
        #expect(FastMath.exp(-.infinity) == 0 && FastMath.exp(-200) == 0)
        #expect(FastMath.exp(.infinity) == .infinity && FastMath.exp(100) == .infinity)
        #expect(FastMath.exp(.nan).isNaN)
        #expect(abs(FastMath.exp(-100) - Float(Foundation.exp(-100.0))) <= 2 * Float.leastNonzeroMagnitude)
    }

    @Test("tanh, sigmoid and erf within 3e-7 absolute")
    func smoothFunctions() {
        var worst: (tanh: Double, sigmoid: Double, erf: Double) = (0, 0, 0)
        for x in Self.samples(12) {
            let d = Double(x)
            worst.tanh = max(worst.tanh, abs(Double(FastMath.tanh(x)) - Foundation.tanh(d)))
            worst.sigmoid = max(worst.sigmoid, abs(Double(FastMath.sigmoid(x)) - 1 / (1 + Foundation.exp(-d))))
            worst.erf = max(worst.erf, abs(Double(FastMath.erf(x)) - Foundation.erf(d)))
        }
        #expect(worst.tanh < 3e-7, "tanh \(worst.tanh)")
        #expect(worst.sigmoid < 3e-7, "sigmoid \(worst.sigmoid)")
        #expect(worst.erf < 3e-7, "erf \(worst.erf)")
        #expect(FastMath.tanh(1e-20) == 1e-20 && FastMath.erf(0) == 0)
    }
}

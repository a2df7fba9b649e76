/// Numerical verification of gradients by central finite differences, for tests of ops and
/// layers (here and in adapters).
public enum GradientCheck {
    /// The worst disagreement between the analytic gradient of `Σ f(inputs) · projection` and
    /// its central finite difference, over every element of every input.
    ///
    /// The random `projection` (fixed by `seed`) turns any output into a scalar whose gradient
    /// exercises every output element with a different weight. The error of one element is
    /// `|analytic − numeric| / max(1, |analytic|, |numeric|)`: absolute for small gradients,
    /// relative for large ones. Float32 central differences with `epsilon = 1e-2` are typically
    /// good to ~1e-3 on smooth functions.
    public static func maximumError(
        _ inputs: [Tensor], epsilon: Float = 1e-2, seed: UInt64 = 7, _ f: ([Tensor]) -> Tensor
    ) -> Float {
        let leaves = inputs.map { $0.detached().requiringGrad() }
        let output = f(leaves)
        var state = seed
        let projection = Tensor(shape: output.shape, scalars: (0..<output.count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000 - 1000) / 1000
        })
        (output * projection).sum().backward()
        func objective(_ values: [Tensor]) -> Double {
            let y = withNoGrad { f(values) }
            var total = 0.0
            for (a, b) in zip(y.scalars, projection.scalars) { total += Double(a) * Double(b) }
            return total
        }
        var worst: Float = 0
        for (k, input) in inputs.enumerated() {
            let analytic = leaves[k].grad?.scalars ?? Array(repeating: 0, count: input.count)
            var values = input.scalars
            for i in 0..<input.count {
                let original = values[i]
                var perturbed = inputs.map { $0.detached() }
                values[i] = original + epsilon
                perturbed[k] = Tensor(shape: input.shape, scalars: values)
                let plus = objective(perturbed)
                values[i] = original - epsilon
                perturbed[k] = Tensor(shape: input.shape, scalars: values)
                let minus = objective(perturbed)
                values[i] = original
                let numeric = Float((plus - minus) / Double(2 * epsilon))
                let error = Swift.abs(analytic[i] - numeric) / Swift.max(1, Swift.abs(analytic[i]), Swift.abs(numeric))
                worst = Swift.max(worst, error)
            }
        }
        return worst
    }
}

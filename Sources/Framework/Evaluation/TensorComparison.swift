import Foundation

/// How far a result is from a reference: the measure every parity check here states its
/// tolerance in (adapter parity tests against diffusers, the CUDA backend against the CPU).
public struct TensorComparison: CustomStringConvertible, Sendable {
    /// max |a − b|.
    public let maxAbsolute: Float
    /// max |a − b| / max |b|: the error relative to the reference's scale.
    public let maxRelative: Float

    /// Compares `actual` with `expected` element by element (shapes must agree).
    public init(_ actual: Tensor, _ expected: Tensor) {
        precondition(actual.shape == expected.shape, "shape \(actual.shape) vs reference \(expected.shape)")
        self.init(actual.scalars, expected.scalars)
    }

    /// Compares two equally long arrays element by element.
    public init(_ actual: [Float], _ expected: [Float]) {
        precondition(actual.count == expected.count, "\(actual.count) values vs \(expected.count) in the reference")
        var worst: Float = 0, scale: Float = 0
        for i in actual.indices {
            worst = max(worst, abs(actual[i] - expected[i]))
            scale = max(scale, abs(expected[i]))
        }
        maxAbsolute = worst
        maxRelative = worst / max(scale, 1e-30)
    }

    public var description: String { String(format: "max abs %.3e, max rel %.3e", maxAbsolute, maxRelative) }
}

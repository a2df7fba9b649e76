/// What ``DiffusionPipeline/keepFrozenWeightsInHalfPrecision()`` did.
public struct HalfPrecisionReport: Sendable, CustomStringConvertible {
    /// Weights now kept in 16 bits.
    public var weights = 0
    /// Bytes of Float32 elements released (half of their size is kept).
    public var bytesSaved = 0
    /// Weights whose values had to be rounded (their checkpoint was neither BF16 nor F16).
    public var rounded = 0

    public var description: String {
        String(format: "%d frozen weights kept in 16 bits (%.1f MB saved)", weights, Double(bytesSaved) / 1e6)
            + (rounded == 0 ? ", all exact (16-bit checkpoint)" : ", \(rounded) rounded to BF16 (their checkpoint was Float32)")
    }
}

extension DiffusionPipeline {
    /// Keeps every frozen weight of the linear and convolution layers of every component in 16
    /// bits (``Parameter/keepInHalfPrecision()``): the teacher, the encoders, the VAE and a
    /// LoRA's base model then take half their Float32 memory, and results are unchanged when the
    /// checkpoint itself was 16-bit. Trainable parameters (and those made trainable later, which
    /// are widened back) stay Float32, as do norms, biases and embedding tables.
    @discardableResult
    public func keepFrozenWeightsInHalfPrecision() -> HalfPrecisionReport {
        var report = HalfPrecisionReport()
        for component in components {
            for weight in component.module.layerWeights() {
                // Weights narrowed while loading (LoadedWeights) return their copy and are counted too.
                guard let copy = weight.keepInHalfPrecision() else { continue }
                report.weights += 1
                report.bytesSaved += 2 * copy.count
                if !copy.isExact { report.rounded += 1 }
            }
        }
        return report
    }
}

extension Tensor {
    /// Standard normal samples, element for element what
    /// `torch.randn(shape, generator=generator)` gives on CPU.
    public static func randn(_ shape: [Int], generator: inout TorchGenerator) -> Tensor {
        Tensor(shape: shape, scalars: generator.randn(count: shape.elementCount))
    }

    /// Standard normal samples rounded to bfloat16 (and widened back): what DiffSynth-Studio's
    /// Qwen-Image pipeline draws with `torch.randn(..., dtype=torch.bfloat16)`.
    public static func randnRoundedToBFloat16(_ shape: [Int], generator: inout TorchGenerator) -> Tensor {
        Tensor(shape: shape, scalars: generator.randnRoundedToBFloat16(count: shape.elementCount))
    }

    /// Uniform samples in [0, 1), as `torch.rand(shape, generator=generator)`.
    public static func rand(_ shape: [Int], generator: inout TorchGenerator) -> Tensor {
        Tensor(shape: shape, scalars: generator.rand(count: shape.elementCount))
    }
}

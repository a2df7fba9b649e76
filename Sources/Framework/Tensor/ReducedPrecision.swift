/// Conversions between Float32 and the 16-bit formats checkpoints are stored in.
///
/// Compute happens in Float32; BF16/F16 weights are widened on load and narrowed on save.
/// Narrowing rounds to nearest, ties to even, exactly like `tensor.to(torch.bfloat16)` /
/// `tensor.half()` in PyTorch; NaN stays NaN.
public enum ReducedPrecision {
    /// Float32 → bfloat16 bit pattern, round to nearest even (PyTorch's `c10::BFloat16` rounding).
    @inlinable
    public static func bfloat16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: (bits >> 16) | 0x0040) }
        let lsb = (bits >> 16) & 1
        let rounded = bits &+ 0x7FFF &+ lsb
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }

    /// bfloat16 bit pattern → Float32 (exact).
    @inlinable
    public static func float(bfloat16Bits bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Rounds a Float32 to the nearest bfloat16 value and widens it back (what `x.bfloat16().float()` gives).
    @inlinable
    public static func roundedToBFloat16(_ value: Float) -> Float {
        float(bfloat16Bits: bfloat16Bits(value))
    }

    /// Float32 → IEEE half bit pattern, round to nearest even; overflow gives ±infinity.
    @inlinable
    public static func float16Bits(_ value: Float) -> UInt16 {
        Float16(value).bitPattern
    }

    /// IEEE half bit pattern → Float32 (exact).
    @inlinable
    public static func float(float16Bits bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }
}

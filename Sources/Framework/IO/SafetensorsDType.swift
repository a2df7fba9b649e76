/// An element type a safetensors header can name, spelled as in the file (`"F32"`, `"BF16"`, …).
///
/// The cases are declared in the order of the reference Rust crate's `Dtype` enum. That order
/// matters: writers lay tensors out by descending position in it (then by name), so
/// ``SafetensorsWriter`` needs it to produce the same bytes as `safetensors.torch.save_file`.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    /// Boolean, one byte per element (0 or 1).
    case bool = "BOOL"
    /// MX FP4 (E2M1), two elements per byte.
    case f4 = "F4"
    /// MX FP6 E2M3, four elements per three bytes.
    case f6E2M3 = "F6_E2M3"
    /// MX FP6 E3M2, four elements per three bytes.
    case f6E3M2 = "F6_E3M2"
    /// Unsigned 8-bit integer.
    case u8 = "U8"
    /// Signed 8-bit integer.
    case i8 = "I8"
    /// FP8 with 5 exponent and 2 mantissa bits (IEEE-like: has infinities), `torch.float8_e5m2`.
    case f8E5M2 = "F8_E5M2"
    /// FP8 with 4 exponent and 3 mantissa bits, no infinities, `torch.float8_e4m3fn`.
    case f8E4M3 = "F8_E4M3"
    /// MX E8M0 scale: a bare power-of-two exponent.
    case f8E8M0 = "F8_E8M0"
    /// FP8 E4M3 in the "FNUZ" variant (single NaN, no negative zero).
    case f8E4M3FNUZ = "F8_E4M3FNUZ"
    /// FP8 E5M2 in the "FNUZ" variant (single NaN, no negative zero).
    case f8E5M2FNUZ = "F8_E5M2FNUZ"
    /// Signed 16-bit integer.
    case i16 = "I16"
    /// Unsigned 16-bit integer.
    case u16 = "U16"
    /// IEEE 754 binary16.
    case f16 = "F16"
    /// bfloat16: the top half of a Float32.
    case bf16 = "BF16"
    /// Signed 32-bit integer.
    case i32 = "I32"
    /// Unsigned 32-bit integer.
    case u32 = "U32"
    /// IEEE 754 binary32.
    case f32 = "F32"
    /// Complex number made of two Float32 parts.
    case c64 = "C64"
    /// IEEE 754 binary64.
    case f64 = "F64"
    /// Signed 64-bit integer.
    case i64 = "I64"
    /// Unsigned 64-bit integer.
    case u64 = "U64"

    /// Bits per element; 4 and 6 for the sub-byte MX formats.
    public var bitSize: Int {
        switch self {
        case .f4: return 4
        case .f6E2M3, .f6E3M2: return 6
        case .bool, .u8, .i8, .f8E5M2, .f8E4M3, .f8E8M0, .f8E4M3FNUZ, .f8E5M2FNUZ: return 8
        case .i16, .u16, .f16, .bf16: return 16
        case .i32, .u32, .f32: return 32
        case .c64, .f64, .i64, .u64: return 64
        }
    }

    /// Bytes per element, or `nil` for the sub-byte formats whose elements share bytes.
    public var byteSize: Int? {
        bitSize % 8 == 0 ? bitSize / 8 : nil
    }

    /// Whether ``SafetensorsFile/tensor(_:)`` can widen this type to Float32.
    ///
    /// The MX formats (F4, F6, E8M0), the FNUZ FP8 variants and C64 have no Float32 reading
    /// here; their bytes remain reachable through ``SafetensorsFile/rawBytes(_:)``.
    public var isConvertibleToFloat32: Bool {
        switch self {
        case .f4, .f6E2M3, .f6E3M2, .f8E8M0, .f8E4M3FNUZ, .f8E5M2FNUZ, .c64: return false
        default: return true
        }
    }

    /// Whether ``SafetensorsWriter`` can store Float32 tensors as this type.
    public var isWritable: Bool {
        self == .f32 || self == .f16 || self == .bf16
    }

    /// Position in the reference crate's `Dtype` order (declaration order here); writers place
    /// tensors with a higher rank first.
    var layoutRank: Int {
        Self.allCases.firstIndex(of: self)!
    }
}

import Dispatch
import Foundation

/// Conversion of stored tensor elements to the Float32 the framework computes in.
///
/// The loops read little-endian values with unaligned loads (tensor data in a file has no
/// alignment guarantee) and are written so the compiler vectorises them; on one core they
/// already run at memory bandwidth. Large tensors are still split across cores, because most of
/// the time of reading into a fresh tensor goes to first-touch page faults on the destination,
/// kernel work that proceeds in parallel on idle cores.
enum SafetensorsWidening {
    /// Below this many elements one core does the work: waking others costs more than it saves.
    static let parallelThreshold = 1 << 20

    /// Widens `count` elements of `dtype` at `source` into `destination`.
    ///
    /// Integers convert with round-to-nearest like PyTorch's `.float()`, so I64/U64/I32/U32
    /// magnitudes beyond 2^24 lose precision. BOOL reads any non-zero byte as 1.
    /// `dtype` must satisfy ``SafetensorsDType/isConvertibleToFloat32``. `maximumTasks` caps the
    /// number of cores used (benchmarks compare 1 with the default).
    static func widen(_ dtype: SafetensorsDType, from source: UnsafeRawPointer, count: Int,
                      into destination: UnsafeMutablePointer<Float>,
                      maximumTasks: Int = ProcessInfo.processInfo.activeProcessorCount) {
        let tasks = count >= parallelThreshold ? max(1, maximumTasks) : 1
        if tasks == 1 {
            widenRange(dtype, source, destination, 0..<count)
            return
        }
        // The pointers are only read (source) or written in disjoint ranges (destination).
        nonisolated(unsafe) let source = source
        nonisolated(unsafe) let destination = destination
        DispatchQueue.concurrentPerform(iterations: tasks) { task in
            // Chunk boundaries on multiples of 1024 elements keep each task's stores on whole cache lines.
            let start = (count * task / tasks) & ~1023
            let end = task == tasks - 1 ? count : (count * (task + 1) / tasks) & ~1023
            widenRange(dtype, source, destination, start..<end)
        }
    }

    /// Widens elements `range` (indices into both buffers).
    ///
    /// Byte offsets use wrapping `&*`: a checked multiply's overflow trap stops the loops from
    /// vectorising, and the header validation already proved `count × size` fits.
    private static func widenRange(_ dtype: SafetensorsDType, _ source: UnsafeRawPointer,
                                   _ destination: UnsafeMutablePointer<Float>, _ range: Range<Int>) {
        switch dtype {
        case .f32:
            UnsafeMutableRawPointer(destination + range.lowerBound)
                .copyMemory(from: source + range.lowerBound * 4, byteCount: range.count * 4)
        case .bf16:
            for i in range {
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self))
                destination[i] = Float(bitPattern: UInt32(bits) << 16)
            }
        case .f16:
            for i in range {
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self))
                destination[i] = floatFromHalfBits(bits)
            }
        case .f8E5M2:
            // E5M2 is the upper byte of an IEEE half.
            for i in range {
                destination[i] = floatFromHalfBits(UInt16(source.load(fromByteOffset: i, as: UInt8.self)) << 8)
            }
        case .f8E4M3:
            e4m3Table.withUnsafeBufferPointer { table in
                for i in range { destination[i] = table[Int(source.load(fromByteOffset: i, as: UInt8.self))] }
            }
        case .f64:
            for i in range {
                let bits = UInt64(littleEndian: source.loadUnaligned(fromByteOffset: i &* 8, as: UInt64.self))
                destination[i] = Float(Double(bitPattern: bits))
            }
        case .i64:
            for i in range { destination[i] = Float(Int64(littleEndian: source.loadUnaligned(fromByteOffset: i &* 8, as: Int64.self))) }
        case .u64:
            for i in range { destination[i] = Float(UInt64(littleEndian: source.loadUnaligned(fromByteOffset: i &* 8, as: UInt64.self))) }
        case .i32:
            for i in range { destination[i] = Float(Int32(littleEndian: source.loadUnaligned(fromByteOffset: i &* 4, as: Int32.self))) }
        case .u32:
            for i in range { destination[i] = Float(UInt32(littleEndian: source.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self))) }
        case .i16:
            for i in range { destination[i] = Float(Int16(littleEndian: source.loadUnaligned(fromByteOffset: i &* 2, as: Int16.self))) }
        case .u16:
            for i in range { destination[i] = Float(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self))) }
        case .i8:
            for i in range { destination[i] = Float(source.load(fromByteOffset: i, as: Int8.self)) }
        case .u8:
            for i in range { destination[i] = Float(source.load(fromByteOffset: i, as: UInt8.self)) }
        case .bool:
            for i in range { destination[i] = source.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0 }
        case .f4, .f6E2M3, .f6E3M2, .f8E8M0, .f8E4M3FNUZ, .f8E5M2FNUZ, .c64:
            preconditionFailure("\(dtype.rawValue) has no Float32 conversion")
        }
    }

    /// IEEE half → Float32, exact, branch-free so the loop vectorises (Swift's `Float(Float16)`
    /// is a library call per element on x86-64 without F16C). Subnormal halves go through an
    /// integer-to-float conversion rather than a multiply by 2^112, which would hit the slow
    /// subnormal-operand path of x86 multipliers.
    @inline(__always)
    static func floatFromHalfBits(_ half: UInt16) -> Float {
        let bits = UInt32(half)
        let sign = (bits & 0x8000) << 16
        let magnitude = bits & 0x7FFF
        let exponent = bits & 0x7C00
        // Normal: rebias the exponent from 15 to 127 ((127 - 15) << 23 = 0x3800_0000).
        let normal = (magnitude << 13) &+ 0x3800_0000
        // Infinity and NaN: maximal exponent, mantissa (NaN payload) kept.
        let special = (magnitude << 13) | 0x7F80_0000
        // Subnormal and zero: mantissa × 2^-24, exact in Float32.
        let subnormal = (Float(bits & 0x03FF) * 0x1p-24).bitPattern
        let magnitudeBits = exponent == 0 ? subnormal : (exponent == 0x7C00 ? special : normal)
        return Float(bitPattern: magnitudeBits | sign)
    }

    /// `torch.float8_e4m3fn` values: bias 7, no infinities, S.1111.111 is NaN.
    static let e4m3Table: [Float] = (0..<256).map { byte in
        let sign: Float = byte & 0x80 != 0 ? -1 : 1
        let exponent = (byte >> 3) & 0xF
        let mantissa = Float(byte & 0x7)
        if exponent == 0xF && byte & 0x7 == 0x7 { return .nan }
        if exponent == 0 { return sign * mantissa / 8 * 0x1p-6 }
        return sign * (1 + mantissa / 8) * Float(sign: .plus, exponent: exponent - 7, significand: 1)
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// A frozen weight kept in memory as 16-bit floats and widened to Float32 a tile at a time where
/// it is used — half the memory of its Float32 copy.
///
/// The format is chosen so that nothing is lost when the checkpoint itself was 16-bit (published
/// Qwen-Image weights are BF16, SDXL's F16): BF16 when every value is a BF16 value, else F16 when
/// every value is an F16 value, else BF16 rounded to nearest even (``isExact`` is then false).
/// Compute stays Float32 throughout; only the stored weight is narrow.
public final class HalfPrecisionWeight: @unchecked Sendable {
    public enum Format: String, Sendable { case bfloat16 = "bf16", float16 = "f16" }

    public let shape: [Int]
    public let format: Format
    /// Whether widening gives back exactly the Float32 values it was made from.
    public let isExact: Bool
    public var count: Int { shape.reduce(1, *) }
    let bits: UnsafeMutablePointer<UInt16>

    /// The 16-bit copy of `tensor`'s values.
    public init(_ tensor: Tensor) {
        shape = tensor.shape
        let n = tensor.count
        bits = .allocate(capacity: Swift.max(n, 1))
        nonisolated(unsafe) let (src, dst) = (UnsafePointer(tensor.storage.pointer), bits)
        // One pass narrows to BF16 and checks that nothing was lost (the usual case: a BF16
        // checkpoint); only otherwise is F16 tried, and then BF16 rounding kept.
        let narrowedExactly = { (f16: Bool) -> Bool in
            Parallel.mapRanges(n) { range in
                var lossless = true
                for i in range {
                    let x = src[i]
                    if f16 {
                        dst[i] = Float16(x).bitPattern
                        lossless = lossless && Float(Float16(bitPattern: dst[i])).bitPattern == x.bitPattern
                    } else {
                        dst[i] = ReducedPrecision.bfloat16Bits(x)
                        lossless = lossless && (ReducedPrecision.float(bfloat16Bits: dst[i]).bitPattern == x.bitPattern || x.isNaN)
                    }
                }
                return lossless
            }.allSatisfy { $0 }
        }
        if narrowedExactly(false) {
            (format, isExact) = (.bfloat16, true)
        } else if narrowedExactly(true) {
            (format, isExact) = (.float16, true)
        } else {
            _ = narrowedExactly(false)
            (format, isExact) = (.bfloat16, false)
        }
    }

    deinit { bits.deallocate() }

    /// Widens elements `range` into `destination` (element `range.lowerBound` goes to `destination[0]`).
    @inline(__always)
    func widen(_ range: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        nonisolated(unsafe) let (src, dst) = (UnsafePointer(bits + range.lowerBound), destination)
        let bf16 = format == .bfloat16
        Parallel.forEachRange(range.count, costPerElement: 1) { r in
            if bf16 {
                for i in r { dst[i] = Float(bitPattern: UInt32(src[i]) << 16) }
            } else {
                for i in r { dst[i] = Float(Float16(bitPattern: src[i])) }
            }
        }
    }

    /// The whole weight as a fresh Float32 tensor.
    public func widened() -> Tensor {
        let storage = TensorStorage(uninitializedCount: count)
        widen(0..<count, into: storage.pointer)
        return Tensor(shape: shape, storage: storage)
    }
}

/// One reusable Float32 buffer per thread, for transient work such as a widened weight tile:
/// large buffers allocated per call would be fresh pages (page faults and zeroing) every time.
enum ScratchBuffer {
    private final class Box {
        var pointer: UnsafeMutablePointer<Float>?
        var capacity = 0
        deinit { pointer?.deallocate() }
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { raw in if let raw { Unmanaged<Box>.fromOpaque(raw).release() } }
        return key
    }()

    /// Calls `body` with this thread's buffer of at least `count` floats (contents undefined).
    /// Not reentrant: `body` must not ask for the buffer again.
    static func withFloats<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        let box: Box
        if let raw = pthread_getspecific(key) {
            box = Unmanaged<Box>.fromOpaque(raw).takeUnretainedValue()
        } else {
            box = Box()
            pthread_setspecific(key, Unmanaged.passRetained(box).toOpaque())
        }
        if box.capacity < count {
            box.pointer?.deallocate()
            box.pointer = .allocate(capacity: count)
            box.capacity = count
        }
        return body(box.pointer!)
    }
}

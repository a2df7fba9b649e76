import Foundation
import CSystem

/// A contiguous, 64-byte aligned Float32 buffer owned by one or more ``Tensor`` values.
///
/// Tensors are immutable values: an operation writes a fresh storage and never touches its
/// inputs' storage. The only in-place writers are optimisers updating parameters, which own
/// their storage. That is why sharing a storage between tensors (reshape) is safe.
public final class TensorStorage: @unchecked Sendable {
    /// Number of Float32 elements.
    public let count: Int
    /// Start of the buffer; valid for `count` elements for the lifetime of the storage.
    public let pointer: UnsafeMutablePointer<Float>

    /// Allocates uninitialised storage for `count` elements.
    public init(uninitializedCount count: Int) {
        precondition(count >= 0, "negative element count")
        _ = Self.allocatorTuning
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        self.pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// Allocates storage filled with `value`.
    public convenience init(count: Int, repeating value: Float) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: value, count: count)
    }

    /// glibc gives every allocation above 128 KB (growing adaptively to 32 MB) fresh pages from
    /// mmap and returns them on free, so a training step — thousands of activations of a few MB,
    /// freed and reallocated every step — paid page faults and kernel zeroing on each (2–3 % of
    /// samples). Buffers up to 64 MB now come from the heap and are reused; the heap is trimmed
    /// only past 256 MB free. Measured: 5–7 % faster steps, the same peak RSS. Skipped when the
    /// user set glibc's own `MALLOC_MMAP_THRESHOLD_` / `MALLOC_TRIM_THRESHOLD_`.
    private static let allocatorTuning: Void = {
        let environment = ProcessInfo.processInfo.environment
        diffsynth_set_malloc_thresholds(environment["MALLOC_MMAP_THRESHOLD_"] == nil ? 64 << 20 : 0,
                                        environment["MALLOC_TRIM_THRESHOLD_"] == nil ? 256 << 20 : 0)
    }()

    deinit {
        UnsafeMutableRawPointer(pointer).deallocate()
    }

    /// A read-only view of the elements.
    public var buffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: pointer, count: count) }
}

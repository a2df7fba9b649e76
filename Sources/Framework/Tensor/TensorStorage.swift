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
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        self.pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// Allocates storage filled with `value`.
    public convenience init(count: Int, repeating value: Float) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: value, count: count)
    }

    deinit {
        UnsafeMutableRawPointer(pointer).deallocate()
    }

    /// A read-only view of the elements.
    public var buffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: pointer, count: count) }
}

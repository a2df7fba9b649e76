/// LSB-first bit writer for deflate output (RFC 1951 §3.1.1), into a growing raw buffer.
/// Non-copyable, so the buffer has exactly one owner and is freed exactly once.
struct DeflateBitWriter: ~Copyable {
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0
    /// Pending bits, first bit in the least significant position; fewer than 32 between calls.
    private var accumulator: UInt64 = 0
    private var pending = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        buffer = .allocate(capacity: self.capacity)
    }

    private mutating func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        let newCapacity = max(capacity * 2, count + extra)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        grown.update(from: buffer, count: count)
        buffer.deallocate()
        buffer = grown
        capacity = newCapacity
    }

    /// Appends the low `count` bits of `value` (count ≤ 32).
    @inline(__always)
    mutating func write(_ value: UInt32, _ bitCount: Int) {
        accumulator |= UInt64(value) << UInt64(pending)
        pending += bitCount
        if pending >= 32 {
            if count + 4 > capacity { reserve(4) }
            UnsafeMutableRawPointer(buffer + count).storeBytes(of: UInt32(truncatingIfNeeded: accumulator).littleEndian,
                                                               as: UInt32.self)
            count += 4
            accumulator >>= 32
            pending -= 32
        }
    }

    /// Pads with zero bits to a byte boundary and moves all pending whole bytes out.
    mutating func alignToByte() {
        pending = (pending + 7) & ~7
        reserve(8)
        while pending > 0 {
            buffer[count] = UInt8(truncatingIfNeeded: accumulator)
            count += 1
            accumulator >>= 8
            pending -= 8
        }
    }

    /// Appends raw bytes at a byte boundary (stored blocks).
    mutating func appendAligned(_ raw: UnsafeRawBufferPointer) {
        alignToByte()
        reserve(raw.count)
        if let base = raw.baseAddress {
            (buffer + count).update(from: base.assumingMemoryBound(to: UInt8.self), count: raw.count)
        }
        count += raw.count
    }

    /// Finishes the stream and returns the bytes.
    consuming func finish() -> [UInt8] {
        alignToByte()
        return Array(UnsafeBufferPointer(start: buffer, count: count))
    }

    deinit { buffer.deallocate() }
}

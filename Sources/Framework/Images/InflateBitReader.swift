/// LSB-first bit reader over a byte buffer, as deflate needs (RFC 1951 §3.1.1).
///
/// It keeps 56–63 bits buffered after each ``refill()`` so a whole length/distance pair (at
/// most 48 bits) decodes with one refill. Past the end of the input it shifts in zero bytes
/// and counts them in `padding`: reading never goes out of bounds, and ``overran`` tells the
/// caller whether any of those phantom bits were actually consumed (a truncated stream).
struct InflateBitReader {
    let base: UnsafePointer<UInt8>
    let end: Int
    var position: Int
    /// Buffered bits, next bit in the least significant position.
    var bits: UInt64 = 0
    /// Number of valid bits in `bits`.
    var count = 0
    /// Zero bytes appended beyond `end`.
    var padding = 0

    init(base: UnsafePointer<UInt8>, start: Int, end: Int) {
        self.base = base
        self.position = start
        self.end = end
    }

    /// Ensures at least 56 bits are buffered.
    @inline(__always)
    mutating func refill() {
        if count >= 56 { return }
        if end - position >= 8 {
            // Branch-free refill: load 8 bytes, keep as many whole bytes as fit.
            let word = UInt64(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self))
            bits |= word << UInt64(count)
            position += (63 - count) >> 3
            count |= 56
        } else {
            refillSlow()
        }
    }

    @inline(__always)
    private mutating func refillSlow() {
        while count < 56 {
            if position < end {
                bits |= UInt64(base[position]) << UInt64(count)
                position += 1
            } else {
                padding += 1
            }
            count += 8
        }
    }

    @inline(__always)
    mutating func consume(_ n: Int) {
        bits >>= UInt64(n)
        count -= n
    }

    /// Takes `n` ≤ 32 already-buffered bits (no refill).
    @inline(__always)
    mutating func take(_ n: Int) -> Int {
        let v = Int(truncatingIfNeeded: bits & ((1 << UInt64(n)) &- 1))
        consume(n)
        return v
    }

    /// Reads `n` ≤ 32 bits (refilling first).
    @inline(__always)
    mutating func read(_ n: Int) -> Int {
        refill()
        let v = Int(truncatingIfNeeded: bits & ((1 << UInt64(n)) &- 1))
        consume(n)
        return v
    }

    /// Whether bits beyond the end of the input have been consumed.
    var overran: Bool { count < padding * 8 }

    /// Drops bits up to the next byte boundary.
    mutating func alignToByte() { consume(count & 7) }

    /// After ``alignToByte()``: gives buffered whole bytes back to the input and returns the
    /// byte offset of the next unread byte, or nil if the stream was overrun.
    mutating func releaseBuffer() -> Int? {
        let buffered = count >> 3
        guard buffered >= padding else { return nil }
        position -= buffered - padding
        bits = 0
        count = 0
        padding = 0
        return position
    }
}

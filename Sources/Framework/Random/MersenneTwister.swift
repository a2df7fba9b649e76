/// The 32-bit Mersenne Twister (MT19937) exactly as PyTorch's CPU generator runs it
/// (`aten/src/ATen/core/MT19937RNGEngine.h`).
///
/// The output stream is the standard one of `std::mt19937(seed32)` and of numpy's legacy-seeded
/// `MT19937`. Beyond the stream, the bookkeeping (`left` starting at 1, `next` at 0, regeneration
/// of the whole block on the draw that brings `left` to 0) mirrors torch's, so the engine is in
/// the same state as torch's after every call, not merely producing the same words.
struct MersenneTwister: Sendable {
    static let stateSize = 624
    private static let shift = 397
    private static let matrixA: UInt32 = 0x9908_B0DF
    private static let upperMask: UInt32 = 0x8000_0000
    private static let lowerMask: UInt32 = 0x7FFF_FFFF

    /// The 624-word state. An array keeps the generator a plain value type (copy-on-write gives
    /// independent copies); the hot loops reach it through a buffer pointer.
    private var state: [UInt32]
    /// Draws left before the block must be regenerated, plus one (torch's convention).
    private var left: Int
    /// Index of the next state word to temper and return.
    private var next: Int

    /// Knuth / `init_genrand` seeding. Torch passes only the low 32 bits of its 64-bit seed.
    init(seed: UInt32) {
        var words = [UInt32](repeating: 0, count: Self.stateSize)
        words[0] = seed
        for i in 1..<Self.stateSize {
            let previous = words[i - 1]
            words[i] = 1_812_433_253 &* (previous ^ (previous >> 30)) &+ UInt32(i)
        }
        state = words
        // left = 1 makes the very first draw regenerate the block, as in torch.
        left = 1
        next = 0
    }

    /// One 32-bit output word.
    @inline(__always)
    mutating func nextWord() -> UInt32 {
        left -= 1
        if left == 0 {
            regenerate()
            left = Self.stateSize
            next = 0
        }
        let word = state[next]
        next += 1
        return Self.temper(word)
    }

    /// Writes the next `words.count` output words, in order; the same as calling `nextWord()`
    /// that many times, but the inner loop runs over contiguous state without bookkeeping.
    mutating func fill(_ words: UnsafeMutableBufferPointer<UInt32>) {
        guard let out = words.baseAddress else { return }
        let count = words.count
        var written = 0
        state.withUnsafeMutableBufferPointer { stateBuffer in
            let s = stateBuffer.baseAddress!
            while written < count {
                if left == 1 {
                    // Regenerate; setting left one higher than nextWord() does accounts for the
                    // draw that nextWord() would count in the same step.
                    Self.regenerate(s)
                    left = Self.stateSize + 1
                    next = 0
                }
                let run = min(left - 1, count - written)
                let source = s + next
                let destination = out + written
                for i in 0..<run {
                    destination[i] = Self.temper(source[i])
                }
                next += run
                left -= run
                written += run
            }
        }
    }

    @inline(__always)
    private static func temper(_ word: UInt32) -> UInt32 {
        var y = word
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    private mutating func regenerate() {
        state.withUnsafeMutableBufferPointer { Self.regenerate($0.baseAddress!) }
    }

    /// The twist: replaces all 624 words (torch's `next_state`).
    private static func regenerate(_ s: UnsafeMutablePointer<UInt32>) {
        @inline(__always)
        func twist(_ u: UInt32, _ v: UInt32) -> UInt32 {
            let y = (u & upperMask) | (v & lowerMask)
            // (0 &- (y & 1)) is all ones when the low bit is set: a branch-free conditional xor.
            return (y >> 1) ^ (matrixA & (0 &- (y & 1)))
        }
        let n = stateSize, m = shift
        for i in 0..<(n - m) {
            s[i] = s[i + m] ^ twist(s[i], s[i + 1])
        }
        for i in (n - m)..<(n - 1) {
            s[i] = s[i + m - n] ^ twist(s[i], s[i + 1])
        }
        s[n - 1] = s[m - 1] ^ twist(s[n - 1], s[0])
    }
}

/// Decoding table for one canonical Huffman code of a deflate block.
///
/// A `fastBits`-bit lookup resolves every code up to that length in one probe: the entry is
/// `symbol << 4 | length`, and 0 marks a longer code (or an unused one), which is then decoded
/// bit by bit from the canonical `counts`/`symbols` arrays as in zlib's `puff`. Codes longer than
/// 10 bits have probability below 2^-10, so the slow path is rare. The table only points into
/// memory its owner (``Inflater``) allocates, so it can be passed around by value in hot loops.
struct HuffmanDecodingTable {
    static let fastBits = 10
    static let fastMask: UInt64 = (1 << UInt64(fastBits)) - 1
    static let maxLength = 15

    /// 2^fastBits entries.
    let fast: UnsafeMutablePointer<UInt16>
    /// Number of codes of each length 0...15.
    let counts: UnsafeMutablePointer<UInt16>
    /// Symbols ordered by code (canonical order).
    let symbols: UnsafeMutablePointer<UInt16>

    /// Rebuilds the table from code lengths (`lengths[s]` for symbol `s`, 0 = unused).
    ///
    /// Over-subscribed codes are rejected; incomplete codes are rejected unless they consist of a
    /// single 1-bit code (zlib's rule, needed for streams with one distance code), except that
    /// the code-length code (`allowIncomplete == false`) must always be complete.
    func build(lengths: UnsafePointer<UInt8>, count n: Int, allowIncomplete: Bool = true) throws(InflateError) {
        for len in 0...Self.maxLength { counts[len] = 0 }
        for s in 0..<n { counts[Int(lengths[s])] += 1 }
        if Int(counts[0]) == n {
            // No codes at all (a block without distances): every lookup falls to the slow path,
            // which fails, as it should if such a block ever uses a distance.
            fast.update(repeating: 0, count: 1 << Self.fastBits)
            return
        }
        var left = 1
        var maxUsed = 0
        for len in 1...Self.maxLength {
            left <<= 1
            left -= Int(counts[len])
            if left < 0 { throw .corrupt("over-subscribed Huffman code") }
            if counts[len] != 0 { maxUsed = len }
        }
        if left > 0 && (!allowIncomplete || maxUsed != 1) { throw .corrupt("incomplete Huffman code") }

        var offsets = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var nextCode = offsets
        withUnsafeMutableBytes(of: &offsets) { raw in
            withUnsafeMutableBytes(of: &nextCode) { rawCode in
                let offs = raw.bindMemory(to: Int.self)
                let next = rawCode.bindMemory(to: Int.self)
                var code = 0
                for len in 1...Self.maxLength {
                    offs[len] = len == 1 ? 0 : offs[len - 1] + Int(counts[len - 1])
                    code = (code + (len == 1 ? 0 : Int(counts[len - 1]))) << 1
                    next[len] = code
                }
                fast.update(repeating: 0, count: 1 << Self.fastBits)
                for s in 0..<n {
                    let len = Int(lengths[s])
                    if len == 0 { continue }
                    symbols[offs[len]] = UInt16(s)
                    offs[len] += 1
                    let c = next[len]
                    next[len] += 1
                    guard len <= Self.fastBits else { continue }
                    // Deflate sends codes most-significant bit first into an LSB-first stream,
                    // so the table is indexed by the bit-reversed code.
                    var reversed = 0
                    for b in 0..<len where c & (1 << b) != 0 { reversed |= 1 << (len - 1 - b) }
                    let entry = UInt16(s << 4 | len)
                    var i = reversed
                    while i < (1 << Self.fastBits) {
                        fast[i] = entry
                        i += 1 << len
                    }
                }
            }
        }
    }

    /// Decodes one symbol. The reader must hold at least 15 bits.
    @inline(__always)
    func decode(_ reader: inout InflateBitReader) throws(InflateError) -> Int {
        let entry = fast[Int(reader.bits & Self.fastMask)]
        if entry != 0 {
            reader.consume(Int(entry & 15))
            return Int(entry >> 4)
        }
        let (symbol, length) = try decodeSlow(reader.bits)
        reader.consume(length)
        return symbol
    }

    /// Canonical decoding one bit at a time (codes longer than `fastBits`, or invalid ones);
    /// returns the symbol and its code length. Takes the bits by value so that callers' reader
    /// state never has its address taken.
    @inline(never)
    private func decodeSlow(_ buffered: UInt64) throws(InflateError) -> (Int, Int) {
        var bits = buffered
        var code = 0
        var first = 0
        var index = 0
        for len in 1...Self.maxLength {
            code |= Int(bits & 1)
            bits >>= 1
            let count = Int(counts[len])
            if code - first < count { return (Int(symbols[index + code - first]), len) }
            index += count
            first = (first + count) << 1
            code <<= 1
        }
        throw .corrupt("invalid Huffman code")
    }
}

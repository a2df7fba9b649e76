/// The merge table of a BPE model: for each adjacent pair of token ids, the rank of its merge
/// (its 0-based line in `merges.txt`; lower merges first) and the id of the merged token.
///
/// Pairs and results are packed into 64-bit integers so the hot loop hashes one word per lookup.
struct BPEMergeRanks: Sendable {
    private var table: [UInt64: UInt64] = [:]

    init(minimumCapacity: Int) {
        table.reserveCapacity(minimumCapacity)
    }

    /// Records `left right -> result` at `rank`. A later merge of the same pair replaces an
    /// earlier one, as in `tokenizers` (which builds a hash map from the list).
    mutating func insert(left: Int32, right: Int32, rank: Int32, result: Int32) {
        table[Self.key(left, right)] = UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(UInt32(bitPattern: result))
    }

    /// The rank and merged id of `left right`, or nil when the pair never merges.
    @inline(__always)
    func merge(_ left: Int32, _ right: Int32) -> (rank: Int32, result: Int32)? {
        guard let packed = table[Self.key(left, right)] else { return nil }
        return (Int32(truncatingIfNeeded: packed >> 32), Int32(truncatingIfNeeded: packed))
    }

    var count: Int { table.count }

    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }
}

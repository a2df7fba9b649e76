/// The BPE merge loop over one word, with its working storage reused from word to word.
///
/// The symbols form a linked list (merged-away symbols are unlinked, never moved) and the
/// candidate merges wait in a binary min-heap keyed by (rank, position). This is the algorithm
/// of `tokenizers`' `Word::merge_all`: always apply the lowest-ranked adjacent pair, the leftmost
/// one among equals; entries made stale by earlier merges are skipped when popped. It costs
/// O(n log n) per word, so long runs without spaces (a Chinese sentence is one piece for Qwen)
/// stay fast.
struct BPEMerger {
    /// The id at each original position; -1 once merged into its left neighbour.
    private var symbols: [Int32] = []
    private var previous: [Int32] = []
    private var next: [Int32] = []
    /// Candidate merges, each `rank << 32 | position`, smallest on top.
    private var heap: [UInt64] = []

    /// Merges `initial` (the ids of the word's starting symbols) as far as `ranks` allows and
    /// appends the resulting ids to `output`.
    mutating func merge(_ initial: [Int32], ranks: BPEMergeRanks, into output: inout [Int]) {
        let count = initial.count
        if count < 2 {
            output.append(contentsOf: initial.lazy.map { Int($0) })
            return
        }
        symbols.removeAll(keepingCapacity: true)
        symbols.append(contentsOf: initial)
        previous.removeAll(keepingCapacity: true)
        next.removeAll(keepingCapacity: true)
        heap.removeAll(keepingCapacity: true)
        for position in 0..<count {
            previous.append(Int32(position - 1))
            next.append(position + 1 < count ? Int32(position + 1) : -1)
        }
        for position in 0..<(count - 1) {
            if let merge = ranks.merge(symbols[position], symbols[position + 1]) {
                push(rank: merge.rank, position: Int32(position))
            }
        }

        while let top = popMin() {
            let rank = Int32(truncatingIfNeeded: top >> 32)
            let position = Int(UInt32(truncatingIfNeeded: top))
            let left = symbols[position]
            let rightPosition = Int(next[position])
            guard left >= 0, rightPosition >= 0 else { continue }
            // A stale entry: the pair at this position changed since it was queued.
            guard let merge = ranks.merge(left, symbols[rightPosition]), merge.rank == rank else { continue }

            symbols[position] = merge.result
            symbols[rightPosition] = -1
            let after = next[rightPosition]
            next[position] = after
            if after >= 0 { previous[Int(after)] = Int32(position) }

            let before = previous[position]
            if before >= 0, let merge = ranks.merge(symbols[Int(before)], symbols[position]) {
                push(rank: merge.rank, position: before)
            }
            if after >= 0, let merge = ranks.merge(symbols[position], symbols[Int(after)]) {
                push(rank: merge.rank, position: Int32(position))
            }
        }

        // Position 0 is never merged away: a merge keeps its left position.
        var position: Int32 = 0
        while position >= 0 {
            output.append(Int(symbols[Int(position)]))
            position = next[Int(position)]
        }
    }

    private mutating func push(rank: Int32, position: Int32) {
        heap.append(UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(UInt32(bitPattern: position)))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child] < heap[parent] else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func popMin() -> UInt64? {
        guard let last = heap.popLast() else { return nil }
        guard !heap.isEmpty else { return last }
        let top = heap[0]
        heap[0] = last
        var parent = 0
        let count = heap.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            var smallest = left
            if left + 1 < count, heap[left + 1] < heap[left] { smallest = left + 1 }
            guard heap[smallest] < heap[parent] else { break }
            heap.swapAt(smallest, parent)
            parent = smallest
        }
        return top
    }
}

/// Builds length-limited canonical Huffman codes for the deflate encoder.
enum HuffmanCodeBuilder {
    /// Optimal code lengths for `frequencies`, then limited to `maxLength` bits.
    ///
    /// Huffman's algorithm (two-queue merge over symbols sorted by frequency) gives optimal
    /// depths; if any exceeds `maxLength`, the length histogram is repaired the way miniz and
    /// the JPEG standard (Annex K.3) do — move codes up to the limit, then split shorter codes
    /// until the Kraft sum is exactly 1 — and lengths are handed back out by frequency, so the
    /// result is near-optimal and always a complete prefix code.
    ///
    /// At least two symbols always get a code (deflate decoders dislike one-code trees): with
    /// fewer than two used symbols, the lowest unused ones are added.
    static func lengths(for frequencies: [Int], maxLength: Int) -> [UInt8] {
        let n = frequencies.count
        var used = (0..<n).filter { frequencies[$0] > 0 }
        var s = 0
        while used.count < 2 && s < n {
            if frequencies[s] == 0 { used.append(s) }
            s += 1
        }
        var result = [UInt8](repeating: 0, count: n)
        if used.count < 2 {
            for symbol in used { result[symbol] = 1 }
            return result
        }
        // Ascending by frequency (ties by symbol, for determinism).
        used.sort { (max(frequencies[$0], 1), $0) < (max(frequencies[$1], 1), $1) }
        let leafCount = used.count

        // Two-queue Huffman: leaves in order, internal nodes are created in non-decreasing
        // weight order, so the two smallest are always at the heads of the two queues.
        var weight = used.map { max(frequencies[$0], 1) } + [Int](repeating: 0, count: leafCount - 1)
        var parent = [Int](repeating: -1, count: 2 * leafCount - 1)
        var nextLeaf = 0, nextInternal = leafCount, created = leafCount
        func takeSmallest() -> Int {
            if nextLeaf < leafCount && (nextInternal >= created || weight[nextLeaf] <= weight[nextInternal]) {
                nextLeaf += 1
                return nextLeaf - 1
            }
            nextInternal += 1
            return nextInternal - 1
        }
        while created < 2 * leafCount - 1 {
            let a = takeSmallest(), b = takeSmallest()
            weight[created] = weight[a] + weight[b]
            parent[a] = created
            parent[b] = created
            created += 1
        }
        // Depths: the root is the last node; parents always have larger indices.
        var depth = [Int](repeating: 0, count: 2 * leafCount - 1)
        for node in stride(from: 2 * leafCount - 3, through: 0, by: -1) { depth[node] = depth[parent[node]] + 1 }

        var histogram = [Int](repeating: 0, count: max(maxLength, depth.max()!) + 1)
        for leaf in 0..<leafCount { histogram[depth[leaf]] += 1 }
        if histogram.count > maxLength + 1 {
            for len in (maxLength + 1)..<histogram.count {
                histogram[maxLength] += histogram[len]
                histogram[len] = 0
            }
            var kraft = 0
            for len in 1...maxLength { kraft += histogram[len] << (maxLength - len) }
            while kraft > 1 << maxLength {
                histogram[maxLength] -= 1
                for len in stride(from: maxLength - 1, through: 1, by: -1) where histogram[len] > 0 {
                    histogram[len] -= 1
                    histogram[len + 1] += 2
                    break
                }
                kraft -= 1
            }
        }
        // Rarest symbols get the longest codes.
        var leaf = 0
        for len in stride(from: min(maxLength, histogram.count - 1), through: 1, by: -1) {
            for _ in 0..<histogram[len] {
                result[used[leaf]] = UInt8(len)
                leaf += 1
            }
        }
        return result
    }

    /// Canonical codes for `lengths`, bit-reversed so they can be written LSB first.
    static func reversedCodes(for lengths: [UInt8]) -> [UInt16] {
        var histogram = [Int](repeating: 0, count: 16)
        for len in lengths where len > 0 { histogram[Int(len)] += 1 }
        var next = [Int](repeating: 0, count: 16)
        var code = 0
        for len in 1..<16 {
            code = (code + histogram[len - 1]) << 1
            next[len] = code
        }
        var codes = [UInt16](repeating: 0, count: lengths.count)
        for (symbol, len) in lengths.enumerated() where len > 0 {
            let c = next[Int(len)]
            next[Int(len)] += 1
            var reversed = 0
            for b in 0..<Int(len) where c & (1 << b) != 0 { reversed |= 1 << (Int(len) - 1 - b) }
            codes[symbol] = UInt16(reversed)
        }
        return codes
    }
}

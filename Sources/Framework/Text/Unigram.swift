/// A SentencePiece Unigram model as `tokenizers` runs it (`Unigram::encode`, the optimised
/// Viterbi path): each piece has a score (a log probability), and a word is split into the
/// sequence of pieces with the highest total score.
///
/// A character that no piece covers on its own becomes the unknown token with score
/// `min_score - 10` (`min_score` over the whole vocabulary); consecutive unknowns fuse into one
/// unknown token. Ties keep the earlier candidate: shorter pieces are tried first, and a later
/// candidate must score strictly higher.
struct Unigram: Sendable {
    /// Pieces and scores, by id.
    let pieces: [(piece: String, score: Double)]
    let unknownID: Int
    /// The id of each piece string; a duplicated piece maps to its last id, as in `tokenizers`.
    let ids: [String: Int]
    private let trie: ByteTrie
    private let unknownScore: Double

    /// - Throws: ``TokenizerError`` naming `path` when the vocabulary is empty or lacks `unknownID`.
    init(pieces: [(piece: String, score: Double)], unknownID: Int, path: String, entry: String) throws {
        guard unknownID >= 0, unknownID < pieces.count else {
            throw TokenizerError.invalidEntry(path: path, entry: entry,
                                              reason: "the unknown-token id \(unknownID) is outside the \(pieces.count)-piece vocabulary")
        }
        self.pieces = pieces
        self.unknownID = unknownID
        var ids = [String: Int](minimumCapacity: pieces.count)
        var trie = ByteTrie()
        var minimum = Double.infinity
        for (id, entry) in pieces.enumerated() {
            ids[entry.piece] = id
            trie.insert(entry.piece.utf8, id: id)
            if entry.score < minimum { minimum = entry.score }
        }
        self.ids = ids
        self.trie = trie
        unknownScore = minimum - 10
    }

    /// Appends the ids of the best segmentation of `word` (UTF-8 bytes) to `output`.
    func encode(_ word: [UInt8], into output: inout [Int]) {
        let size = word.count
        guard size > 0 else { return }
        // best[i]: the best path over word[..<i]; start -1 marks a position not reached yet.
        var bestScore = [Double](repeating: 0, count: size + 1)
        var bestStart = [Int](repeating: -1, count: size + 1)
        var bestID = [Int](repeating: 0, count: size + 1)
        var start = 0
        while start < size {
            let scoreHere = bestScore[start]
            let characterLength = Self.utf8Length(leadByte: word[start], remaining: size - start)
            var hasSingleCharacter = false
            trie.forEachPrefix(of: word, from: start) { end, id in
                let candidate = pieces[id].score + scoreHere
                if bestStart[end] < 0 || candidate > bestScore[end] {
                    bestScore[end] = candidate
                    bestStart[end] = start
                    bestID[end] = id
                }
                if end - start == characterLength { hasSingleCharacter = true }
            }
            if !hasSingleCharacter {
                let end = start + characterLength
                let candidate = unknownScore + scoreHere
                if bestStart[end] < 0 || candidate > bestScore[end] {
                    bestScore[end] = candidate
                    bestStart[end] = start
                    bestID[end] = unknownID
                }
            }
            start += characterLength
        }

        // Walk back from the end; runs of unknowns become one token. `tokenizers` then looks each
        // token string up again, so a fused run that happens to be a piece gets that piece's id.
        var reversed: [Int] = []
        var end = size
        var unknownRunStart: Int?
        var unknownRunEnd = 0
        func flushUnknownRun() {
            guard let runStart = unknownRunStart else { return }
            reversed.append(ids[String(decoding: word[runStart..<unknownRunEnd], as: UTF8.self)] ?? unknownID)
            unknownRunStart = nil
        }
        while end > 0 {
            let from = bestStart[end]
            if bestID[end] == unknownID {
                if unknownRunStart == nil { unknownRunEnd = end }
                unknownRunStart = from
            } else {
                flushUnknownRun()
                reversed.append(bestID[end])
            }
            end = from
        }
        flushUnknownRun()
        output.append(contentsOf: reversed.reversed())
    }

    /// The byte length of the UTF-8 sequence starting with `leadByte` (1 for a stray
    /// continuation byte, which valid text never has).
    private static func utf8Length(leadByte: UInt8, remaining: Int) -> Int {
        let length: Int
        switch leadByte {
        case 0xF0...: length = 4
        case 0xE0...: length = 3
        case 0xC0...: length = 2
        default: length = 1
        }
        return min(length, remaining)
    }
}

/// A trie over the UTF-8 bytes of the vocabulary, for the common-prefix search of the Viterbi
/// pass. Edges live in one dictionary keyed by `node << 8 | byte`, which is compact for a
/// 32k-piece vocabulary and fast to build; each node keeps the id of the piece ending there.
private struct ByteTrie: Sendable {
    private var edges: [Int: Int32] = [:]
    /// The piece id ending at each node, -1 for none.
    private var pieceIDs: [Int32] = [-1]

    /// Adds a piece; a piece inserted twice keeps the later id, like `tokenizers`' token map.
    mutating func insert(_ bytes: String.UTF8View, id: Int) {
        var node = 0
        for byte in bytes {
            let key = node << 8 | Int(byte)
            if let child = edges[key] {
                node = Int(child)
            } else {
                pieceIDs.append(-1)
                edges[key] = Int32(pieceIDs.count - 1)
                node = pieceIDs.count - 1
            }
        }
        pieceIDs[node] = Int32(id)
    }

    /// Calls `body` with the end index and id of every piece that starts at `word[start]`,
    /// shortest first.
    func forEachPrefix(of word: [UInt8], from start: Int, _ body: (Int, Int) -> Void) {
        var node = 0
        var position = start
        while position < word.count, let child = edges[node << 8 | Int(word[position])] {
            node = Int(child)
            position += 1
            if pieceIDs[node] >= 0 { body(position, Int(pieceIDs[node])) }
        }
    }
}

/// A byte-level BPE model: vocabulary, merge ranks and per-word encoding with a cache. One
/// core for both tokenizer families; they differ only in the end-of-word suffix (CLIP's `</w>`)
/// and the unknown token, which Qwen2 does not have.
///
/// A word (one pre-tokenized piece) starts as the vocabulary ids of its bytes' stand-in symbols
/// (``ByteLevel``), the last one carrying the suffix; then adjacent pairs merge in rank order.
/// A symbol missing from the vocabulary becomes the unknown token, or is dropped when there is
/// none, as in `tokenizers`.
final class BPE: Sendable {
    /// Token string -> id, without added tokens.
    let vocabulary: [String: Int]
    /// Id -> token string, nil where the vocabulary's ids have gaps.
    let tokens: [String?]
    let ranks: BPEMergeRanks
    /// The starting symbol of each byte inside a word, -1 when missing from the vocabulary.
    private let byteSymbols: [Int32]
    /// The starting symbol of a word's last byte (with the end-of-word suffix), -1 when missing.
    private let finalByteSymbols: [Int32]
    private let unknownID: Int32?
    private let cache = BPECache()

    /// Builds the model, checking every merge against the vocabulary as `tokenizers` does.
    ///
    /// - Parameters:
    ///   - merges: the merge pairs in rank order.
    ///   - mergesPath: the file the merges came from, for errors.
    ///   - describeMerge: how to name merge `i` in an error (e.g. "line 12").
    init(vocabulary: [String: Int], merges: [(String, String)], endOfWordSuffix: String = "",
         unknownToken: String? = nil, mergesPath: String, describeMerge: (Int) -> String) throws {
        self.vocabulary = vocabulary
        let idCount = (vocabulary.values.max() ?? -1) + 1
        // The id -> token table is dense; refuse ids so sparse that it would waste memory.
        guard idCount <= max(16 * vocabulary.count, 1 << 20) else {
            throw TokenizerError.invalidEntry(path: mergesPath, entry: "vocabulary",
                                              reason: "ids up to \(idCount - 1) for \(vocabulary.count) tokens are too sparse")
        }
        var tokens = [String?](repeating: nil, count: idCount)
        for (token, id) in vocabulary { tokens[id] = token }
        self.tokens = tokens

        var ranks = BPEMergeRanks(minimumCapacity: merges.count)
        for (rank, (left, right)) in merges.enumerated() {
            func id(_ token: String) throws -> Int32 {
                guard let id = vocabulary[token] else {
                    throw TokenizerError.invalidEntry(path: mergesPath, entry: describeMerge(rank),
                                                      reason: "'\(token)' is not in the vocabulary")
                }
                return Int32(id)
            }
            ranks.insert(left: try id(left), right: try id(right), rank: Int32(rank), result: try id(left + right))
        }
        self.ranks = ranks

        byteSymbols = (0..<256).map { vocabulary[ByteLevel.symbol(UInt8($0))].map(Int32.init) ?? -1 }
        finalByteSymbols = (0..<256).map { vocabulary[ByteLevel.symbol(UInt8($0)) + endOfWordSuffix].map(Int32.init) ?? -1 }
        unknownID = unknownToken.flatMap { vocabulary[$0] }.map(Int32.init)
    }

    /// Appends the ids of one word, given as its UTF-8 bytes.
    func encode(word: [UInt8], into ids: inout [Int], scratch: inout BPEScratch) {
        if let cached = cache.lookup(word) {
            ids.append(contentsOf: cached)
            return
        }
        scratch.initial.removeAll(keepingCapacity: true)
        for (index, byte) in word.enumerated() {
            let symbol = index == word.count - 1 ? finalByteSymbols[Int(byte)] : byteSymbols[Int(byte)]
            if symbol >= 0 {
                scratch.initial.append(symbol)
            } else if let unknownID {
                scratch.initial.append(unknownID)
            }
        }
        let start = ids.count
        scratch.merger.merge(scratch.initial, ranks: ranks, into: &ids)
        cache.store(Array(ids[start...]), for: word)
    }

    /// The token string of a vocabulary id.
    func token(_ id: Int) -> String? {
        id >= 0 && id < tokens.count ? tokens[id] : nil
    }
}

/// Working storage for ``BPE/encode(word:into:scratch:)``, kept across the words of one text so
/// the hot loop does not allocate.
struct BPEScratch {
    var initial: [Int32] = []
    var merger = BPEMerger()
    var bytes: [UInt8] = []
}

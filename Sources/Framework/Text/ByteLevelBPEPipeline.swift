/// The text -> ids -> text pipeline shared by the byte-level BPE tokenizers, in `tokenizers`'
/// order:
///
/// 1. find the added tokens that are matched on the raw text (all of Qwen's; CLIP's plain-string
///    special tokens);
/// 2. normalise each stretch between them, then find the added tokens matched on normalised
///    text (CLIP's `<|startoftext|>`, written in any case);
/// 3. split the remaining stretches into pieces (the family's ``TextSplitter``);
/// 4. BPE-encode each piece's UTF-8 bytes (``BPE``).
///
/// Decoding maps ids back to token strings and the byte-level stand-ins back to bytes.
struct ByteLevelBPEPipeline<Splitter: TextSplitter>: Sendable {
    let model: BPE
    let splitter: Splitter
    private let rawMatcher: AddedTokenMatcher
    private let normalizedMatcher: AddedTokenMatcher
    private let addedByID: [Int: AddedToken]
    private let addedByContent: [String: Int]

    init(folder: TokenizerFolder, splitter: Splitter, endOfWordSuffix: String = "", unknownToken: String? = nil) throws {
        model = try BPE(vocabulary: folder.vocabulary, merges: folder.merges, endOfWordSuffix: endOfWordSuffix,
                        unknownToken: unknownToken, mergesPath: folder.modelPath, describeMerge: folder.describeMerge)
        self.splitter = splitter
        rawMatcher = AddedTokenMatcher(folder.addedTokens.filter { !$0.normalized })
        normalizedMatcher = AddedTokenMatcher(folder.addedTokens.filter(\.normalized))
        addedByID = Dictionary(folder.addedTokens.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        addedByContent = Dictionary(folder.addedTokens.map { ($0.content, $0.id) }, uniquingKeysWith: { _, last in last })
    }

    /// The ids of `text`, with nothing added at either end.
    func encode(_ text: String) -> [Int] {
        let scalars = Array(text.unicodeScalars)
        var ids: [Int] = []
        ids.reserveCapacity(scalars.count / 3 + 4)
        var scratch = BPEScratch()
        var word: [UInt8] = []
        var pieces: [Range<Int>] = []
        rawMatcher.split(scalars, range: 0..<scalars.count) { segment in
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(let range):
                let normalized = splitter.normalize(scalars[range])
                let classes = UnicodeClass.classify(normalized)
                normalizedMatcher.split(normalized, range: 0..<normalized.count) { inner in
                    switch inner {
                    case .token(let id):
                        ids.append(id)
                    case .text(let stretch):
                        pieces.removeAll(keepingCapacity: true)
                        splitter.split(normalized, classes: classes, range: stretch, into: &pieces)
                        for piece in pieces {
                            word.removeAll(keepingCapacity: true)
                            for scalar in normalized[piece] { UTF8.encode(scalar) { word.append($0) } }
                            model.encode(word: word, into: &ids, scratch: &scratch)
                        }
                    }
                }
            }
        }
        return ids
    }

    /// The id of a token string, added tokens first.
    func id(of token: String) -> Int? {
        addedByContent[token] ?? model.vocabulary[token]
    }

    /// Whether `id` is a special added token (dropped when decoding with `skipSpecialTokens`).
    func isSpecial(_ id: Int) -> Bool {
        addedByID[id]?.special ?? false
    }

    /// The token string of an id, added tokens first.
    func token(_ id: Int) -> String? {
        addedByID[id]?.content ?? model.token(id)
    }

    /// The text of `ids`: byte-level decoding of the concatenated tokens, invalid UTF-8 replaced
    /// by U+FFFD (as `String::from_utf8_lossy` in `tokenizers`). Unknown ids are skipped.
    func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        String(decoding: decodeBytes(ids, skipSpecialTokens: skipSpecialTokens), as: UTF8.self)
    }

    /// The bytes the tokens of `ids` stand for, before UTF-8 decoding.
    func decodeBytes(_ ids: [Int], skipSpecialTokens: Bool) -> [UInt8] {
        var bytes: [UInt8] = []
        for id in ids {
            if skipSpecialTokens && isSpecial(id) { continue }
            guard let token = token(id) else { continue }
            ByteLevel.appendBytes(of: token, to: &bytes)
        }
        return bytes
    }

    /// The number of distinct ids: the vocabulary plus added tokens outside it (`len(tokenizer)`).
    var count: Int {
        model.vocabulary.count + addedByContent.keys.filter { model.vocabulary[$0] == nil }.count
    }
}

import Foundation

/// The T5 tokenizer (SentencePiece Unigram) of FLUX.1's `tokenizer_2/` and of T5 text encoders in
/// general, giving the same ids as transformers 5's `T5Tokenizer` (= the 4.x `T5TokenizerFast`).
///
/// Added tokens (`</s>`, `<pad>`, `<unk>`, the sentinels `<extra_id_0>` … `<extra_id_99>`) are
/// found in the raw text first. Each stretch between them is normalised with the model's
/// precompiled charsmap (NFKC plus SentencePiece's NMT rules, see ``PrecompiledCharsMap``), split
/// at white space, each word given a leading `▁` (and split before every `▁` inside it), and each
/// piece encoded with the Unigram model's best path (``Unigram``). ``encode(_:maxLength:)`` then
/// appends `</s>`, truncates and pads, as `tokenizer(text, padding="max_length",
/// max_length=..., truncation=True)` does for FluxPipeline.
///
/// ```swift
/// let t5 = try T5Tokenizer(folder: flux.appendingPathComponent("tokenizer_2"))
/// let (ids, mask) = t5.encode("A cat holding a sign", maxLength: 512)
/// ```
public final class T5Tokenizer: TextTokenizer {
    private static let metaspace: Unicode.Scalar = "\u{2581}"

    private let model: Unigram
    private let charsMap: PrecompiledCharsMap?
    private let rawMatcher: AddedTokenMatcher
    private let normalizedMatcher: AddedTokenMatcher
    private let addedByID: [Int: AddedToken]
    private let addedByContent: [String: Int]
    private let cleanUpTokenizationSpaces: Bool

    /// `</s>`, appended by ``encode(_:maxLength:)`` (id 1 in every T5 vocabulary).
    public let eosTokenID: Int
    /// `<pad>`, the padding of ``encode(_:maxLength:)`` (id 0).
    public let padTokenID: Int
    /// The id unknown characters get (transformers fixes it at 2, `<unk>`).
    public let unknownTokenID: Int
    /// The config's `model_max_length` (512 for FLUX's `tokenizer_2/`), nil when unset.
    public let modelMaxLength: Int?

    /// Loads a tokenizer folder: `tokenizer.json` (preferred, as in transformers) or a folder
    /// with only `spiece.model`, with `tokenizer_config.json` / `special_tokens_map.json` for the
    /// special tokens when present.
    ///
    /// - Throws: ``TokenizerError`` naming the missing or malformed file.
    public init(folder: URL) throws {
        let contents = try T5TokenizerFolder(folder: folder)
        model = try Unigram(pieces: contents.pieces, unknownID: T5TokenizerFolder.unknownID,
                            path: contents.modelPath, entry: contents.sentencePiece == nil ? "model.vocab" : "pieces")
        charsMap = contents.charsMap
        rawMatcher = AddedTokenMatcher(contents.addedTokens.filter { !$0.normalized })
        normalizedMatcher = AddedTokenMatcher(contents.addedTokens.filter(\.normalized))
        addedByID = Dictionary(contents.addedTokens.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        addedByContent = Dictionary(contents.addedTokens.map { ($0.content, $0.id) }, uniquingKeysWith: { _, last in last })
        cleanUpTokenizationSpaces = contents.cleanUpTokenizationSpaces
        unknownTokenID = T5TokenizerFolder.unknownID
        modelMaxLength = contents.modelMaxLength
        let eos = contents.specialTokens["eos_token"] ?? "</s>"
        let pad = contents.specialTokens["pad_token"] ?? "<pad>"
        guard let eosID = addedByContent[eos] ?? model.ids[eos], let padID = addedByContent[pad] ?? model.ids[pad] else {
            throw TokenizerError.invalidEntry(path: contents.modelPath, entry: "vocabulary",
                                              reason: "lacks the end/padding tokens '\(eos)' / '\(pad)'")
        }
        eosTokenID = eosID
        padTokenID = padID
    }

    /// Token ids of `text` without `</s>`; added tokens written in it are single tokens.
    public func encode(_ text: String) -> [Int] {
        let scalars = Array(text.unicodeScalars)
        var ids: [Int] = []
        ids.reserveCapacity(scalars.count / 3 + 4)
        rawMatcher.split(scalars, range: 0..<scalars.count) { segment in
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(let range):
                let stretch = String(String.UnicodeScalarView(scalars[range]))
                let normalized = Array((charsMap?.normalize(stretch) ?? stretch).unicodeScalars)
                normalizedMatcher.split(normalized, range: 0..<normalized.count) { inner in
                    switch inner {
                    case .token(let id): ids.append(id)
                    case .text(let range): encodeWords(normalized[range], into: &ids)
                    }
                }
            }
        }
        return ids
    }

    /// `text`'s ids followed by `</s>`, cut and padded to exactly `maxLength`, as transformers'
    /// `tokenizer(text, padding="max_length", truncation=True, max_length=maxLength)`: a long text
    /// keeps its first `maxLength - 1` tokens and still ends with `</s>`; padding (`<pad>`) goes on
    /// the right and has attention mask 0. FLUX.1-dev uses 512, FLUX.1-schnell 256.
    ///
    /// - Parameter maxLength: at least 1 (room for `</s>`).
    public func encode(_ text: String, maxLength: Int) -> (ids: [Int], attentionMask: [Int]) {
        precondition(maxLength >= 1, "T5Tokenizer: maxLength \(maxLength) leaves no room for </s>")
        var ids = Array(encode(text).prefix(maxLength - 1)) + [eosTokenID]
        let mask = [Int](repeating: 1, count: ids.count) + [Int](repeating: 0, count: maxLength - ids.count)
        ids += [Int](repeating: padTokenID, count: maxLength - ids.count)
        return (ids, mask)
    }

    /// The id of a vocabulary piece or added token, nil when unknown.
    public func id(of token: String) -> Int? {
        addedByContent[token] ?? model.ids[token]
    }

    /// The token string of an id, nil when unknown.
    public func token(for id: Int) -> String? {
        if let added = addedByID[id] { return added.content }
        return model.pieces.indices.contains(id) ? model.pieces[id].piece : nil
    }

    /// The number of distinct ids, added tokens included (transformers' `len(tokenizer)`).
    public var count: Int {
        model.pieces.count + addedByID.keys.filter { $0 >= model.pieces.count }.count
    }

    /// The text of `ids`, special tokens included as written.
    public func decode(_ ids: [Int]) -> String {
        decode(ids, skipSpecialTokens: false)
    }

    /// The text of `ids` as transformers decodes it: each `▁` becomes a space except in the first
    /// token, where they are dropped (the Metaspace decoder); unknown ids are skipped, and
    /// special tokens too with `skipSpecialTokens`. When the folder's config sets
    /// `clean_up_tokenization_spaces`, spaces before punctuation and contractions are removed
    /// as transformers does.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        var text = ""
        var first = true
        for id in ids {
            if skipSpecialTokens, addedByID[id]?.special == true { continue }
            guard let token = token(for: id) else { continue }
            for scalar in token.unicodeScalars {
                if scalar == Self.metaspace {
                    if !first { text.unicodeScalars.append(" ") }
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
            first = false
        }
        return cleanUpTokenizationSpaces ? Self.cleanUpTokenization(text) : text
    }

    /// WhitespaceSplit then Metaspace("▁", prepend always, split): each white-space-separated
    /// word gets a leading `▁` unless it has one, and is cut before every `▁` in it; each piece
    /// goes through the Unigram model.
    private func encodeWords(_ scalars: ArraySlice<Unicode.Scalar>, into ids: inout [Int]) {
        var piece: [UInt8] = []
        var inWord = false
        func flush() {
            model.encode(piece, into: &ids)
            piece.removeAll(keepingCapacity: true)
        }
        for scalar in scalars {
            // `char::is_whitespace` is the White_Space property, as is Swift's `isWhitespace`.
            if scalar.properties.isWhitespace {
                if inWord { flush() }
                inWord = false
                continue
            }
            if !inWord {
                inWord = true
                if scalar != Self.metaspace { UTF8.encode(Self.metaspace) { piece.append($0) } }
            } else if scalar == Self.metaspace {
                flush()
            }
            UTF8.encode(scalar) { piece.append($0) }
        }
        if inWord { flush() }
    }

    /// transformers' `clean_up_tokenization`, the same replacements in the same order.
    private static func cleanUpTokenization(_ text: String) -> String {
        var result = text
        for (old, new) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                           (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            result = replacingScalars(old, with: new, in: result)
        }
        return result
    }

    /// Python's `str.replace`: scalar by scalar (a String search would compare grapheme clusters
    /// and miss " ." before a combining mark).
    private static func replacingScalars(_ old: String, with new: String, in text: String) -> String {
        let source = Array(text.unicodeScalars)
        let pattern = Array(old.unicodeScalars)
        var output = String.UnicodeScalarView()
        var index = 0
        while index < source.count {
            if source.count - index >= pattern.count, source[index..<index + pattern.count].elementsEqual(pattern) {
                output.append(contentsOf: new.unicodeScalars)
                index += pattern.count
            } else {
                output.append(source[index])
                index += 1
            }
        }
        return String(output)
    }
}

import Foundation

/// What a T5 tokenizer folder holds, read the way transformers 5's `T5Tokenizer` reads it.
///
/// transformers 5 rebuilds the T5 pipeline itself and takes only the vocabulary from the files:
///
/// * from `tokenizer.json`: `model.vocab` (pieces with scores) and the `Precompiled` normaliser's
///   charsmap (top level or inside a `Sequence`). The file's other normalisers, its
///   pre-tokenizer, post-processor, decoder, `unk_id` and `byte_fallback` are ignored: the
///   pipeline is always Precompiled → WhitespaceSplit → Metaspace("▁", always, split) →
///   Unigram(unk id 2, no byte fallback) → append `</s>`;
/// * from a folder with only `spiece.model` (what its `T5Converter` does): the pieces and
///   scores, then the `extra_ids` (default 100) sentinels `<extra_id_99>` … `<extra_id_0>` with
///   score 0 in that order after them, and the normalizer spec's charsmap. The spec's
///   `add_dummy_prefix` / `remove_extra_whitespaces` / `escape_whitespaces` flags and the
///   trainer spec's ids are read but change nothing: transformers ignores them too.
///
/// Added tokens: those of `tokenizer.json`'s `added_tokens` and the config's
/// `added_tokens_decoder`, renumbered through the vocabulary; the special tokens (`</s>`,
/// `<unk>`, `<pad>` unless the config names others), the config's additional special tokens,
/// a model's control pieces, and `<extra_id_0>` … when no additional token is a sentinel.
struct T5TokenizerFolder {
    let pieces: [(piece: String, score: Double)]
    /// The file the vocabulary came from (`tokenizer.json` or `spiece.model`).
    let modelPath: String
    let charsMap: PrecompiledCharsMap?
    let addedTokens: [AddedToken]
    /// The content of each named special token, by attribute (`"eos_token"`, ...).
    let specialTokens: [String: String]
    let modelMaxLength: Int?
    /// The config's `clean_up_tokenization_spaces` (transformers 5's default is false).
    let cleanUpTokenizationSpaces: Bool
    /// The parsed `spiece.model`, when the vocabulary came from it.
    let sentencePiece: SentencePieceModel?

    /// transformers' `T5Tokenizer` hard-codes the Unigram model's unknown id.
    static let unknownID = 2

    init(folder: URL) throws {
        let files = FileManager.default
        guard files.fileExists(atPath: folder.path) else {
            throw TokenizerError.missingFiles(folder: folder.path, expected: "a folder; it does not exist")
        }
        let tokenizerJSON = folder.appendingPathComponent("tokenizer.json")
        let spieceModel = folder.appendingPathComponent("spiece.model")
        let configURL = folder.appendingPathComponent("tokenizer_config.json")
        let specialMapURL = folder.appendingPathComponent("special_tokens_map.json")

        let config = files.fileExists(atPath: configURL.path) ? try TokenizerFiles.jsonObject(at: configURL) : [:]
        var named = config
        var explicitTokens: [AddedToken] = []
        var additional: [Any] = []
        let extraIDs = TokenizerFiles.integer(config["extra_ids"]) ?? 100

        if files.fileExists(atPath: tokenizerJSON.path) {
            // transformers prefers tokenizer.json when both are present (FLUX ships both).
            let json = try TokenizerFiles.jsonObject(at: tokenizerJSON)
            let model = try TokenizerFiles.model(in: json, type: "Unigram", path: tokenizerJSON.path)
            pieces = try Self.unigramVocabulary(model["vocab"], path: tokenizerJSON.path)
            charsMap = try Self.charsMap(normalizer: json["normalizer"], path: tokenizerJSON.path)
            explicitTokens = try TokenizerFolder.addedTokenList(json["added_tokens"], path: tokenizerJSON.path)
            modelPath = tokenizerJSON.path
            sentencePiece = nil
        } else if files.fileExists(atPath: spieceModel.path) {
            let model = try SentencePieceModel(contentsOf: spieceModel)
            var pieces = model.pieces.map { (piece: $0.piece, score: Double($0.score)) }
            pieces += stride(from: extraIDs - 1, through: 0, by: -1).map { (piece: "<extra_id_\($0)>", score: 0.0) }
            self.pieces = pieces
            charsMap = model.precompiledCharsMap.isEmpty ? nil
                : try PrecompiledCharsMap(model.precompiledCharsMap, path: spieceModel.path, entry: "normalizer_spec.precompiled_charsmap")
            additional += model.pieces.filter { $0.type == .control }.map(\.piece)
            modelPath = spieceModel.path
            sentencePiece = model
        } else {
            throw TokenizerError.missingFiles(folder: folder.path, expected: "tokenizer.json or spiece.model")
        }

        if let decoder = config["added_tokens_decoder"] {
            explicitTokens += try TokenizerFolder.addedTokenDecoder(decoder, path: configURL.path)
        } else if files.fileExists(atPath: specialMapURL.path) {
            // Legacy folders (no added_tokens_decoder): special_tokens_map.json has the last word.
            for (key, value) in try TokenizerFiles.jsonObject(at: specialMapURL) { named[key] = value }
        }
        for (key, value) in [("eos_token", "</s>"), ("unk_token", "<unk>"), ("pad_token", "<pad>")] where named[key] == nil {
            named[key] = value
        }

        var vocabulary = [String: Int](minimumCapacity: pieces.count)
        for (id, entry) in pieces.enumerated() { vocabulary[entry.piece] = id }
        var resolver = AddedTokenResolver(vocabulary: vocabulary)
        for token in explicitTokens { resolver.addRenumbered(token) }
        var specialTokens: [String: String] = [:]
        for key in TokenizerFolder.specialTokenKeys {
            guard let value = named[key], let content = resolver.addSpecial(value) else { continue }
            specialTokens[key] = content
        }
        for key in ["additional_special_tokens", "extra_special_tokens"] {
            additional += named[key] as? [Any] ?? []
        }
        var sentinels = false
        for value in additional {
            if let content = resolver.addSpecial(value), content.contains("<extra_id_") { sentinels = true }
        }
        if !sentinels {
            for index in 0..<max(extraIDs, 0) { _ = resolver.addSpecial("<extra_id_\(index)>") }
        }
        addedTokens = resolver.tokens
        self.specialTokens = specialTokens
        modelMaxLength = TokenizerFiles.integer(config["model_max_length"]).flatMap { $0 > 0 && $0 < 1_000_000_000 ? $0 : nil }
        cleanUpTokenizationSpaces = TokenizerFiles.flag(config, "clean_up_tokenization_spaces", default: false)
    }

    /// `model.vocab` of a Unigram `tokenizer.json`: a list of `[piece, score]` pairs.
    private static func unigramVocabulary(_ value: Any?, path: String) throws -> [(piece: String, score: Double)] {
        guard let list = value as? [Any] else {
            throw TokenizerError.invalidEntry(path: path, entry: "model.vocab", reason: "expected a list of [piece, score] pairs")
        }
        return try list.enumerated().map { index, entry in
            guard let pair = entry as? [Any], pair.count == 2, let piece = pair[0] as? String,
                  let score = (pair[1] as? NSNumber)?.doubleValue else {
                throw TokenizerError.invalidEntry(path: path, entry: "model.vocab[\(index)]", reason: "expected [\"piece\", score]")
            }
            return (piece, score)
        }
    }

    /// The charsmap of the first `Precompiled` normaliser, at the top level or one level inside a
    /// `Sequence` (where transformers looks), nil when there is none.
    private static func charsMap(normalizer: Any?, path: String) throws -> PrecompiledCharsMap? {
        guard let normalizer = normalizer as? [String: Any], !normalizer.isEmpty else { return nil }
        let isSequence = normalizer["type"] as? String == "Sequence"
        let candidates = isSequence ? normalizer["normalizers"] as? [Any] ?? [] : [normalizer]
        for (index, candidate) in candidates.enumerated() {
            guard let object = candidate as? [String: Any], object["type"] as? String == "Precompiled",
                  let encoded = object["precompiled_charsmap"] else { continue }
            let entry = (isSequence ? "normalizer.normalizers[\(index)]" : "normalizer") + ".precompiled_charsmap"
            // Python's b64decode (what transformers calls) skips characters outside the alphabet.
            guard let string = encoded as? String, let data = Data(base64Encoded: string, options: .ignoreUnknownCharacters) else {
                throw TokenizerError.invalidEntry(path: path, entry: entry, reason: "not a base64 string")
            }
            return try PrecompiledCharsMap([UInt8](data), path: path, entry: entry)
        }
        return nil
    }
}

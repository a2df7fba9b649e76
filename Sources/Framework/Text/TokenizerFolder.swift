import Foundation

/// What a Hugging Face BPE tokenizer folder holds: the model (from `tokenizer.json`, or else
/// `vocab.json` + `merges.txt`) and the added and special tokens from `tokenizer_config.json`
/// (and, for older folders, `special_tokens_map.json`), resolved the way transformers 5 resolves
/// them when it loads the folder.
struct TokenizerFolder {
    /// The named special-token attributes of transformers, in the order it registers them.
    static let specialTokenKeys = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]

    let vocabulary: [String: Int]
    let merges: [(String, String)]
    /// The file the model came from (`tokenizer.json` or `merges.txt`), for merge errors.
    let modelPath: String
    let mergesFromJSON: Bool
    let addedTokens: [AddedToken]
    /// The content of each named special token that is set, by attribute (`"pad_token"`, ...).
    let specialTokens: [String: String]
    /// The config's `model_max_length`, when it is a sensible integer (some configs store 1e30 for "none").
    let modelMaxLength: Int?

    init(folder: URL) throws {
        let tokenizerJSON = folder.appendingPathComponent("tokenizer.json")
        let vocabJSON = folder.appendingPathComponent("vocab.json")
        let mergesTXT = folder.appendingPathComponent("merges.txt")
        let configURL = folder.appendingPathComponent("tokenizer_config.json")
        let specialMapURL = folder.appendingPathComponent("special_tokens_map.json")
        let files = FileManager.default
        guard files.fileExists(atPath: folder.path) else {
            throw TokenizerError.missingFiles(folder: folder.path, expected: "a folder; it does not exist")
        }

        var explicitTokens: [AddedToken] = []
        if files.fileExists(atPath: tokenizerJSON.path) {
            // transformers prefers tokenizer.json when both forms are present.
            let json = try TokenizerFiles.jsonObject(at: tokenizerJSON)
            let model = try TokenizerFiles.model(in: json, type: "BPE", path: tokenizerJSON.path)
            vocabulary = try TokenizerFiles.vocabulary(model["vocab"], path: tokenizerJSON.path, key: "model.vocab")
            merges = try TokenizerFiles.merges(model["merges"], path: tokenizerJSON.path)
            modelPath = tokenizerJSON.path
            mergesFromJSON = true
            explicitTokens = try Self.addedTokenList(json["added_tokens"], path: tokenizerJSON.path)
        } else if files.fileExists(atPath: vocabJSON.path) {
            vocabulary = try TokenizerFiles.vocabulary(try TokenizerFiles.jsonObject(at: vocabJSON), path: vocabJSON.path, key: "vocabulary")
            guard files.fileExists(atPath: mergesTXT.path) else {
                throw TokenizerError.unreadable(path: mergesTXT.path, reason: "no such file (vocab.json needs merges.txt beside it)")
            }
            merges = try TokenizerFiles.merges(at: mergesTXT)
            modelPath = mergesTXT.path
            mergesFromJSON = false
        } else {
            throw TokenizerError.missingFiles(folder: folder.path, expected: "tokenizer.json, or vocab.json and merges.txt")
        }

        let config = files.fileExists(atPath: configURL.path) ? try TokenizerFiles.jsonObject(at: configURL) : [:]
        var named = config
        if let decoder = config["added_tokens_decoder"] {
            explicitTokens += try Self.addedTokenDecoder(decoder, path: configURL.path)
        } else if files.fileExists(atPath: specialMapURL.path) {
            // Legacy folders (no added_tokens_decoder): special_tokens_map.json has the last word.
            for (key, value) in try TokenizerFiles.jsonObject(at: specialMapURL) { named[key] = value }
        }

        var resolver = AddedTokenResolver(vocabulary: vocabulary)
        for token in explicitTokens { resolver.add(token, explicit: true) }
        var specialTokens: [String: String] = [:]
        for key in Self.specialTokenKeys {
            guard let value = named[key], let content = resolver.addSpecial(value) else { continue }
            specialTokens[key] = content
        }
        for key in ["additional_special_tokens", "extra_special_tokens"] {
            for value in named[key] as? [Any] ?? [] { _ = resolver.addSpecial(value) }
        }
        addedTokens = resolver.tokens
        self.specialTokens = specialTokens
        modelMaxLength = TokenizerFiles.integer(config["model_max_length"]).flatMap { $0 > 0 && $0 < 1_000_000_000 ? $0 : nil }
    }

    /// How to name merge `index` in an error message.
    func describeMerge(_ index: Int) -> String {
        mergesFromJSON ? "model.merges[\(index)]" : "merge \(index + 1)"
    }

    /// `tokenizer.json`'s `added_tokens`: a list of objects with `id` and `content`.
    static func addedTokenList(_ value: Any?, path: String) throws -> [AddedToken] {
        guard let value else { return [] }
        guard let list = value as? [[String: Any]] else {
            throw TokenizerError.invalidEntry(path: path, entry: "added_tokens", reason: "expected a list of objects")
        }
        return try list.enumerated().map { index, entry in
            guard let id = TokenizerFiles.integer(entry["id"]) else {
                throw TokenizerError.invalidEntry(path: path, entry: "added_tokens[\(index)].id", reason: "missing or not an integer")
            }
            return try addedToken(entry, id: id, path: path, entry: "added_tokens[\(index)]")
        }
    }

    /// `tokenizer_config.json`'s `added_tokens_decoder`: id (as a string) -> token object.
    static func addedTokenDecoder(_ value: Any, path: String) throws -> [AddedToken] {
        guard let object = value as? [String: Any] else {
            throw TokenizerError.invalidEntry(path: path, entry: "added_tokens_decoder", reason: "expected an object of id -> token")
        }
        var tokens: [AddedToken] = []
        for (key, entry) in object {
            guard let id = Int(key), let entry = entry as? [String: Any] else {
                throw TokenizerError.invalidEntry(path: path, entry: "added_tokens_decoder.\(key)", reason: "expected an integer key and a token object")
            }
            tokens.append(try addedToken(entry, id: id, path: path, entry: "added_tokens_decoder.\(key)"))
        }
        return tokens.sorted { $0.id < $1.id }
    }

    private static func addedToken(_ object: [String: Any], id: Int, path: String, entry: String) throws -> AddedToken {
        guard let content = object["content"] as? String else {
            throw TokenizerError.invalidEntry(path: path, entry: entry + ".content", reason: "missing or not a string")
        }
        let special = TokenizerFiles.flag(object, "special", default: false)
        return AddedToken(id: id, content: content, special: special,
                          normalized: TokenizerFiles.flag(object, "normalized", default: !special),
                          leftStrip: TokenizerFiles.flag(object, "lstrip", default: false),
                          rightStrip: TokenizerFiles.flag(object, "rstrip", default: false))
    }
}

/// Accumulates added tokens with transformers 5's precedence: tokens listed with ids
/// (`tokenizer.json`'s `added_tokens`, the config's `added_tokens_decoder`) keep their flags
/// when a special-token attribute names them; otherwise a later registration of the same
/// content replaces the earlier flags. A special token given as a plain string is matched on
/// the raw text (transformers makes it `AddedToken(normalized=False)`). That is why SDXL's
/// `tokenizer/` (eos an object with `normalized: true`, then pad the plain string
/// `"<|endoftext|>"`) ends with `<|endoftext|>` matched only as written, while `tokenizer_2/`
/// (pad `"!"`) also matches `<|ENDOFTEXT|>` after lower-casing, and turns every `!` into the
/// special pad token, id 0.
struct AddedTokenResolver {
    let vocabulary: [String: Int]
    private(set) var tokens: [AddedToken] = []
    private var index: [String: Int] = [:]
    private var explicit: Set<String> = []

    init(vocabulary: [String: Int]) {
        self.vocabulary = vocabulary
    }

    mutating func add(_ token: AddedToken, explicit isExplicit: Bool) {
        if isExplicit { explicit.insert(token.content) }
        if let position = index[token.content] {
            tokens[position] = token
        } else {
            index[token.content] = tokens.count
            tokens.append(token)
        }
    }

    /// Adds a token listed with an id, numbering it the way `tokenizers`' `add_tokens` does when
    /// the model is rebuilt from its vocabulary (transformers' T5 path): the vocabulary's id of
    /// the content, else the next free id; the listed id is not used.
    mutating func addRenumbered(_ token: AddedToken) {
        var token = token
        token.id = index[token.content].map { tokens[$0].id } ?? vocabulary[token.content] ?? nextID()
        add(token, explicit: true)
    }

    /// Registers a special-token attribute value (a string or a token object); returns its content.
    mutating func addSpecial(_ value: Any) -> String? {
        let content: String
        var normalized = false
        var leftStrip = false
        var rightStrip = false
        if let string = value as? String {
            content = string
        } else if let object = value as? [String: Any], let string = object["content"] as? String {
            content = string
            normalized = TokenizerFiles.flag(object, "normalized", default: false)
            leftStrip = TokenizerFiles.flag(object, "lstrip", default: false)
            rightStrip = TokenizerFiles.flag(object, "rstrip", default: false)
        } else {
            return nil  // null: the attribute is unset (Qwen's bos_token)
        }
        if explicit.contains(content), let position = index[content] {
            tokens[position].special = true
            return content
        }
        let id = index[content].map { tokens[$0].id } ?? vocabulary[content] ?? nextID()
        add(AddedToken(id: id, content: content, special: true, normalized: normalized,
                       leftStrip: leftStrip, rightStrip: rightStrip), explicit: false)
        return content
    }

    /// The id `tokenizers` gives a new token missing from the vocabulary: after everything else.
    private func nextID() -> Int {
        max(vocabulary.count, (vocabulary.values.max() ?? -1) + 1, (tokens.map(\.id).max() ?? -1) + 1)
    }
}

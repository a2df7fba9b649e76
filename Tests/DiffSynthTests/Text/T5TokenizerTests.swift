import Foundation
import Testing
@testable import DiffSynth

/// T5Tokenizer against transformers 5's T5Tokenizer on the golden texts (white-space runs,
/// tabs and newlines, NFKC cases, the Precompiled normaliser's dropped combining marks, CJK,
/// emoji, unknown scripts, sentinels and `</s>` in the text, truncation), for the three folder
/// layouts of Tools/reference/make_t5_tokenizer_fixtures.py.
@Suite("T5 tokenizer")
struct T5TokenizerTests {
    /// tokenizer.json in the older Hub layout with FLUX's tokenizer_config.json (clean-up on).
    static let flux = TokenizerFixtures.committedRoot.appendingPathComponent("t5")
    /// tokenizer.json and tokenizer_config.json as transformers 5 saves them.
    static let saved = TokenizerFixtures.committedRoot.appendingPathComponent("t5-json")
    /// spiece.model alone.
    static let spiece = TokenizerFixtures.committedRoot.appendingPathComponent("t5-spiece")

    /// Checks every golden text: content ids, ids padded and truncated to 16, 256 and 512 with
    /// masks, and decoded text (with transformers' clean-up when the folder's config asks for it).
    func checkGoldens(_ folder: URL, cleansUp: Bool) throws {
        let tokenizer = try T5Tokenizer(folder: folder)
        let cases = try TokenizerFixtures.t5Cases()
        #expect(cases.count >= 45)
        #expect(cases.contains { $0.ids.count > 511 }, "a text longer than FLUX.1-dev's window")
        for golden in cases {
            let label = TokenizerFixtures.label(golden.text)
            let ids = tokenizer.encode(golden.text)
            #expect(ids == golden.ids, "\(label)")
            let padded = tokenizer.encode(golden.text, maxLength: 16)
            #expect(padded.ids == golden.padded16.ids && padded.attentionMask == golden.padded16.attentionMask, "16 \(label)")
            for (length, attended) in [(256, golden.attended256), (512, golden.attended512)] {
                let result = tokenizer.encode(golden.text, maxLength: length)
                #expect(result.ids == attended + [Int](repeating: 0, count: length - attended.count), "\(length) \(label)")
                #expect(result.attentionMask == [Int](repeating: 1, count: attended.count) + [Int](repeating: 0, count: length - attended.count),
                        "mask \(length) \(label)")
            }
            let withEOS = golden.ids + [1]
            #expect(TokenizerFixtures.sameScalars(tokenizer.decode(withEOS), cleansUp ? golden.decodedCleaned : golden.decoded),
                    "decode \(label)")
            #expect(TokenizerFixtures.sameScalars(tokenizer.decode(withEOS, skipSpecialTokens: true),
                                                  cleansUp ? golden.decodedCleanedSkippingSpecial : golden.decodedSkippingSpecial),
                    "decode skipping special \(label)")
        }
        let random = try TokenizerFixtures.t5RandomCases()
        #expect(random.count >= 100)
        for golden in random {
            #expect(tokenizer.encode(golden.text) == golden.ids, "random \(TokenizerFixtures.label(golden.text))")
        }
    }

    @Test("tokenizer.json (older Hub layout) with FLUX's config matches transformers on every golden text")
    func fluxLayoutGoldens() throws {
        try checkGoldens(Self.flux, cleansUp: true)
    }

    @Test("tokenizer.json as transformers 5 saves it matches transformers on every golden text")
    func savedLayoutGoldens() throws {
        try checkGoldens(Self.saved, cleansUp: false)
    }

    @Test("A spiece.model-only folder matches transformers' conversion on every golden text")
    func spieceGoldens() throws {
        try checkGoldens(Self.spiece, cleansUp: false)
    }

    @Test("The unrestricted nmt_nfkc model gives the golden ids (needs DIFFSYNTH_TOKENIZER_ROOT)",
          .enabled(if: TokenizerFixtures.fullRoot != nil))
    func goldensWithFullCharsMap() throws {
        let root = try #require(TokenizerFixtures.fullRoot)
        try checkGoldens(root.appendingPathComponent("t5"), cleansUp: true)
        try checkGoldens(root.appendingPathComponent("t5-json"), cleansUp: false)
        try checkGoldens(root.appendingPathComponent("t5-spiece"), cleansUp: false)
    }

    @Test("Special tokens, sentinels and sizes are those of transformers")
    func specialTokens() throws {
        for folder in [Self.flux, Self.saved, Self.spiece] {
            let tokenizer = try T5Tokenizer(folder: folder)
            #expect(tokenizer.padTokenID == 0 && tokenizer.eosTokenID == 1 && tokenizer.unknownTokenID == 2)
            #expect(tokenizer.count == 1100)
            // T5's converter puts the sentinels after the pieces, the last one first.
            #expect(tokenizer.id(of: "<extra_id_99>") == 1000)
            #expect(tokenizer.id(of: "<extra_id_0>") == 1099)
            #expect(tokenizer.token(for: 1000) == "<extra_id_99>")
            #expect(tokenizer.token(for: 1100) == nil)
            #expect(tokenizer.encode("<extra_id_0></s><pad><unk>") == [1099, 1, 0, 2])
            #expect(tokenizer.decode([0, 1, 1099], skipSpecialTokens: true) == "")
        }
        #expect(try T5Tokenizer(folder: Self.flux).modelMaxLength == 512)
        #expect(try T5Tokenizer(folder: Self.spiece).modelMaxLength == nil)
    }

    @Test("Truncation keeps </s> last, down to a window of one")
    func truncation() throws {
        let tokenizer = try T5Tokenizer(folder: Self.saved)
        let long = String(repeating: "a cat holding a sign ", count: 200)
        #expect(tokenizer.encode(long).count > 512)
        let content = tokenizer.encode(long)
        for length in [1, 2, 16, 256, 512] {
            let result = tokenizer.encode(long, maxLength: length)
            #expect(result.ids == Array(content.prefix(length - 1)) + [1])
            #expect(result.attentionMask == [Int](repeating: 1, count: length))
        }
        let empty = tokenizer.encode("", maxLength: 4)
        #expect(empty.ids == [1, 0, 0, 0] && empty.attentionMask == [1, 0, 0, 0])
    }

    @Test("The spiece.model reader gets T5's layout and normalizer spec")
    func sentencePieceModel() throws {
        let model = try SentencePieceModel(contentsOf: Self.spiece.appendingPathComponent("spiece.model"))
        #expect(model.pieces.count == 1000)
        #expect(model.pieces.prefix(3).map(\.piece) == ["<pad>", "</s>", "<unk>"])
        #expect(model.pieces.prefix(3).map(\.type) == [.control, .control, .unknown])
        #expect(model.pieces[3...].allSatisfy { $0.type == .normal && $0.score < 0 })
        #expect(model.padID == 0 && model.eosID == 1 && model.unknownID == 2 && model.bosID == -1)
        #expect(model.modelType == 1 && !model.byteFallback)
        #expect(model.normalizerName.hasPrefix("nmt_nfkc"))
        #expect(model.addDummyPrefix && model.removeExtraWhitespaces && model.escapeWhitespaces)
        #expect(!model.precompiledCharsMap.isEmpty)
    }

    @Test("The Precompiled normaliser looks up whole short graphemes, shortest rule first")
    func precompiledNormaliser() throws {
        let model = try SentencePieceModel(contentsOf: Self.spiece.appendingPathComponent("spiece.model"))
        let charsMap = try PrecompiledCharsMap(model.precompiledCharsMap, path: "spiece.model", entry: "charsmap")
        #expect(charsMap.normalize("\u{FB01}ne") == "fine")
        #expect(charsMap.normalize("①②") == "12")
        #expect(charsMap.normalize("a\tb\nc") == "a b c")
        // NFD e + acute is one rule; full-width A + acute matches the rule for full-width A
        // first and loses the accent, as in tokenizers (SentencePiece itself gives Á).
        #expect(TokenizerFixtures.sameScalars(charsMap.normalize("e\u{301}"), "\u{E9}"))
        #expect(TokenizerFixtures.sameScalars(charsMap.normalize("\u{FF21}\u{301}"), "A"))
        // Seven bytes: too long to look up whole, so scalar by scalar.
        #expect(TokenizerFixtures.sameScalars(charsMap.normalize("\u{FF21}\u{302}\u{301}"), "A\u{302}\u{301}"))
    }

    @Test("tokenizer.json wins over spiece.model when a folder has both, as in FLUX's tokenizer_2/")
    func tokenizerJSONPreferred() throws {
        try TokenizerFixtures.withTemporaryDirectory { directory in
            for name in try FileManager.default.contentsOfDirectory(atPath: Self.flux.path) {
                try FileManager.default.copyItem(at: Self.flux.appendingPathComponent(name), to: directory.appendingPathComponent(name))
            }
            try Data("not a model".utf8).write(to: directory.appendingPathComponent("spiece.model"))
            let tokenizer = try T5Tokenizer(folder: directory)
            #expect(tokenizer.encode("A cat holding a sign").count > 3)
        }
    }
}

/// Malformed T5 folders fail with errors that name the file at fault.
@Suite("T5 tokenizer folder errors")
struct T5TokenizerLoadingTests {
    /// A copy of a committed folder with `edit` applied, loaded.
    func loadingError(from folder: URL = T5TokenizerTests.saved, _ edit: (URL) throws -> Void) throws -> TokenizerError {
        try TokenizerFixtures.withTemporaryDirectory { directory in
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
                try FileManager.default.copyItem(at: folder.appendingPathComponent(name), to: directory.appendingPathComponent(name))
            }
            try edit(directory)
            return try #require(throws: TokenizerError.self) { try T5Tokenizer(folder: directory) }
        }
    }

    /// Rewrites the folder's tokenizer.json through `change`.
    func editTokenizerJSON(_ directory: URL, _ change: (inout [String: Any]) -> Void) throws {
        let url = directory.appendingPathComponent("tokenizer.json")
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        change(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: url)
    }

    @Test("A missing or empty folder names the folder and what was expected")
    func missingFolder() throws {
        let missing = URL(fileURLWithPath: "/nonexistent/tokenizer_2")
        let error = try #require(throws: TokenizerError.self) { try T5Tokenizer(folder: missing) }
        #expect(error.path == missing.path)
        try TokenizerFixtures.withTemporaryDirectory { directory in
            #expect(throws: TokenizerError.missingFiles(folder: directory.path, expected: "tokenizer.json or spiece.model")) {
                try T5Tokenizer(folder: directory)
            }
        }
    }

    @Test("A bad vocabulary entry names tokenizer.json and the entry")
    func badVocabularyEntry() throws {
        let error = try loadingError { directory in
            try editTokenizerJSON(directory) { json in
                var model = json["model"] as! [String: Any]
                var vocab = model["vocab"] as! [Any]
                vocab[3] = ["▁", "not a score"]
                model["vocab"] = vocab
                json["model"] = model
            }
        }
        #expect(error.path.hasSuffix("/tokenizer.json"))
        #expect(error.description.contains("model.vocab[3]"))
    }

    @Test("Invalid JSON, a BPE model and a broken charsmap name tokenizer.json")
    func badTokenizerJSON() throws {
        let invalid = try loadingError { try Data("{\"model\": ".utf8).write(to: $0.appendingPathComponent("tokenizer.json")) }
        #expect(invalid.path.hasSuffix("/tokenizer.json"))
        let bpe = try loadingError { directory in
            try editTokenizerJSON(directory) { json in json["model"] = ["type": "BPE", "vocab": [:], "merges": []] }
        }
        #expect(bpe.path.hasSuffix("/tokenizer.json") && bpe.description.contains("model.type"))
        let charsMap = try loadingError { directory in
            try editTokenizerJSON(directory) { json in
                json["normalizer"] = ["type": "Precompiled", "precompiled_charsmap": Data([0xFF, 0xFF, 0, 0, 1]).base64EncodedString()]
            }
        }
        #expect(charsMap.path.hasSuffix("/tokenizer.json") && charsMap.description.contains("normalizer.precompiled_charsmap"))
        let emptyVocab = try loadingError { directory in
            try editTokenizerJSON(directory) { json in json["model"] = ["type": "Unigram", "vocab": [["<pad>", 0.0]]] }
        }
        #expect(emptyVocab.path.hasSuffix("/tokenizer.json") && emptyVocab.description.contains("unknown-token id 2"))
    }

    @Test("A truncated or corrupt spiece.model names spiece.model and the byte")
    func truncatedSentencePieceModel() throws {
        let url = T5TokenizerTests.spiece.appendingPathComponent("spiece.model")
        let bytes = try Data(contentsOf: url)
        for cut in [bytes.count / 2, bytes.count - 3, 7] {
            let error = try loadingError(from: T5TokenizerTests.spiece) { directory in
                try bytes.prefix(cut).write(to: directory.appendingPathComponent("spiece.model"))
            }
            #expect(error.path.hasSuffix("/spiece.model"), "cut at \(cut)")
            #expect(error.description.contains("byte ") && error.description.contains("truncated"), "cut at \(cut): \(error)")
        }
        let garbage = try loadingError(from: T5TokenizerTests.spiece) { directory in
            try Data("This is not a protobuf file at all.".utf8).write(to: directory.appendingPathComponent("spiece.model"))
        }
        #expect(garbage.path.hasSuffix("/spiece.model"))
    }

    @Test("A malformed tokenizer_config.json names tokenizer_config.json")
    func badConfig() throws {
        let error = try loadingError { try Data("[1, 2]".utf8).write(to: $0.appendingPathComponent("tokenizer_config.json")) }
        #expect(error.path.hasSuffix("/tokenizer_config.json"))
        let badDecoder = try loadingError(from: T5TokenizerTests.flux) { directory in
            try Data("{\"added_tokens_decoder\": {\"x\": {\"content\": \"<a>\"}}}".utf8)
                .write(to: directory.appendingPathComponent("tokenizer_config.json"))
        }
        #expect(badDecoder.path.hasSuffix("/tokenizer_config.json") && badDecoder.description.contains("added_tokens_decoder.x"))
    }
}

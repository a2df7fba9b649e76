import Foundation
import Testing
@testable import DiffSynth

/// Qwen2Tokenizer against transformers' Qwen2Tokenizer on the golden prompts: Chinese, Japanese,
/// emoji sequences, digit runs, white-space runs, contractions, NFD accents, special tokens and
/// the Qwen-Image prompt template.
@Suite("Qwen2 tokenizer")
struct Qwen2TokenizerTests {
    /// Qwen-Image's prompt template (spec section 2.3) and its first 34 ids with the real vocabulary.
    static let template = "<|im_start|>system\nDescribe the image by detailing the color, shape, size, texture, quantity, text, spatial relationships of the objects and background:<|im_end|>\n<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n"
    static let templatePrefix = [151644, 8948, 198, 74785, 279, 2168, 553, 44193, 279, 1894, 11, 6083, 11, 1379, 11, 10434, 11,
                                 12194, 11, 1467, 11, 27979, 11871, 315, 279, 6171, 323, 4004, 25, 151645, 198, 151644, 872, 198]

    func checkGoldens(_ folder: URL) throws {
        let tokenizer = try Qwen2Tokenizer(folder: folder)
        let cases = try TokenizerFixtures.qwenCases()
        #expect(cases.count >= 40)
        for golden in cases {
            let label = TokenizerFixtures.label(golden.text)
            #expect(tokenizer.encode(golden.text) == golden.ids, "\(label)")
            #expect(TokenizerFixtures.sameScalars(tokenizer.decode(golden.ids), golden.decoded), "decode \(label)")
            #expect(TokenizerFixtures.sameScalars(tokenizer.decode(golden.ids, skipSpecialTokens: true), golden.decodedSkippingSpecial),
                    "decode skipping special \(label)")
        }
    }

    @Test("Every golden prompt encodes to transformers' ids (vocab.json + merges.txt)")
    func goldensFromVocabAndMerges() throws {
        try checkGoldens(TokenizerFixtures.committedRoot.appendingPathComponent("qwen2"))
    }

    @Test("Every golden prompt encodes to transformers' ids (tokenizer.json)")
    func goldensFromTokenizerJSON() throws {
        try checkGoldens(TokenizerFixtures.committedRoot.appendingPathComponent("qwen2-json"))
    }

    @Test("Full real vocabulary gives the golden ids (needs DIFFSYNTH_TOKENIZER_ROOT)",
          .enabled(if: TokenizerFixtures.fullRoot != nil))
    func goldensWithFullVocabulary() throws {
        let root = try #require(TokenizerFixtures.fullRoot)
        try checkGoldens(root.appendingPathComponent("qwen2"))
        try checkGoldens(root.appendingPathComponent("qwen2-json"))
        let tokenizer = try Qwen2Tokenizer(folder: root.appendingPathComponent("qwen2"))
        #expect(tokenizer.count == 151_669)
    }

    @Test("The Qwen-Image template starts with the spec's 34 ids and keeps 5 trailing tokens")
    func qwenImageTemplate() throws {
        let tokenizer = try Qwen2Tokenizer(folder: TokenizerFixtures.committedRoot.appendingPathComponent("qwen2"))
        let ids = tokenizer.encode(Self.template.replacingOccurrences(of: "{}", with: "A cat holding a sign that says hello world"))
        #expect(Array(ids.prefix(34)) == Self.templatePrefix)
        #expect(ids.count == 48)
        #expect(Array(ids.suffix(5)) == [151645, 198, 151644, 77091, 198])
    }

    @Test("Special and added tokens map to their configured ids")
    func specialTokens() throws {
        let tokenizer = try Qwen2Tokenizer(folder: TokenizerFixtures.committedRoot.appendingPathComponent("qwen2"))
        #expect(tokenizer.id(of: "<|endoftext|>") == 151643)
        #expect(tokenizer.id(of: "<|im_start|>") == 151644)
        #expect(tokenizer.id(of: "<|im_end|>") == 151645)
        #expect(tokenizer.id(of: "<think>") == 151667)
        #expect(tokenizer.id(of: "\n") == nil)  // the vocabulary spells newline "Ċ"
        #expect(tokenizer.id(of: "Ċ") == 198)
        #expect(tokenizer.eosToken == "<|im_end|>")
        #expect(tokenizer.padToken == "<|endoftext|>")
        #expect(tokenizer.token(for: 151644) == "<|im_start|>")
        #expect(tokenizer.encode("<|im_start|><|im_end|>") == [151644, 151645])
        // <think> is an added ordinary token: kept when skipping special tokens.
        #expect(tokenizer.decode([151667, 151645], skipSpecialTokens: true) == "<think>")
    }

    @Test("Decoding a lone byte of a multi-byte character gives U+FFFD, as from_utf8_lossy")
    func partialUTF8Decoding() throws {
        let tokenizer = try Qwen2Tokenizer(folder: TokenizerFixtures.committedRoot.appendingPathComponent("qwen2"))
        let ids = tokenizer.encode("🍕")
        #expect(tokenizer.decode(ids) == "🍕")
        // Byte-level symbols of 0xF0 and 0x9F: the start of a four-byte sequence, cut short.
        let partial = [tokenizer.id(of: "ð")!, tokenizer.id(of: "Ł")!]
        #expect(tokenizer.decode(partial) == "\u{FFFD}")
        #expect(tokenizer.decode(partial + tokenizer.encode("a")) == "\u{FFFD}a")
    }

    @Test("Concurrent encodes share the word cache safely and agree with the goldens")
    func concurrentEncoding() async throws {
        let tokenizer = try Qwen2Tokenizer(folder: TokenizerFixtures.committedRoot.appendingPathComponent("qwen2"))
        let cases = try TokenizerFixtures.qwenCases()
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                for golden in cases.shuffled() {
                    group.addTask { tokenizer.encode(golden.text) == golden.ids ? 0 : 1 }
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }

    @Test("Encoding round-trips through decode for every golden prompt after NFC")
    func roundTrip() throws {
        let tokenizer = try Qwen2Tokenizer(folder: TokenizerFixtures.committedRoot.appendingPathComponent("qwen2"))
        for golden in try TokenizerFixtures.qwenCases() {
            let expected = golden.text.precomposedStringWithCanonicalMapping
            #expect(TokenizerFixtures.sameScalars(tokenizer.decode(tokenizer.encode(golden.text)), expected),
                    "\(TokenizerFixtures.label(golden.text))")
        }
    }
}

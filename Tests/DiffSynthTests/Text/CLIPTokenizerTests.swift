import Foundation
import Testing
@testable import DiffSynth

/// CLIPTokenizer against transformers' CLIPTokenizer for SDXL's two tokenizer folders, which
/// differ only in the pad token (`<|endoftext|>` and `!`).
@Suite("CLIP tokenizer")
struct CLIPTokenizerTests {
    static let first = TokenizerFixtures.committedRoot.appendingPathComponent("clip/tokenizer")
    static let second = TokenizerFixtures.committedRoot.appendingPathComponent("clip/tokenizer_2")

    /// Checks every golden prompt: content ids, ids padded and truncated to 77 (and other
    /// lengths), attention masks and decoded text.
    func checkGoldens(_ folder: URL, secondTokenizer: Bool) throws {
        let tokenizer = try CLIPTokenizer(folder: folder)
        let cases = try TokenizerFixtures.clipCases()
        #expect(cases.count >= 40)
        #expect(cases.contains { $0.ids.count > 75 }, "a prompt longer than CLIP's window")
        for golden in cases {
            let label = TokenizerFixtures.label(golden.text)
            let content = tokenizer.encode(golden.text)
            #expect(content == golden.ids(secondTokenizer: secondTokenizer), "\(label)")
            let padded = tokenizer.encode(golden.text, maxLength: 77, padToken: tokenizer.padToken)
            let expected = golden.padded(secondTokenizer: secondTokenizer)
            #expect(padded.ids == expected.ids, "padded \(label)")
            #expect(padded.attentionMask == expected.attentionMask, "mask \(label)")
            for other in golden.otherLengths(secondTokenizer: secondTokenizer) {
                let result = tokenizer.encode(golden.text, maxLength: other.maxLength, padToken: tokenizer.padToken)
                #expect(result.ids == other.ids && result.attentionMask == other.attentionMask, "length \(other.maxLength) \(label)")
            }
            let decoded = secondTokenizer ? golden.decoded2 : golden.decoded
            let decodedPadded = secondTokenizer ? golden.decodedPadded2 : golden.decodedPadded
            let skipping = secondTokenizer ? golden.decodedPaddedSkippingSpecial2 : golden.decodedPaddedSkippingSpecial
            #expect(TokenizerFixtures.sameScalars(tokenizer.decode(content), decoded), "decode \(label)")
            #expect(TokenizerFixtures.sameScalars(tokenizer.decode(expected.ids), decodedPadded), "decode padded \(label)")
            #expect(TokenizerFixtures.sameScalars(tokenizer.decode(expected.ids, skipSpecialTokens: true), skipping), "decode skipping \(label)")
        }
    }

    @Test("SDXL tokenizer/ (pad <|endoftext|>) matches transformers on every golden prompt")
    func firstTokenizerGoldens() throws {
        try checkGoldens(Self.first, secondTokenizer: false)
    }

    @Test("SDXL tokenizer_2/ (pad !) matches transformers on every golden prompt")
    func secondTokenizerGoldens() throws {
        try checkGoldens(Self.second, secondTokenizer: true)
    }

    @Test("A tokenizer.json folder as transformers 5 saves it matches too")
    func tokenizerJSONGoldens() throws {
        try checkGoldens(TokenizerFixtures.committedRoot.appendingPathComponent("clip-json"), secondTokenizer: false)
    }

    @Test("Full real vocabulary gives the golden ids (needs DIFFSYNTH_TOKENIZER_ROOT)",
          .enabled(if: TokenizerFixtures.fullRoot != nil))
    func goldensWithFullVocabulary() throws {
        let root = try #require(TokenizerFixtures.fullRoot)
        try checkGoldens(root.appendingPathComponent("clip/tokenizer"), secondTokenizer: false)
        try checkGoldens(root.appendingPathComponent("clip/tokenizer_2"), secondTokenizer: true)
        try checkGoldens(root.appendingPathComponent("clip-json"), secondTokenizer: false)
        #expect(try CLIPTokenizer(folder: root.appendingPathComponent("clip/tokenizer")).count == 49_408)
    }

    @Test("Padding, truncation and masks for both SDXL pad tokens")
    func paddingAndTruncation() throws {
        let first = try CLIPTokenizer(folder: Self.first)
        let second = try CLIPTokenizer(folder: Self.second)
        #expect(first.padToken == "<|endoftext|>")
        #expect(second.padToken == "!")
        #expect(first.bosTokenID == 49406 && first.eosTokenID == 49407)
        #expect(first.modelMaxLength == 77)

        let empty = first.encode("", padToken: first.padToken)
        #expect(empty.ids == [49406] + [Int](repeating: 49407, count: 76))
        #expect(empty.attentionMask == [1, 1] + [Int](repeating: 0, count: 75))
        let emptySecond = second.encode("", padToken: second.padToken)
        #expect(emptySecond.ids == [49406, 49407] + [Int](repeating: 0, count: 75))
        #expect(emptySecond.attentionMask == empty.attentionMask)

        // 100 words: BOS + the first 75 content tokens + EOS, all attended.
        let long = String(repeating: "cat ", count: 100)
        for tokenizer in [first, second] {
            let result = tokenizer.encode(long, padToken: tokenizer.padToken)
            #expect(result.ids.count == 77)
            #expect(result.ids.first == 49406 && result.ids.last == 49407)
            #expect(Array(result.ids[1..<76]) == Array(tokenizer.encode(long).prefix(75)))
            #expect(result.attentionMask == [Int](repeating: 1, count: 77))
        }

        // Exactly 75 content tokens fill the window with no padding.
        let exact = String(repeating: "cat ", count: 75)
        #expect(first.encode(exact, padToken: first.padToken).attentionMask.allSatisfy { $0 == 1 })
        // A pad token named by the caller wins over the folder's.
        #expect(first.encode("a cat", maxLength: 8, padToken: "!").ids == [49406, 320, 2368, 49407, 0, 0, 0, 0])
    }

    @Test("tokenizer_2's pad token ! is a special token wherever it appears, as in transformers")
    func exclamationMarkIsSpecialInSecondTokenizer() throws {
        let first = try CLIPTokenizer(folder: Self.first)
        let second = try CLIPTokenizer(folder: Self.second)
        #expect(first.encode("a cat!") == [320, 2368, 256])
        #expect(second.encode("a cat!") == [320, 2368, 0])
        #expect(second.encode("!!!") == [0, 0, 0])
        #expect(first.decode([49406, 320, 2368, 256, 49407]) == "<|startoftext|>a cat ! <|endoftext|>")
        #expect(second.decode([49406, 320, 2368, 0, 49407], skipSpecialTokens: true) == "a cat")
    }

    @Test("Special tokens: as written, in other cases, and split apart when not matched")
    func specialTokensInText() throws {
        let first = try CLIPTokenizer(folder: Self.first)
        let second = try CLIPTokenizer(folder: Self.second)
        #expect(first.encode("<|startoftext|>a<|endoftext|>") == [49406, 320, 49407])
        // <|startoftext|> is matched after lower-casing in both folders.
        #expect(first.encode("<|StartOfText|>") == [49406])
        // <|endoftext|> only as written in tokenizer/ (its pad entry is a plain string), in any case in tokenizer_2/.
        #expect(first.encode("<|ENDOFTEXT|>").count > 1)
        #expect(second.encode("<|ENDOFTEXT|>") == [49407])
    }

    @Test("Decoding turns </w> into spaces even before a combining mark")
    func decodeEndOfWordBeforeCombiningMark() throws {
        let tokenizer = try CLIPTokenizer(folder: Self.first)
        // NFC cannot compose x + U+0301, so the mark is a piece of its own after "x</w>".
        let ids = tokenizer.encode("x\u{301}")
        #expect(ids.count >= 2)
        #expect(TokenizerFixtures.sameScalars(tokenizer.decode(ids), "x \u{301}"))
    }
}

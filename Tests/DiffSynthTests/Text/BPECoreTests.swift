import Foundation
import Testing
@testable import DiffSynth

/// The shared pieces under the two tokenizers: the merge loop, the added-token matcher, the
/// byte alphabet and the split patterns, on hand-made inputs whose answers are known.
@Suite("BPE core")
struct BPECoreTests {
    /// A model over the bytes of `a`–`e` with the given merges.
    func model(_ merges: [(String, String)], suffix: String = "") throws -> BPE {
        var vocabulary: [String: Int] = [:]
        for byte in UInt8(ascii: "a")...UInt8(ascii: "e") {
            vocabulary[ByteLevel.symbol(byte)] = vocabulary.count
            if !suffix.isEmpty { vocabulary[ByteLevel.symbol(byte) + suffix] = vocabulary.count }
        }
        for (left, right) in merges where vocabulary[left + right] == nil { vocabulary[left + right] = vocabulary.count }
        return try BPE(vocabulary: vocabulary, merges: merges, endOfWordSuffix: suffix, mergesPath: "test", describeMerge: { "merge \($0)" })
    }

    func tokens(_ model: BPE, _ word: String) -> [String] {
        var ids: [Int] = []
        var scratch = BPEScratch()
        model.encode(word: Array(word.utf8), into: &ids, scratch: &scratch)
        return ids.map { model.token($0)! }
    }

    @Test("Lower-ranked merges apply first, whatever their position")
    func rankOrder() throws {
        let bpe = try model([("c", "d"), ("b", "c"), ("a", "b")])
        // "cd" (rank 0) wins over "bc" (rank 1); then only "ab" is possible.
        #expect(tokens(bpe, "abcd") == ["ab", "cd"])
        let other = try model([("b", "c"), ("c", "d"), ("a", "bc")])
        #expect(tokens(other, "abcd") == ["abc", "d"])
    }

    @Test("Equal ranks merge leftmost first, and stale queue entries are skipped")
    func leftmostAndStale() throws {
        let bpe = try model([("a", "a"), ("aa", "a")])
        // a a a: positions 0 and 1 both queue "a a"; 0 merges, 1 becomes stale; then "aa a".
        #expect(tokens(bpe, "aaa") == ["aaa"])
        #expect(tokens(bpe, "aaaa") == ["aa", "aa"])
        // Every "a a" (rank 0) goes before any "aa a" (rank 1), left to right: aa aa a -> aa aaa.
        #expect(tokens(bpe, "aaaaa") == ["aa", "aaa"])
    }

    @Test("Long words use the same merges as short ones (heap path) and the cache returns the same ids")
    func longWords() throws {
        let bpe = try model([("a", "b"), ("ab", "ab"), ("abab", "abab")])
        let word = String(repeating: "ab", count: 300)
        let result = tokens(bpe, word)
        #expect(result.count == 75 && result.allSatisfy { $0 == "abababab" })
        #expect(tokens(bpe, "ababab") == ["abab", "ab"])
        #expect(tokens(bpe, "ababab") == ["abab", "ab"])  // cached
    }

    @Test("The end-of-word suffix marks only the last symbol")
    func endOfWordSuffix() throws {
        let bpe = try model([("a", "b</w>"), ("b", "a")], suffix: "</w>")
        #expect(tokens(bpe, "ab") == ["ab</w>"])
        #expect(tokens(bpe, "ba") == ["b", "a</w>"])  // "b a" needs "a" without the suffix
        #expect(tokens(bpe, "a") == ["a</w>"])
    }

    @Test("Bytes missing from the vocabulary are dropped without an unknown token, joining their neighbours")
    func missingBytes() throws {
        let bpe = try model([("a", "b")])
        #expect(tokens(bpe, "azb") == ["ab"])
        #expect(tokens(bpe, "zz") == [])
    }

    @Test("GPT-2 byte alphabet: printable bytes stand for themselves, the rest from U+0100")
    func byteAlphabet() {
        #expect(ByteLevel.symbol(UInt8(ascii: "!")) == "!")
        #expect(ByteLevel.symbol(0x20) == "Ġ")
        #expect(ByteLevel.symbol(0x0A) == "Ċ")
        #expect(ByteLevel.symbol(0x00) == "\u{100}")
        #expect(ByteLevel.symbol(0xAD) == "\u{143}")
        #expect(Set(ByteLevel.scalarForByte).count == 256)
        for byte in 0..<256 {
            #expect(ByteLevel.byteForScalar[Int(ByteLevel.scalarForByte[byte].value)] == Int16(byte))
        }
    }

    @Test("Added tokens match leftmost-longest, with white-space stripping when asked")
    func addedTokenMatching() {
        let matcher = AddedTokenMatcher([
            AddedToken(id: 1, content: "<a>", special: true, normalized: false),
            AddedToken(id: 2, content: "<a><b>", special: true, normalized: false),
            AddedToken(id: 3, content: "<b>", special: true, normalized: false, leftStrip: true, rightStrip: true),
        ])
        func split(_ text: String) -> [String] {
            let scalars = Array(text.unicodeScalars)
            var parts: [String] = []
            matcher.split(scalars, range: 0..<scalars.count) { segment in
                switch segment {
                case .token(let id): parts.append("#\(id)")
                case .text(let range): parts.append(String(String.UnicodeScalarView(scalars[range])))
                }
            }
            return parts
        }
        #expect(split("x<a><b>y") == ["x", "#2", "y"])
        #expect(split("<a><a>") == ["#1", "#1"])
        #expect(split("x  <b>  y") == ["x", "#3", "y"])
        #expect(split("<a") == ["<a"])
        #expect(split("") == [])
    }

    func qwenPieces(_ text: String) -> [String] {
        pieces(text, splitter: Qwen2TextSplitter())
    }

    func pieces<S: TextSplitter>(_ text: String, splitter: S) -> [String] {
        let scalars = splitter.normalize(Array(text.unicodeScalars)[...])
        var ranges: [Range<Int>] = []
        splitter.split(scalars, classes: UnicodeClass.classify(scalars), range: 0..<scalars.count, into: &ranges)
        return ranges.map { String(String.UnicodeScalarView(scalars[$0])) }
    }

    @Test("Qwen split pattern: the spec's example and each alternative")
    func qwenSplit() {
        #expect(qwenPieces("Hello world's 12345 \n\n  test") == ["Hello", " world", "'s", " ", "1", "2", "3", "4", "5", " \n\n", " ", " test"])
        #expect(qwenPieces("x'Sam 'RE'll") == ["x", "'S", "am", " '", "RE", "'ll"])
        #expect(qwenPieces("x'ſa") == ["x", "'ſ", "a"])
        #expect(qwenPieces("a\u{a0}\u{a0}b") == ["a", "\u{a0}", "\u{a0}b"])
        #expect(qwenPieces("!!\r\n\r\nx") == ["!!\r\n\r\n", "x"])
        #expect(qwenPieces("\tfoo \u{3000}bar") == ["\tfoo", " ", "\u{3000}bar"])
        #expect(qwenPieces("...\n\n  x  ") == ["...\n\n", " ", " x", "  "])
        #expect(qwenPieces("e\u{301}") == ["\u{e9}"])
    }

    @Test("CLIP split pattern: lower-cased, white space dropped, special literals cut in three")
    func clipSplit() {
        let splitter = CLIPTextSplitter()
        #expect(pieces("A  Photo's 12 !?", splitter: splitter) == ["a", "photo", "'s", "1", "2", "!?"])
        #expect(pieces("<|endoftext|>!", splitter: splitter) == ["<|", "endoftext", "|>", "!"])
        #expect(pieces("!<|endoftext|>", splitter: splitter) == ["!<|", "endoftext", "|>"])
        // Per-scalar lower-casing: no final sigma; İ becomes i + U+0307, a mark, so a piece of its own.
        #expect(pieces("ΣΑΣ İ", splitter: splitter) == ["σασ", "i", "\u{307}"])
    }
}

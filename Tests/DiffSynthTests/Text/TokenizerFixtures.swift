import Foundation
@testable import DiffSynth

/// Golden tokenizer data from Tools/reference/make_tokenizer_fixtures.py (transformers 5.24).
///
/// The committed folders under `Fixtures/tokenizers/` are the real Qwen2.5 and CLIP files
/// restricted to the merges the golden prompts use, with the real ids; when
/// `DIFFSYNTH_TOKENIZER_ROOT` names a folder of the same layout holding the full files (the
/// script's `--real DIR`), the "full vocabulary" tests run the same goldens against it.
enum TokenizerFixtures {
    static let committedRoot = Fixtures.url("tokenizers")

    /// The full real tokenizer folders, when the environment points at them.
    static let fullRoot: URL? = ProcessInfo.processInfo.environment["DIFFSYNTH_TOKENIZER_ROOT"]
        .flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }

    struct QwenCase: Decodable, Sendable {
        let text: String
        let ids: [Int]
        let decoded: String
        let decodedSkippingSpecial: String
        let speed: Bool?
    }

    struct Padded: Decodable, Sendable {
        let ids: [Int]
        let attentionMask: [Int]
    }

    struct OtherLength: Decodable, Sendable {
        let maxLength: Int
        let ids: [Int]
        let attentionMask: [Int]
    }

    /// One CLIP prompt; the `…2` fields are for SDXL's `tokenizer_2/` (pad `!`).
    struct CLIPCase: Decodable, Sendable {
        let text: String
        let ids: [Int]
        let ids2: [Int]
        let padded: Padded
        let padded2: Padded
        let decoded: String
        let decoded2: String
        let decodedPadded: String
        let decodedPadded2: String
        let decodedPaddedSkippingSpecial: String
        let decodedPaddedSkippingSpecial2: String
        let otherLengths: [OtherLength]?
        let otherLengths2: [OtherLength]?
        let speed: Bool?

        func ids(secondTokenizer: Bool) -> [Int] { secondTokenizer ? ids2 : ids }
        func padded(secondTokenizer: Bool) -> Padded { secondTokenizer ? padded2 : padded }
        func otherLengths(secondTokenizer: Bool) -> [OtherLength] { (secondTokenizer ? otherLengths2 : otherLengths) ?? [] }
    }

    /// One T5 text (Tools/reference/make_t5_tokenizer_fixtures.py). Padded ids for 256 and 512
    /// are stored as the attended part only: transformers' output is those ids followed by
    /// `<pad>` (0) with mask 0, which the script checks.
    struct T5Case: Decodable, Sendable {
        let text: String
        let ids: [Int]
        let padded16: Padded
        let attended256: [Int]
        let attended512: [Int]
        /// `decode(ids + [</s>])` without and with `skip_special_tokens`, for a folder without clean-up…
        let decoded: String
        let decodedSkippingSpecial: String
        /// …and for FLUX's config, which sets `clean_up_tokenization_spaces`.
        let decodedCleaned: String
        let decodedCleanedSkippingSpecial: String
    }

    /// A random text over the script's alphabet of troublemakers, with its content ids.
    struct T5RandomCase: Decodable, Sendable {
        let text: String
        let ids: [Int]
    }

    private struct T5RandomFile: Decodable {
        let randomCases: [T5RandomCase]
    }

    private struct File<Case: Decodable>: Decodable {
        let cases: [Case]
    }

    static func qwenCases() throws -> [QwenCase] { try cases("tokenizers/qwen2.json") }
    static func clipCases() throws -> [CLIPCase] { try cases("tokenizers/clip.json") }
    static func t5Cases() throws -> [T5Case] { try cases("tokenizers/t5.json") }
    static func t5RandomCases() throws -> [T5RandomCase] {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(T5RandomFile.self, from: Data(contentsOf: Fixtures.url("tokenizers/t5.json"))).randomCases
    }

    private static func cases<Case: Decodable>(_ path: String) throws -> [Case] {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(File<Case>.self, from: Data(contentsOf: Fixtures.url(path))).cases
    }

    /// Strings equal scalar for scalar (Swift's `==` would also accept canonically equivalent text).
    static func sameScalars(_ a: String, _ b: String) -> Bool {
        Array(a.unicodeScalars) == Array(b.unicodeScalars)
    }

    /// A short printable form of a prompt for failure messages.
    static func label(_ text: String) -> String {
        let escaped = text.unicodeScalars.prefix(60).map { $0.isASCII && $0.value >= 0x20 ? String($0) : $0.escaped(asASCII: true) }.joined()
        return "\"\(escaped)\"" + (text.unicodeScalars.count > 60 ? "…" : "")
    }

    /// A fresh directory, removed after `body`.
    @discardableResult
    static func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("diffsynth-tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try body(directory)
    }
}

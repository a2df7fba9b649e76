import Foundation

/// The CLIP tokenizer used by Stable Diffusion and SDXL (`tokenizer/`, `tokenizer_2/`), giving
/// the same ids as transformers 5's `CLIPTokenizer` (= the 4.x `CLIPTokenizerFast`).
///
/// Text is NFC-normalised and lower-cased, split into letter runs, single digits, punctuation
/// runs and contractions (white space dropped; see ``CLIPTextSplitter``), and each piece
/// BPE-encoded over GPT-2's byte alphabet with `</w>` marking the end of the word. No ftfy or
/// HTML clean-up is applied: neither the transformers 5 tokenizer nor the 4.x fast one does
/// that. (The 4.x slow tokenizer without ftfy differs on CJK text, control characters and Greek
/// final sigma; it is not the reference.)
///
/// Special tokens count as tokens wherever they appear in the text, with the folder's rules:
/// SDXL's `tokenizer_2/` declares `!` as its pad token, so every `!` in a prompt becomes id 0
/// there (as in transformers), while `tokenizer/` encodes it as `!</w>` (256).
public final class CLIPTokenizer: TextTokenizer {
    private let pipeline: ByteLevelBPEPipeline<CLIPTextSplitter>
    /// `<|startoftext|>`, put before the text by ``encode(_:maxLength:padToken:)``.
    public let bosTokenID: Int
    /// `<|endoftext|>`, put after the text by ``encode(_:maxLength:padToken:)``.
    public let eosTokenID: Int
    /// The folder's padding token: `<|endoftext|>` for SDXL's `tokenizer/`, `!` for `tokenizer_2/`.
    public let padToken: String
    /// The config's `model_max_length` (77 for every CLIP text encoder).
    public let modelMaxLength: Int

    /// Loads a tokenizer folder: `vocab.json` + `merges.txt` (the diffusers layout) or
    /// `tokenizer.json`, with `tokenizer_config.json` / `special_tokens_map.json` for the
    /// special tokens.
    ///
    /// - Throws: ``TokenizerError`` naming the missing or malformed file.
    public init(folder: URL) throws {
        let contents = try TokenizerFolder(folder: folder)
        let unknown = contents.specialTokens["unk_token"] ?? "<|endoftext|>"
        pipeline = try ByteLevelBPEPipeline(folder: contents, splitter: CLIPTextSplitter(), endOfWordSuffix: "</w>", unknownToken: unknown)
        let bos = contents.specialTokens["bos_token"] ?? "<|startoftext|>"
        let eos = contents.specialTokens["eos_token"] ?? "<|endoftext|>"
        guard let bosID = pipeline.id(of: bos), let eosID = pipeline.id(of: eos) else {
            throw TokenizerError.invalidEntry(path: contents.modelPath, entry: "vocabulary",
                                              reason: "lacks the begin/end tokens '\(bos)' / '\(eos)'")
        }
        bosTokenID = bosID
        eosTokenID = eosID
        padToken = contents.specialTokens["pad_token"] ?? "<|endoftext|>"
        modelMaxLength = contents.modelMaxLength ?? 77
    }

    /// Token ids of `text` without BOS/EOS.
    public func encode(_ text: String) -> [Int] {
        pipeline.encode(text)
    }

    /// `[BOS] + ids + [EOS]`, cut and padded to exactly `maxLength`, as transformers'
    /// `tokenizer(text, padding="max_length", truncation=True, max_length=maxLength)`:
    /// a long text keeps its first `maxLength - 2` tokens and still ends with EOS; padding goes
    /// on the right and has attention mask 0.
    ///
    /// - Parameter padToken: the padding token, normally ``padToken`` of the folder
    ///   (SDXL: `<|endoftext|>` for `tokenizer/`, `!` for `tokenizer_2/`). It must be in the
    ///   vocabulary, and `maxLength` must be at least 2.
    public func encode(_ text: String, maxLength: Int = 77, padToken: String) -> (ids: [Int], attentionMask: [Int]) {
        precondition(maxLength >= 2, "CLIPTokenizer: maxLength \(maxLength) leaves no room for BOS and EOS")
        guard let padID = id(of: padToken) else {
            preconditionFailure("CLIPTokenizer: pad token '\(padToken)' is not in the vocabulary")
        }
        let content = encode(text).prefix(maxLength - 2)
        var ids = [bosTokenID] + content + [eosTokenID]
        let mask = [Int](repeating: 1, count: ids.count) + [Int](repeating: 0, count: maxLength - ids.count)
        ids += [Int](repeating: padID, count: maxLength - ids.count)
        return (ids, mask)
    }

    /// The id of a vocabulary or special token, nil when unknown.
    public func id(of token: String) -> Int? {
        pipeline.id(of: token)
    }

    /// The text of `ids`, special tokens included as written; each `</w>` becomes a space and the
    /// result is trimmed, as transformers does.
    public func decode(_ ids: [Int]) -> String {
        decode(ids, skipSpecialTokens: false)
    }

    /// The text of `ids`, optionally without special tokens (BOS, EOS, pad).
    public func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        // Replace `</w>` in the bytes: a String search would compare grapheme clusters and miss
        // a `</w>` followed by a combining mark. The bytes are ASCII, so lossy UTF-8 decoding
        // afterwards gives what replacing in the decoded text (as transformers does) gives.
        let bytes = pipeline.decodeBytes(ids, skipSpecialTokens: skipSpecialTokens)
        var replaced: [UInt8] = []
        replaced.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x3C, index + 3 < bytes.count, bytes[index + 1] == 0x2F, bytes[index + 2] == 0x77, bytes[index + 3] == 0x3E {
                replaced.append(0x20)
                index += 4
            } else {
                replaced.append(bytes[index])
                index += 1
            }
        }
        return Self.trimmingPythonWhitespace(String(decoding: replaced, as: UTF8.self))
    }

    /// The token string of an id, nil when unknown.
    public func token(for id: Int) -> String? {
        pipeline.token(id)
    }

    /// The number of distinct ids, special tokens included (transformers' `len(tokenizer)`).
    public var count: Int { pipeline.count }

    /// `str.strip()`: Python's white space is the White_Space property plus U+001C–U+001F.
    private static func trimmingPythonWhitespace(_ text: String) -> String {
        func isSpace(_ scalar: Unicode.Scalar) -> Bool {
            scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value)
        }
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isSpace($0) })!
        return String(scalars[first...last])
    }
}

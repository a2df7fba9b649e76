import Foundation

/// What a pipeline needs from a tokenizer whose encoder reads fixed-length rows: the ids of a
/// prompt exactly as the diffusers pipeline builds them with `padding="max_length",
/// truncation=True` — for CLIP `<|startoftext|>`, at most `maxLength − 2` tokens,
/// `<|endoftext|>`, then the folder's pad token up to `maxLength` (77); for T5 the tokens, `</s>`
/// and `<pad>` up to `max_sequence_length`.
///
/// Any tokenizer fits behind this (see ``ClosureTokenizer``); tests use token ids made by
/// transformers. SDXL's two tokenizers and FLUX's CLIP and T5 ones are used this way.
public protocol PaddedTokenizer: Sendable {
    /// Padded/truncated ids of `text`, exactly `maxLength` long.
    func paddedTokenIDs(_ text: String) throws -> [Int]
}

/// A ``PaddedTokenizer`` from a function (e.g. the framework's CLIP tokenizer with the folder's
/// pad token: `ClosureTokenizer { try clip.encode($0, maxLength: 77, padToken: settings.padToken) }`).
public struct ClosureTokenizer: PaddedTokenizer {
    private let body: @Sendable (String) throws -> [Int]

    /// Wraps `body`, which must return exactly `maxLength` ids.
    public init(_ body: @escaping @Sendable (String) throws -> [Int]) { self.body = body }

    /// The ids `body` gives for `text`.
    public func paddedTokenIDs(_ text: String) throws -> [Int] { try body(text) }
}

extension PaddedTokenizer where Self == ClosureTokenizer {
    /// The framework's CLIP BPE tokenizer for a `tokenizer/` folder, padded with the folder's own
    /// pad token (`<|endoftext|>` for `tokenizer/`, `!` for `tokenizer_2/`) to its
    /// `model_max_length` (77), as diffusers' SDXL and FLUX pipelines tokenize.
    public static func clip(folder: URL) throws -> ClosureTokenizer {
        let clip = try CLIPTokenizer(folder: folder)
        return ClosureTokenizer { clip.encode($0, maxLength: clip.modelMaxLength, padToken: clip.padToken).ids }
    }
}

/// A stand-in tokenizer for random-weight models (SDXL's and FLUX's `tiny` pipelines),
/// where a real vocabulary means nothing: `[vocab − 2]` (start), the UTF-8 bytes as ids 0…255
/// (CLIP's byte symbols, without merges), `[vocab − 1]` (end), padded with `padID`.
public struct ByteLevelStandInTokenizer: PaddedTokenizer {
    /// Vocabulary size of the encoder the ids feed (start = size − 2, end = size − 1).
    public let vocabularySize: Int
    /// Padded length.
    public let maxLength: Int
    /// Pad id (size − 1 like `tokenizer/`, 0 like `tokenizer_2/`).
    public let padID: Int

    /// A stand-in for an encoder of `vocabularySize` ids.
    public init(vocabularySize: Int, maxLength: Int = 77, padID: Int) {
        precondition(vocabularySize > 257, "the stand-in needs 256 byte ids plus start and end")
        self.vocabularySize = vocabularySize
        self.maxLength = maxLength
        self.padID = padID
    }

    /// Start id, bytes of the lowercased text (truncated), end id, padding.
    public func paddedTokenIDs(_ text: String) -> [Int] {
        let content = text.lowercased().utf8.prefix(maxLength - 2).map { Int($0) }
        let ids = [vocabularySize - 2] + content + [vocabularySize - 1]
        return ids + Array(repeating: padID, count: maxLength - ids.count)
    }
}

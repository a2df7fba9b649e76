import Foundation

/// Why a Qwen-Image model folder cannot be loaded or used (weight mismatches are the framework's
/// ``WeightLoadError``, naming the key and file). Every case names the file at fault.
public enum QwenImageError: Error, CustomStringConvertible {
    /// A token id is outside the text encoder's embedding table.
    case tokenOutOfVocabulary(id: Int, vocabularySize: Int)

    /// The message, naming the file and key.
    public var description: String {
        switch self {
        case .tokenOutOfVocabulary(let id, let size):
            return "token id \(id) is outside the text encoder's vocabulary of \(size): the tokenizer does not belong to this model"
        }
    }
}

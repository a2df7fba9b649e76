import Foundation

/// Why a Qwen-Image model folder cannot be loaded or used (weight mismatches are the framework's
/// ``WeightLoadError``, naming the key and file). Every case names the file at fault.
public enum QwenImageError: Error, CustomStringConvertible {
    /// The folder's `model_index.json` names another pipeline class.
    case wrongPipeline(path: String, found: String)
    /// A component of `model_index.json` has an unexpected class.
    case wrongComponentClass(path: String, component: String, found: String, expected: String)
    /// A token id is outside the text encoder's embedding table.
    case tokenOutOfVocabulary(id: Int, vocabularySize: Int)

    /// The message, naming the file and key.
    public var description: String {
        switch self {
        case .wrongPipeline(let path, let found):
            return "\(path): model_index.json describes a \(found.isEmpty ? "pipeline without _class_name" : found), not a QwenImagePipeline"
        case .wrongComponentClass(let path, let component, let found, let expected):
            return "\(path): component '\(component)' is a \(found), expected \(expected)"
        case .tokenOutOfVocabulary(let id, let size):
            return "token id \(id) is outside the text encoder's vocabulary of \(size): the tokenizer does not belong to this model"
        }
    }
}

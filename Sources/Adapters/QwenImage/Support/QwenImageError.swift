import Foundation

/// Why a Qwen-Image model folder cannot be loaded or used. Every case names the file and, where
/// there is one, the tensor key at fault.
public enum QwenImageError: Error, CustomStringConvertible {
    /// The folder's `model_index.json` names another pipeline class.
    case wrongPipeline(path: String, found: String)
    /// A component of `model_index.json` has an unexpected class.
    case wrongComponentClass(path: String, component: String, found: String, expected: String)
    /// A parameter of the model has no tensor in the component's checkpoint.
    case missingTensor(component: String, key: String, checkpoint: String, missingCount: Int)
    /// The checkpoint holds a tensor the model has no parameter for.
    case unexpectedTensor(component: String, key: String, file: String, unexpectedCount: Int)
    /// A tensor's shape differs from the parameter's.
    case shapeMismatch(component: String, key: String, file: String, found: [Int], expected: [Int])
    /// A tensor is stored in an element type that cannot be widened to Float32.
    case unsupportedDType(component: String, key: String, file: String, dtype: String)
    /// A token id is outside the text encoder's embedding table.
    case tokenOutOfVocabulary(id: Int, vocabularySize: Int)

    /// The message, naming the file and key.
    public var description: String {
        switch self {
        case .wrongPipeline(let path, let found):
            return "\(path): model_index.json describes a \(found.isEmpty ? "pipeline without _class_name" : found), not a QwenImagePipeline"
        case .wrongComponentClass(let path, let component, let found, let expected):
            return "\(path): component '\(component)' is a \(found), expected \(expected)"
        case .missingTensor(let component, let key, let checkpoint, let count):
            return "\(checkpoint): \(component) tensor '\(key)' is missing" + (count > 1 ? " (and \(count - 1) more)" : "")
        case .unexpectedTensor(let component, let key, let file, let count):
            return "\(file): unexpected tensor '\(key)' — the \(component) model has no such parameter" + (count > 1 ? " (and \(count - 1) more unexpected)" : "")
        case .shapeMismatch(let component, let key, let file, let found, let expected):
            return "\(file): \(component) tensor '\(key)' has shape \(found), the model expects \(expected)"
        case .unsupportedDType(let component, let key, let file, let dtype):
            return "\(file): \(component) tensor '\(key)' is stored as \(dtype), which cannot be read as Float32"
        case .tokenOutOfVocabulary(let id, let size):
            return "token id \(id) is outside the text encoder's vocabulary of \(size): the tokenizer does not belong to this model"
        }
    }
}

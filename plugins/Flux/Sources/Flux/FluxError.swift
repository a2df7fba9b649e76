import DiffSynth

/// FLUX-specific failures. Missing folders, files and keys use the framework's
/// ``ModelFolderError``, ``ConfigurationError``, ``SafetensorsError`` and ``WeightLoadError``,
/// which name the path and key at fault.
public enum FluxError: Error, CustomStringConvertible {
    /// `model_index.json` names another pipeline.
    case wrongPipeline(path: String, found: String)
    /// A component of `model_index.json` has a class this adapter does not implement.
    case wrongComponentClass(path: String, component: String, found: String, expected: String)
    /// Components whose configurations do not fit together; `reason` names the settings.
    case incompatibleComponents(folder: String, reason: String)
    /// A tokenizer returned a row of the wrong length.
    case tokenizerLength(which: String, prompt: Int, expected: Int, got: Int)

    /// A message naming the file, component or setting at fault.
    public var description: String {
        switch self {
        case .wrongPipeline(let path, let found): return "\(path): _class_name is '\(found)', not 'FluxPipeline'"
        case .wrongComponentClass(let path, let component, let found, let expected):
            return "\(path): component '\(component)' is a \(found); the FLUX adapter reads \(expected)"
        case .incompatibleComponents(let folder, let reason): return "\(folder): components do not fit together: \(reason)"
        case .tokenizerLength(let which, let prompt, let expected, let got):
            return "\(which) returned \(got) token ids for prompt \(prompt); its encoder needs exactly \(expected) (padded and truncated)"
        }
    }
}

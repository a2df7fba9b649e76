import DiffSynth

/// FLUX-specific failures. Missing folders, files and keys use the framework's
/// ``ModelFolderError``, ``ConfigurationError``, ``SafetensorsError`` and ``WeightLoadError``,
/// which name the path and key at fault.
public enum FluxError: Error, CustomStringConvertible {
    /// Components whose configurations do not fit together; `reason` names the settings.
    case incompatibleComponents(folder: String, reason: String)
    /// A tokenizer returned a row of the wrong length.
    case tokenizerLength(which: String, prompt: Int, expected: Int, got: Int)

    /// A message naming the file, component or setting at fault.
    public var description: String {
        switch self {
        case .incompatibleComponents(let folder, let reason): return "\(folder): components do not fit together: \(reason)"
        case .tokenizerLength(let which, let prompt, let expected, let got):
            return "\(which) returned \(got) token ids for prompt \(prompt); its encoder needs exactly \(expected) (padded and truncated)"
        }
    }
}

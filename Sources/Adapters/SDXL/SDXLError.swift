import DiffSynth

/// SDXL-specific failures. Missing folders, files and keys use the framework's
/// ``ModelFolderError``, ``ConfigurationError``, ``SafetensorsError`` and ``WeightLoadError``,
/// which name the path and key at fault.
public enum SDXLError: Error, CustomStringConvertible {
    /// Components whose configurations do not fit together (e.g. text widths vs. the UNet's
    /// `cross_attention_dim`); `reason` names the settings.
    case incompatibleComponents(folder: String, reason: String)
    /// ``SDXLPipeline/encode(prompt:)`` was called on a pipeline built without tokenizers.
    case noTokenizer
    /// A tokenizer returned a sequence of the wrong length.
    case tokenizerLength(which: String, expected: Int, got: Int)

    /// A message naming the folder, setting or tokenizer at fault.
    public var description: String {
        switch self {
        case .incompatibleComponents(let folder, let reason): return "\(folder): components do not fit together: \(reason)"
        case .noTokenizer:
            return "this SDXL pipeline has no tokenizers: pass them when loading, or encode token ids with encode(tokenIDs:tokenIDs2:)"
        case .tokenizerLength(let which, let expected, let got):
            return "\(which) returned \(got) token ids; the text encoders need exactly \(expected) (padded and truncated)"
        }
    }
}

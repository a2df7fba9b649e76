import DiffSynth

// Generic, not Qwen-specific (SDXL needs the same): checks a whole checkpoint against a module
// from the safetensors headers alone, before any tensor is read, and names the shard file at
// fault. Candidate for moving next to `Module.load(from:…)` in the framework (with a
// family-neutral error type).

/// Where a strict load would fail.
public struct CheckpointMismatch: Sendable {
    /// Model keys the checkpoint does not provide, sorted.
    public var missing: [String] = []
    /// Checkpoint tensors the model has no parameter for (or that map to an already provided key), with their files.
    public var unexpected: [(key: String, file: String)] = []
    /// Tensors whose stored shape differs from the parameter's.
    public var shapeMismatches: [(key: String, file: String, found: [Int], expected: [Int])] = []
    /// Tensors in element types that cannot be widened to Float32.
    public var unreadable: [(key: String, file: String, dtype: String)] = []

    /// Whether a strict load would succeed.
    public var isEmpty: Bool { missing.isEmpty && unexpected.isEmpty && shapeMismatches.isEmpty && unreadable.isEmpty }
}

extension Module {
    /// Compares this module's parameters with the tensors of `checkpoint` (headers only: names,
    /// shapes, element types), mapping checkpoint names through `keyForSourceName` as
    /// ``DiffSynth/Module/load(from:sourceName:strict:keyForSourceName:)`` does (nil skips a name).
    public func checkpointMismatch(_ checkpoint: ShardedSafetensors,
                                   keyForSourceName: (String) -> String? = { $0 }) -> CheckpointMismatch {
        let parameters = namedParameters()
        var result = CheckpointMismatch()
        var provided = Set<String>()
        for name in checkpoint.names {
            guard let key = keyForSourceName(name) else { continue }
            let file = checkpoint.file(containing: name)?.url.lastPathComponent ?? checkpoint.url.lastPathComponent
            guard let parameter = parameters[key], provided.insert(key).inserted else {
                result.unexpected.append((name, file))
                continue
            }
            guard let info = checkpoint.info(name) else { continue }
            if info.shape != parameter.shape {
                result.shapeMismatches.append((name, file, info.shape, parameter.shape))
            } else if !info.dtype.isConvertibleToFloat32 {
                result.unreadable.append((name, file, info.dtype.rawValue))
            }
        }
        result.missing = parameters.keys.filter { !provided.contains($0) }.sorted()
        return result
    }
}

import DiffSynth

/// A ``WeightSource`` seen through a renaming: each source tensor appears under the model key
/// `rename` gives it (nil hides it), optionally reshaped (e.g. 1×1 convolution weights stored
/// for what is now a Linear layer). Reads stay lazy, one tensor at a time.
///
/// A generic loading utility (Qwen-Image's converters would use it too); a candidate for the
/// framework's IO folder.
public struct RenamedWeights: WeightSource {
    /// The weights as stored.
    public let base: any WeightSource
    private let sourceForName: [String: String]
    private let reshape: (_ name: String, _ shape: [Int]) -> [Int]

    /// - Parameters:
    ///   - rename: model key for a source name, nil to skip the tensor. Two source names mapping
    ///     to one key keep the first (in sorted order) and expose the rest unchanged, so the
    ///     strict load reports them as unexpected.
    ///   - reshape: the shape the model should see for a (renamed) tensor of a given stored shape;
    ///     it must keep the element count.
    public init(_ base: any WeightSource, rename: (String) -> String?,
                reshape: @escaping (_ name: String, _ shape: [Int]) -> [Int] = { $1 }) {
        self.base = base
        var map: [String: String] = [:]
        for name in base.names {
            guard let key = rename(name) else { continue }
            if map[key] == nil { map[key] = name } else { map[name] = name }
        }
        sourceForName = map
        self.reshape = reshape
    }

    /// The model keys this source provides (renamed), sorted.
    public var names: [String] { sourceForName.keys.sorted() }

    /// The shape of model key `name` after reshaping, nil when absent.
    public func shape(of name: String) -> [Int]? {
        guard let source = sourceForName[name], let shape = base.shape(of: source) else { return nil }
        return reshape(name, shape)
    }

    /// Reads the tensor behind model key `name`, reshaped.
    public func tensor(_ name: String) throws -> Tensor {
        guard let source = sourceForName[name] else { throw WeightLoadError.missingTensor(name: name, source: "renamed weights") }
        let value = try base.tensor(source)
        let shape = reshape(name, value.shape)
        return shape == value.shape ? value : value.reshaped(shape)
    }
}

/// How SDXL's component files map onto the modules' keys.
public enum SDXLWeights {
    /// transformers key → ``CLIPTextEncoder`` key: published files and `CLIPTextModelWithProjection`
    /// use the `text_model.` prefix, transformers 5 saves `CLIPTextModel` without it; the
    /// non-persistent `position_ids` buffer some exports contain is skipped.
    public static func textEncoderKey(_ name: String) -> String? {
        if name.hasSuffix("position_ids") { return nil }
        if name.hasPrefix("text_model.") || name.hasPrefix("text_projection.") { return name }
        return "text_model." + name
    }

    /// A text encoder checkpoint as ``CLIPTextEncoder`` keys.
    public static func textEncoderSource(_ source: any WeightSource) -> RenamedWeights {
        RenamedWeights(source, rename: textEncoderKey)
    }

    private static let legacyAttentionNames = ["query": "to_q", "key": "to_k", "value": "to_v", "proj_attn": "to_out.0"]

    /// diffusers' `_fix_state_dict_keys_on_load` for VAEs: mid-block attention weights saved by
    /// old diffusers as `query`/`key`/`value`/`proj_attn` become `to_q`/`to_k`/`to_v`/`to_out.0`,
    /// and their 1×1 convolution shape `[C, C, 1, 1]` (LDM exports) becomes `[C, C]`.
    public static func vaeSource(_ source: any WeightSource) -> RenamedWeights {
        RenamedWeights(source, rename: { name in
            var parts = name.split(separator: ".").map(String.init)
            guard parts.count >= 2, name.contains(".attentions."), let renamed = legacyAttentionNames[parts[parts.count - 2]] else {
                return name
            }
            parts[parts.count - 2] = renamed
            return parts.joined(separator: ".")
        }, reshape: { name, shape in
            name.contains(".attentions.") && name.hasSuffix(".weight") && shape.count == 4 && shape[2] == 1 && shape[3] == 1
                ? [shape[0], shape[1]] : shape
        })
    }
}

import Foundation

extension AutoencoderKL {
    private static let legacyAttentionNames = ["query": "to_q", "key": "to_k", "value": "to_v", "proj_attn": "to_out.0"]

    /// diffusers' `_fix_state_dict_keys_on_load` for VAEs: mid-block attention weights saved by
    /// old diffusers as `query`/`key`/`value`/`proj_attn` become `to_q`/`to_k`/`to_v`/`to_out.0`,
    /// and their 1×1 convolution shape `[C, C, 1, 1]` (LDM exports) becomes `[C, C]`.
    public static func weightSource(_ source: any WeightSource) -> RenamedWeights {
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

    /// Loads a diffusers `vae/` folder on its own, strictly (legacy attention names accepted), frozen.
    public static func load(from folder: URL, variant: String? = nil) throws -> AutoencoderKL {
        let configuration = try AutoencoderKLConfiguration(
            contentsOf: try DiffusersFolder.existingFile(folder.appendingPathComponent("config.json")))
        let weights = try ShardedSafetensors(url: folder, variant: variant)
        let vae = AutoencoderKL(configuration: configuration, scope: ParameterScope(.uninitialized))
        try vae.load(from: weightSource(weights), sourceName: weights.url.path)
        vae.freeze()
        return vae
    }
}

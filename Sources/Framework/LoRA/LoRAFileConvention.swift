/// How a family's diffusers pipeline reads LoRA files, so that the files we write load there
/// (`pipe.load_lora_weights(path)`) as well as in DiffSynth-Studio (`pipe.load_lora(module, path)`).
///
/// The two loaders want different names: DiffSynth-Studio matches `<layer>.lora_A[.default].weight`
/// against its module names (stripping only `diffusion_model.`), while diffusers keeps only keys
/// under the component's prefix (`unet.<layer>.lora_A.weight`) — except where its loader converts
/// DiffSynth's names itself (Qwen-Image's `lora_state_dict` does, for keys with `.default.`).
public struct LoRAFileConvention: Sendable, Equatable {
    /// The prefix diffusers' loader keeps: `transformer` (Qwen-Image), `unet` (SDXL).
    public var diffusersPrefix: String
    /// Whether diffusers' loader converts DiffSynth's `.lora_A.default.weight` / `.alpha` names on its own.
    public var diffusersConvertsDiffSynthNames: Bool

    public init(diffusersPrefix: String, diffusersConvertsDiffSynthNames: Bool) {
        self.diffusersPrefix = diffusersPrefix
        self.diffusersConvertsDiffSynthNames = diffusersConvertsDiffSynthNames
    }
}

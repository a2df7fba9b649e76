/// When a guidance scale turns classifier-free guidance on: the reference pipelines disagree, so
/// each family states the rule of the pipeline its users know.
public enum GuidanceRule: String, Sendable, Codable {
    /// Guide at any scale but 1 (DiffSynth-Studio's pipelines: `if cfg_scale != 1.0`). Scales
    /// below 1, 0 included, extrapolate away from the prompt.
    case unlessScaleIsOne
    /// Guide only above 1 (diffusers' SDXL pipelines: `do_classifier_free_guidance =
    /// guidance_scale > 1`). Any scale ≤ 1 is one evaluation on the prompt alone: sdxl-turbo's
    /// documented `guidance_scale=0.0` is the same as 1.
    case aboveOne

    /// Whether `scale` runs a second (negative) evaluation per step.
    public func guides(_ scale: Float) -> Bool {
        switch self {
        case .unlessScaleIsOne: return scale != 1
        case .aboveOne: return scale > 1
        }
    }

    /// Denoiser evaluations per step at `scale`.
    public func evaluationsPerStep(_ scale: Float) -> Int { guides(scale) ? 2 : 1 }

    /// The rule in words, for `adapters` and the README's family table.
    public var summary: String {
        switch self {
        case .unlessScaleIsOne: return "CFG at any scale but 1 (DiffSynth's cfg_scale != 1)"
        case .aboveOne: return "CFG only above 1 (diffusers' guidance_scale > 1; 0 = 1 = no CFG)"
        }
    }
}

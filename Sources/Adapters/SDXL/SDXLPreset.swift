import DiffSynth

/// Sampling defaults of the two published SDXL checkpoints (same architecture, different weights
/// and schedulers).
public enum SDXLPreset: String, Sendable, Equatable {
    /// `stabilityai/stable-diffusion-xl-base-1.0`: teacher 50 steps at guidance 5 (diffusers'
    /// defaults), student 4 steps without guidance.
    case base
    /// `stabilityai/sdxl-turbo`: 1 step without guidance for both (Turbo is adversarially
    /// distilled; diffusers runs it with `guidance_scale=0`, which, like 1, disables CFG).
    case turbo

    /// Defaults for the many-step (teacher) role.
    public var teacher: SamplingSettings {
        switch self {
        case .base: SamplingSettings(steps: 50, guidanceScale: 5)
        case .turbo: SamplingSettings(steps: 1, guidanceScale: 1)
        }
    }

    /// Defaults for the few-step (student) role.
    public var student: SamplingSettings {
        switch self {
        case .base: SamplingSettings(steps: 4, guidanceScale: 1)
        case .turbo: SamplingSettings(steps: 1, guidanceScale: 1)
        }
    }

    /// The preset a diffusers folder's scheduler class implies: Turbo ships
    /// `EulerAncestralDiscreteScheduler`, base `EulerDiscreteScheduler`.
    public static func forScheduler(className: String) -> SDXLPreset {
        className == "EulerAncestralDiscreteScheduler" ? .turbo : .base
    }
}

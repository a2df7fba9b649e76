import DiffSynth
import Foundation

/// The whole-pipeline fixtures of `Tools/reference/flux_pipeline_fixtures.py`: two tiny BF16 model
/// folders in FLUX.1's diffusers layout and what diffusers' `FluxPipeline` produced from them.
enum PipelineFixtures {
    /// FLUX.1-dev's layout (guidance embedding, dynamic shift, sharded transformer and T5).
    static let dev = Fixtures.root.appendingPathComponent("flux-dev-tiny")
    /// FLUX.1-schnell's layout (no guidance embedding, no shift).
    static let schnell = Fixtures.root.appendingPathComponent("flux-schnell-tiny")
    static let referenceFolder = Fixtures.root.appendingPathComponent("flux-pipeline-reference")

    /// One `FluxPipeline.__call__` of the fixture script.
    struct Run: Decodable {
        let prompts: [String]
        let negative_prompt: String?
        let height: Int
        let width: Int
        let seed: UInt64
        let steps: Int
        /// diffusers' `guidance_scale`: the embedded guidance (dev only).
        let guidance_scale: Float
        /// diffusers' `true_cfg_scale` (two passes when > 1 with a negative prompt).
        let true_cfg_scale: Float
        let max_sequence_length: Int
        let image_tokens: Int
        let clip_ids: [[Int]]
        let t5_ids: [[Int]]
    }

    /// diffusers' `set_timesteps(sigmas=linspace(1, 1/N, N), mu=calculate_shift(tokens))`.
    struct ScheduleRecord: Decodable {
        let steps: Int
        let image_tokens: Int
        let sigmas: [Double]
        let timesteps: [Double]
    }

    struct Metadata: Decodable {
        let runs: [String: Run]
        let schedules: [String: ScheduleRecord]
    }

    static let metadata: Metadata = {
        try! JSONDecoder().decode(Metadata.self, from: Data(contentsOf: referenceFolder.appendingPathComponent("reference.json")))
    }()

    static let references: SafetensorsFile = try! SafetensorsFile(url: referenceFolder.appendingPathComponent("reference.safetensors"))

    /// A reference tensor (`dev.embedded.latents`, …).
    static func reference(_ name: String) throws -> Tensor { try references.tensor(name) }

    /// The folder a run's name starts with.
    static func folder(of run: String) -> URL { run.hasPrefix("schnell") ? schnell : dev }
}

import Foundation

/// A training loss: what one dataset sample contributes. The trainer owns the loop, optimiser,
/// checkpoints and logs; objectives only turn a sample into a scalar loss tensor.
public protocol TrainingObjective {
    /// The task name, as DiffSynth's `--task` spells it (`direct_distill`, `sft`, …).
    var name: String { get }
    /// Checks that a sample has what this objective needs, before training starts.
    func validate(_ sample: TrainingSample, pipeline: any DiffusionPipeline) throws
    /// The loss for one sample at global micro-step `step` (objectives that draw random numbers
    /// seed them from the step, so resumed runs draw the same ones).
    func loss(for sample: TrainingSample, step: Int, pipeline: any DiffusionPipeline, cache: TrainingCache) throws -> Tensor
}

extension TorchGenerator {
    /// The generator of an objective's random draws at global micro-step `step`: seeded from
    /// (`seed`, `step`) alone, so a resumed run draws exactly what the uninterrupted run did.
    static func trainingStep(_ step: Int, seed: UInt64) -> TorchGenerator {
        TorchGenerator(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(step))
    }
}

/// Frozen-encoder outputs kept across epochs: prompt conditionings and VAE latents of target
/// images are computed once per distinct prompt/image (the text encoders and VAE are frozen, so
/// the values never change), which makes epochs after the first cost only the denoiser.
public final class TrainingCache {
    /// Turns an image file into a `[1, 3, H, W]` tensor in [-1, 1] (the dataset's load, resize
    /// and crop rules live here).
    public let loadImage: (URL) throws -> Tensor
    private var conditionings: [String: Conditioning] = [:]
    private var latents: [String: Tensor] = [:]
    private var teacherLatents: [String: (latents: Tensor, family: String?)] = [:]

    public init(loadImage: @escaping (URL) throws -> Tensor) {
        self.loadImage = loadImage
    }

    /// The encoding of `prompt`, computed without gradients on first use.
    public func conditioning(_ prompt: String, pipeline: any DiffusionPipeline) throws -> Conditioning {
        if let cached = conditionings[prompt] { return cached }
        let value = try withNoGrad { try pipeline.encode(prompt: prompt) }
        conditionings[prompt] = value
        return value
    }

    /// Positive and (when the family's rule guides) negative conditioning of a sample.
    public func prompts(for sample: TrainingSample, guidanceScale: Float, pipeline: any DiffusionPipeline) throws -> PromptPair {
        let positive = try conditioning(sample.prompt, pipeline: pipeline)
        guard pipeline.descriptor.guidance.guides(guidanceScale) else { return PromptPair(positive: positive) }
        // No negative prompt: the family decides (zeros for SDXL); cached apart from any text.
        let key = sample.negativePrompt ?? "\u{0}no negative prompt"
        if let cached = conditionings[key] { return PromptPair(positive: positive, negative: cached) }
        let negative = try withNoGrad { try pipeline.negativeConditioning(prompt: sample.negativePrompt, positive: positive) }
        conditionings[key] = negative
        return PromptPair(positive: positive, negative: negative)
    }

    /// A teacher-latents file (``TeacherLatentsFile``), read on first use.
    public func teacherLatents(_ url: URL) throws -> (latents: Tensor, family: String?) {
        if let cached = teacherLatents[url.path] { return cached }
        let value = try TeacherLatentsFile.read(url)
        teacherLatents[url.path] = value
        return value
    }

    /// The VAE latents of an image file, computed without gradients on first use.
    public func latents(of url: URL, pipeline: any DiffusionPipeline) throws -> Tensor {
        if let cached = latents[url.path] { return cached }
        let value = try withNoGrad { try pipeline.encode(image: try loadImage(url)) }
        latents[url.path] = value
        return value
    }
}

/// Why an objective cannot use a sample. Each case names the row.
public enum TrainingDataError: Error, CustomStringConvertible {
    case missing(row: String, what: String, hint: String)
    case unsupportedRandomDevice(row: String, device: String)

    public var description: String {
        switch self {
        case .missing(let row, let what, let hint): return "\(row): \(what) is required (\(hint))"
        case .unsupportedRandomDevice(let row, let device):
            return "\(row): rand_device '\(device)' cannot be reproduced here; only CPU noise (rand_device=cpu) regenerates the teacher's starting noise"
        }
    }
}

/// What a model-family adapter supplies: the one seam between the shared framework (sampler,
/// trainer, losses, host) and a family's networks.
///
/// Keep conformances small: everything that every adapter would write the same way (noise from
/// seeds, latent shapes, guidance, the sampling loop, losses) is provided by the framework.
public protocol DiffusionPipeline: AnyObject {
    /// Shapes, defaults and names of the family.
    var descriptor: PipelineDescriptor { get }
    /// The noise schedule the family samples and trains with.
    var scheduler: any Scheduler { get }
    /// The denoiser: the module that training updates (LoRA is injected below it).
    var denoiser: any Module { get }
    /// Whether the denoiser recomputes each block during backward instead of keeping its activations.
    var gradientCheckpointing: Bool { get set }

    /// Encodes one prompt (text encoders run without recording gradients).
    func encode(prompt: String) throws -> Conditioning

    /// The negative conditioning for guidance: `prompt` is the user's negative prompt, nil when
    /// none was given (each family's reference pipeline decides what that means). Default: nil
    /// encodes "" (DiffSynth-Studio's `negative_prompt=""`).
    func negativeConditioning(prompt: String?, positive: Conditioning) throws -> Conditioning

    /// Encodes several prompts as one batch, as the family's pipeline does for a list of prompts
    /// (padding and masks included). Default: each prompt encoded, concatenated (``Conditioning/batch(_:)``).
    func encode(prompts: [String]) throws -> Conditioning

    /// The negative conditioning of a batch (`prompts[i]` nil: none given for row i). Default:
    /// each row's ``negativeConditioning(prompt:positive:)``, concatenated.
    func negativeConditioning(prompts: [String?], positive: Conditioning) throws -> Conditioning

    /// One denoiser evaluation: the raw prediction for `latents` (already scaled by the
    /// scheduler's `scaleModelInput`) at `timestep`, conditioned on one prompt.
    func predict(latents: Tensor, timestep: Float, conditioning: Conditioning) -> Tensor

    /// VAE encoding of images `[B, 3, H, W]` in [-1, 1] to normalised latents (the posterior
    /// mean: deterministic), as the family's pipeline prepares distillation targets.
    func encode(image: Tensor) throws -> Tensor

    /// VAE decoding of normalised latents to images `[B, 3, H, W]` in [-1, 1].
    func decode(latents: Tensor) throws -> Tensor

    /// The same decoding without any final clamp to [-1, 1], for reconstruction training (a clamp
    /// passes no gradient where the output is out of range). Default: ``decode(latents:)``.
    func decodeForTraining(latents: Tensor) throws -> Tensor

    /// The schedule context for an image of this size (e.g. the image-token count for
    /// resolution-dependent shifting). Default: no context.
    func scheduleContext(height: Int, width: Int) -> ScheduleContext

    /// Combines the positive and negative predictions for guidance `scale`. Default:
    /// classifier-free guidance `negative + scale · (positive − negative)`.
    func guide(positive: Tensor, negative: Tensor, scale: Float) -> Tensor

    /// The networks with weights, by their diffusers component folder (`transformer`, `unet`,
    /// `vae`, `text_encoder`, …): what `--trainable_models` can name and what a model folder's
    /// weights are written from. Default: the denoiser alone, as `denoiser`.
    var components: [PipelineComponent] { get }
    /// The guidance scale the denoiser reads as an input rather than by a second pass
    /// (FLUX.1-dev's distilled guidance embedding, DiffSynth-Studio's `embedded_guidance`,
    /// diffusers' `guidance_scale` there); nil for families without one, whose only guidance is
    /// classifier-free (`--cfg_scale`). Default: nil, and setting it does nothing.
    var embeddedGuidance: Float? { get set }
}

/// A network of a pipeline and where its weights live in a diffusers folder.
public struct PipelineComponent {
    /// The component folder name (`transformer`, `vae`, …).
    public let name: String
    public let module: any Module
    /// The weight file name in that folder (`diffusion_pytorch_model.safetensors` for diffusers
    /// models, `model.safetensors` for transformers ones).
    public let weightsFile: String

    public init(name: String, module: any Module, weightsFile: String = "diffusion_pytorch_model.safetensors") {
        self.name = name
        self.module = module
        self.weightsFile = weightsFile
    }
}

extension DiffusionPipeline {
    public var embeddedGuidance: Float? {
        get { nil }
        // Families without the input ignore it; the host refuses --embedded_guidance for them.
        set {}
    }
    public func scheduleContext(height: Int, width: Int) -> ScheduleContext { ScheduleContext() }

    public var components: [PipelineComponent] { [PipelineComponent(name: "denoiser", module: denoiser)] }

    public func decodeForTraining(latents: Tensor) throws -> Tensor { try decode(latents: latents) }

    public func negativeConditioning(prompt: String?, positive: Conditioning) throws -> Conditioning {
        try encode(prompt: prompt ?? "")
    }

    public func encode(prompts: [String]) throws -> Conditioning {
        try Conditioning.batch(prompts.map { try encode(prompt: $0) })
    }

    public func negativeConditioning(prompts: [String?], positive: Conditioning) throws -> Conditioning {
        try Conditioning.batch(prompts.map { try negativeConditioning(prompt: $0, positive: positive) })
    }

    /// The module `--trainable_models NAME` / `--lora_base_model NAME` means: the denoiser for
    /// DiffSynth's `dit`/`unet` (and `transformer`, `denoiser`), otherwise the component of that name.
    public func trainableModule(named name: String) throws -> any Module {
        if ["dit", "unet", "transformer", "denoiser"].contains(name) { return denoiser }
        guard let component = components.first(where: { $0.name == name }) else {
            throw PipelineError.unknownComponent(name, known: ["dit"] + components.map(\.name))
        }
        return component.module
    }

    public func guide(positive: Tensor, negative: Tensor, scale: Float) -> Tensor {
        negative + (positive - negative) * scale
    }

    /// The latent shape `[1, C, H/f, W/f]` for an image of `height × width`.
    /// - Throws: ``PipelineError/invalidResolution(height:width:multiple:)`` unless both sides are
    ///   positive multiples of the descriptor's resolution multiple.
    public func latentShape(height: Int, width: Int) throws -> [Int] {
        try validate(height: height, width: width)
        let f = descriptor.vaeScaleFactor
        return [1, descriptor.latentChannels, height / f, width / f]
    }

    /// The decoded image of sampled latents, without gradients, checked finite (a NaN here would
    /// otherwise be written as a black picture).
    public func decodeImage(latents: Tensor) throws -> Tensor {
        let image = try withNoGrad { try decode(latents: latents) }
        try image.requireFinite("the \(descriptor.family) VAE decoder's output")
        return image
    }

    /// Checks an image size against the family's resolution multiple.
    public func validate(height: Int, width: Int) throws {
        let m = descriptor.resolutionMultiple
        guard height > 0, width > 0, height % m == 0, width % m == 0 else {
            throw PipelineError.invalidResolution(height: height, width: width, multiple: m)
        }
    }

    /// The seeded initial noise for an image of `height × width`, exactly as the family's
    /// reference pipeline draws it on CPU (`rand_device = "cpu"`), in unit scale (the sampler
    /// multiplies by the schedule's initial noise scale). Also returns the generator positioned
    /// after the draw: ancestral schedulers take their per-step noise from the same stream, as
    /// diffusers pipelines do with the user's generator.
    public func seededNoise(height: Int, width: Int, seed: UInt64) throws -> (noise: Tensor, generator: TorchGenerator) {
        try seededNoise(height: height, width: width, seed: seed, batch: 1)
    }

    /// ``encode(prompt:negativePrompt:guidanceScale:)`` for a batch: one conditioning of `prompts.count` rows.
    public func encode(prompts: [String], negativePrompts: [String?], guidanceScale: Float) throws -> PromptPair {
        precondition(prompts.count == negativePrompts.count, "one negative prompt (or nil) per prompt")
        if prompts.count == 1 { return try encode(prompt: prompts[0], negativePrompt: negativePrompts[0], guidanceScale: guidanceScale) }
        let positive = try encode(prompts: prompts)
        guard descriptor.guidance.guides(guidanceScale) else { return PromptPair(positive: positive) }
        return PromptPair(positive: positive, negative: try negativeConditioning(prompts: negativePrompts, positive: positive))
    }

    /// The seeded initial noise of a batch as diffusers draws it for `pipe(prompts, generator=
    /// torch.Generator("cpu").manual_seed(seed))`: one `[N, C, h, w]` tensor from one generator
    /// (so image 2 is not image 1 of seed + 1), with the generator positioned after the draw.
    public func seededNoise(height: Int, width: Int, seed: UInt64, batch: Int) throws -> (noise: Tensor, generator: TorchGenerator) {
        var shape = try latentShape(height: height, width: width)
        shape[0] = batch
        var generator = TorchGenerator(seed: seed)
        switch descriptor.noisePrecision {
        case .float32: return (Tensor.randn(shape, generator: &generator), generator)
        case .bfloat16: return (Tensor.randnRoundedToBFloat16(shape, generator: &generator), generator)
        }
    }

    /// Encodes a prompt and, when the family's ``GuidanceRule`` guides at `guidanceScale`, the
    /// negative conditioning (`negativePrompt` nil: none given, see
    /// ``negativeConditioning(prompt:positive:)``).
    public func encode(prompt: String, negativePrompt: String?, guidanceScale: Float) throws -> PromptPair {
        let positive = try encode(prompt: prompt)
        guard descriptor.guidance.guides(guidanceScale) else { return PromptPair(positive: positive) }
        return PromptPair(positive: positive, negative: try negativeConditioning(prompt: negativePrompt, positive: positive))
    }
}

/// Errors common to every pipeline. Each names the value at fault.
public enum PipelineError: Error, CustomStringConvertible {
    case invalidResolution(height: Int, width: Int, multiple: Int)
    case missingNegativeConditioning
    case unknownComponent(String, known: [String])
    /// NaN or ±∞ came out of a network; `what` names it (and the step).
    case nonFinite(what: String)
    /// Batch rows whose encodings differ in shape, for a family without its own batching.
    case unbatchable(name: String, shapes: [[Int]])

    public var description: String {
        switch self {
        case .unbatchable(let name, let shapes):
            return "the prompts cannot form one batch: their '\(name)' shapes differ (\(shapes)); use --batch_size 1"
        case .nonFinite(let what):
            return "\(what) is not finite (NaN or infinity): check the weights, any LoRA and the guidance scale"
        case .invalidResolution(let h, let w, let m):
            func near(_ x: Int) -> String {
                let lo = max(m, x / m * m), hi = lo < x ? lo + m : lo
                return lo == hi ? "\(lo)" : "\(lo) or \(hi)"
            }
            return "resolution \(h)x\(w) is not a multiple of \(m): nearest valid height \(near(h)), width \(near(w))"
        case .missingNegativeConditioning:
            return "guidance at this scale needs a negative prompt encoding"
        case .unknownComponent(let name, let known):
            return "this model has no component '\(name)' (it has \(known.joined(separator: ", ")))"
        }
    }
}

extension Tensor {
    /// Throws ``PipelineError/nonFinite(what:)`` if any value is NaN or infinite, so a broken
    /// model or setting stops a run with its name instead of writing black images or poisoning
    /// a dataset.
    public func requireFinite(_ what: @autoclosure () -> String) throws {
        let finite = withUnsafeBufferPointer { buffer in buffer.allSatisfy(\.isFinite) }
        if !finite { throw PipelineError.nonFinite(what: what()) }
    }
}

import DiffSynth
import Foundation

/// FLUX.1 text-to-image (dev and schnell) as a ``DiffSynth/DiffusionPipeline``: CLIP-L (pooled) and
/// T5 text encoders, the MMDiT denoiser and a 16-channel `AutoencoderKL`, glued exactly as
/// diffusers' `FluxPipeline` does.
///
/// The framework's sampler and trainer see latents as `[B, 16, H/8, W/8]` (diffusers draws the seeded
/// noise in that shape and packs it); packing into 2×2 patch tokens happens inside
/// ``predict(latents:timestep:conditioning:)``, so the scheduler's update, the noise and the
/// Direct-Distillation MSE are unaffected by it.
///
/// Guidance, per model: FLUX.1-dev reads ``embeddedGuidance`` (diffusers' `guidance_scale`,
/// DiffSynth-Studio's `embedded_guidance`, default 3.5) as an input of its guidance embedding, in
/// one pass; schnell has no such input. For both, a guidance scale other than 1 (`--cfg_scale`)
/// is true classifier-free guidance with a negative prompt ("" unless given) — diffusers'
/// `true_cfg_scale`, DiffSynth-Studio's `cfg_scale`.
public final class FluxPipeline: DiffusionPipeline {
    /// diffusers' FLUX LoRA targets (`train_dreambooth_lora_flux.py`, peft suffix matching; they
    /// also reach the single-stream blocks' `attn.to_q/k/v`).
    public static let defaultLoRATargets = ["attn.to_k", "attn.to_q", "attn.to_v", "attn.to_out.0", "attn.add_k_proj", "attn.add_q_proj",
                                            "attn.add_v_proj", "attn.to_add_out", "ff.net.0.proj", "ff.net.2", "ff_context.net.0.proj",
                                            "ff_context.net.2"]
    /// diffusers' default `guidance_scale` for FLUX.1-dev.
    public static let defaultEmbeddedGuidance: Float = 3.5

    /// Shapes, defaults and names of the family.
    public let descriptor: PipelineDescriptor
    /// The flow-match schedule sampling and training use.
    public let scheduler: any Scheduler
    /// The MMDiT denoiser (`transformer/`).
    public let transformer: FluxTransformer2DModel
    /// The VAE (`vae/`).
    public let vae: AutoencoderKL
    /// Tokenization and both text encoders (`text_encoder/`, `text_encoder_2/`).
    public let promptEncoder: FluxPromptEncoder

    /// The transformer: what training updates and LoRA is injected into.
    public var denoiser: any Module { transformer }

    /// The guidance scale FLUX.1-dev's transformer embeds (nil for schnell, which has no guidance embedding).
    public var embeddedGuidance: Float? {
        get { transformer.configuration.guidanceEmbeds ? storedGuidance : nil }
        set { if transformer.configuration.guidanceEmbeds, let newValue { storedGuidance = newValue } }
    }
    private var storedGuidance = FluxPipeline.defaultEmbeddedGuidance

    /// `transformer/`, `text_encoder/`, `text_encoder_2/` and `vae/`, with diffusers' and
    /// transformers' weight file names.
    public var components: [PipelineComponent] {
        [PipelineComponent(name: "transformer", module: transformer),
         PipelineComponent(name: "text_encoder", module: promptEncoder.clip, weightsFile: "model.safetensors"),
         PipelineComponent(name: "text_encoder_2", module: promptEncoder.t5, weightsFile: "model.safetensors"),
         PipelineComponent(name: "vae", module: vae)]
    }

    /// Per-block gradient checkpointing of the transformer.
    public var gradientCheckpointing: Bool {
        get { transformer.checkpointing.isEnabled }
        set { transformer.checkpointing.isEnabled = newValue }
    }

    /// Assembles a pipeline from its parts.
    ///
    /// - Throws: ``FluxError/incompatibleComponents(folder:reason:)`` when the widths do not fit
    ///   (`folder` names where they came from).
    public init(transformer: FluxTransformer2DModel, vae: AutoencoderKL, clip: CLIPTextEncoder, t5: T5EncoderModel,
                clipTokenizer: any PaddedTokenizer, t5Tokenizer: any PaddedTokenizer, scheduler: any Scheduler,
                maxSequenceLength: Int = 512, folder: String = "FLUX pipeline") throws {
        let c = transformer.configuration
        func require(_ condition: Bool, _ reason: @autoclosure () -> String) throws {
            if !condition { throw FluxError.incompatibleComponents(folder: folder, reason: reason()) }
        }
        try require(c.jointAttentionDim == t5.configuration.modelDimension,
                     "transformer joint_attention_dim \(c.jointAttentionDim) ≠ text_encoder_2 d_model \(t5.configuration.modelDimension)")
        try require(c.pooledProjectionDim == clip.configuration.hiddenSize,
                     "transformer pooled_projection_dim \(c.pooledProjectionDim) ≠ text_encoder hidden_size \(clip.configuration.hiddenSize)")
        try require(c.inChannels == 4 * vae.configuration.latentChannels && c.resolvedOutChannels == c.inChannels,
                     "transformer in/out channels \(c.inChannels)/\(c.resolvedOutChannels) ≠ 4 × vae latent_channels \(vae.configuration.latentChannels)")
        try require(maxSequenceLength > 0, "max_sequence_length \(maxSequenceLength) must be positive")
        self.transformer = transformer
        self.vae = vae
        self.scheduler = scheduler
        promptEncoder = FluxPromptEncoder(clipTokenizer: clipTokenizer, t5Tokenizer: t5Tokenizer, clip: clip, t5: t5,
                                          maxSequenceLength: maxSequenceLength)
        var descriptor = PipelineDescriptor.flux(guidanceEmbedded: c.guidanceEmbeds)
        descriptor.latentChannels = vae.configuration.latentChannels
        descriptor.vaeScaleFactor = vae.configuration.spatialScaleFactor
        descriptor.resolutionMultiple = 2 * vae.configuration.spatialScaleFactor
        self.descriptor = descriptor
    }

    /// `prompt_embeds` `[1, L, D_t5]` and `pooled_prompt_embeds` `[1, D_clip]` of one prompt.
    public func encode(prompt: String) throws -> Conditioning { try encode(prompts: [prompt]) }

    /// A batch of prompts (every row is padded to the same lengths, so rows simply stack).
    public func encode(prompts: [String]) throws -> Conditioning {
        let (embeddings, pooled) = try promptEncoder.encode(prompts)
        return Conditioning(["prompt_embeds": embeddings, "pooled_prompt_embeds": pooled])
    }

    /// The velocity for latents `[B, C, h, w]` at `timestep` (the scheduler's 0…1000 convention; the
    /// transformer receives `timestep / 1000`, as the pipeline divides before calling it).
    public func predict(latents: Tensor, timestep: Float, conditioning: Conditioning) -> Tensor {
        precondition(latents.rank == 4, "FLUX predict: latents must be [B, C, H, W], got \(latents.shape)")
        let (batch, h, w) = (latents.shape[0], latents.shape[2], latents.shape[3])
        var text = conditioning["prompt_embeds"], pooled = conditioning["pooled_prompt_embeds"]
        if text.shape[0] != batch {
            // One prompt for a batch of latents (num_images_per_prompt): repeat it.
            precondition(text.shape[0] == 1, "FLUX predict: \(text.shape[0]) prompts for \(batch) latents")
            text = text.expand(to: [batch] + Array(text.shape.dropFirst()))
            pooled = pooled.expand(to: [batch, pooled.shape[1]])
        }
        let velocity = transformer(LatentPatchPacking.pack(latents), encoderHiddenStates: text, pooledProjections: pooled,
                                   timesteps: Array(repeating: timestep / 1000, count: batch),
                                   guidance: embeddedGuidance.map { Array(repeating: $0, count: batch) }, grid: (h / 2, w / 2))
        return LatentPatchPacking.unpack(velocity, height: h, width: w)
    }

    /// Normalised latents (posterior mean, `(z − shift) · scaling`) of images `[B, 3, H, W]` in [-1, 1].
    public func encode(image: Tensor) throws -> Tensor {
        try validate(height: image.shape[2], width: image.shape[3])
        return vae.normalize(vae.encode(image).mean)
    }

    /// Images `[B, 3, H, W]` of normalised latents: `vae.decode(latents / scaling + shift)`, as
    /// the pipeline decodes (no clamp here; the image processor clamps when it converts to pixels).
    public func decode(latents: Tensor) throws -> Tensor {
        vae.decode(vae.denormalize(latents))
    }

    /// The packed image-token count `(H/16)·(W/16)` that the schedule's resolution-dependent shift
    /// (FLUX.1-dev's `calculate_shift`, `mu`) reads.
    public func scheduleContext(height: Int, width: Int) -> ScheduleContext {
        let patch = descriptor.resolutionMultiple
        return ScheduleContext(imageSequenceLength: (height / patch) * (width / patch))
    }
}

extension PipelineDescriptor {
    /// FLUX.1's shapes and defaults: 16-channel latents at 1/8 resolution packed into 2×2 patches
    /// (image sides multiples of 16), flow-matching velocity, 1024×1024, diffusers' LoRA targets.
    /// Teacher: dev 28 steps (diffusers' default; its guidance is the embedded 3.5), schnell its
    /// published 4; no classifier-free guidance for either (scale 1). Student: 4 steps for dev,
    /// 1 for schnell.
    public static func flux(guidanceEmbedded: Bool) -> PipelineDescriptor {
        PipelineDescriptor(
            family: FluxAdapter.family, latentChannels: 16, vaeScaleFactor: 8, resolutionMultiple: 16,
            defaultResolution: (1024, 1024), predictionType: .flowVelocity,
            teacher: SamplingSettings(steps: guidanceEmbedded ? 28 : 4, guidanceScale: 1),
            student: SamplingSettings(steps: guidanceEmbedded ? 4 : 1, guidanceScale: 1),
            defaultLoRATargets: FluxPipeline.defaultLoRATargets, noisePrecision: .float32,
            // diffusers' FluxLoraLoaderMixin reads peft names under `transformer.`.
            loraFiles: LoRAFileConvention(diffusersPrefix: "transformer", diffusersConvertsDiffSynthNames: false),
            embeddedGuidance: guidanceEmbedded ? FluxPipeline.defaultEmbeddedGuidance : nil)
    }
}

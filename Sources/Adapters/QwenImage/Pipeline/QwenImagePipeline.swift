import DiffSynth
import Foundation

/// Qwen-Image text-to-image as a ``DiffSynth/DiffusionPipeline``: the Qwen2.5-VL text encoder, the
/// 20B MMDiT denoiser and the Wan-style VAE, glued exactly as diffusers' `QwenImagePipeline` does.
///
/// The framework's sampler and trainer see latents as `[B, 16, H/8, W/8]`; packing into 2×2 patch
/// tokens happens inside ``predict(latents:timestep:conditioning:)`` and ``guide(positive:negative:scale:)``,
/// so the scheduler's element-wise update, seeded noise (drawn as `(B, 1, 16, H/8, W/8)` by diffusers,
/// the same element order) and the Direct-Distillation MSE are unaffected by the packing.
public final class QwenImagePipeline: DiffusionPipeline {
    /// DiffSynth-Studio's LoRA targets for the Qwen-Image DiT (peft suffix matching).
    public static let defaultLoRATargets = ["to_q", "to_k", "to_v", "add_q_proj", "add_k_proj", "add_v_proj", "to_out.0",
                                            "to_add_out", "img_mlp.net.2", "img_mod.1", "txt_mlp.net.2", "txt_mod.1"]

    /// Shapes, defaults and names of the family (see ``DiffSynth/PipelineDescriptor/qwenImage(noisePrecision:)``).
    public let descriptor: PipelineDescriptor
    /// The flow-match schedule sampling and training use.
    public let scheduler: any Scheduler
    /// The MMDiT denoiser (`transformer/`).
    public let transformer: QwenImageTransformer2DModel
    /// The Qwen2.5-VL language model (`text_encoder/`).
    public let textEncoder: QwenImageTextEncoder
    /// The VAE (`vae/`).
    public let vae: AutoencoderKLQwenImage
    /// Template, tokenization, dropping and truncation of prompts.
    public var promptEncoder: QwenImagePromptEncoder

    /// The transformer: what training updates and LoRA is injected into.
    public var denoiser: any Module { transformer }

    /// `transformer/`, `text_encoder/` and `vae/`, with diffusers' and transformers' weight file names.
    public var components: [PipelineComponent] {
        [PipelineComponent(name: "transformer", module: transformer),
         PipelineComponent(name: "text_encoder", module: textEncoder, weightsFile: "model.safetensors"),
         PipelineComponent(name: "vae", module: vae)]
    }

    /// Per-block gradient checkpointing of the transformer.
    public var gradientCheckpointing: Bool {
        get { transformer.gradientCheckpointing }
        set { transformer.gradientCheckpointing = newValue }
    }

    /// Assembles a pipeline from its parts.
    /// - Parameters:
    ///   - maxSequenceLength: prompt embeddings are cut to this many tokens (diffusers' default 512).
    ///   - noisePrecision: how seeded noise is drawn (see ``DiffSynth/PipelineDescriptor/qwenImage(noisePrecision:)``).
    public init(transformer: QwenImageTransformer2DModel, textEncoder: QwenImageTextEncoder, vae: AutoencoderKLQwenImage,
                tokenizer: any TextTokenizer, scheduler: any Scheduler, maxSequenceLength: Int = 512,
                noisePrecision: NoisePrecision = .float32) {
        precondition(transformer.configuration.jointAttentionDim == textEncoder.configuration.hiddenSize,
                     "transformer joint_attention_dim \(transformer.configuration.jointAttentionDim) ≠ text encoder hidden_size \(textEncoder.configuration.hiddenSize)")
        precondition(transformer.configuration.resolvedOutChannels == vae.configuration.zDim,
                     "transformer out_channels \(transformer.configuration.resolvedOutChannels) ≠ VAE z_dim \(vae.configuration.zDim)")
        self.transformer = transformer
        self.textEncoder = textEncoder
        self.vae = vae
        self.scheduler = scheduler
        promptEncoder = QwenImagePromptEncoder(tokenizer: tokenizer, textEncoder: textEncoder, maxSequenceLength: maxSequenceLength)
        var descriptor = PipelineDescriptor.qwenImage(noisePrecision: noisePrecision)
        descriptor.latentChannels = vae.configuration.zDim
        descriptor.vaeScaleFactor = vae.configuration.spatialScaleFactor
        descriptor.resolutionMultiple = 2 * vae.configuration.spatialScaleFactor
        self.descriptor = descriptor
    }

    /// `prompt_embeds` `[1, L, D]` and `prompt_embeds_mask` `[1, L]` of one prompt (all ones: a single
    /// prompt is never padded, which is why ``predict(latents:timestep:conditioning:)`` then passes no mask,
    /// as `encode_prompt` sets an all-ones mask to None).
    public func encode(prompt: String) throws -> Conditioning {
        let (embeddings, mask) = try promptEncoder.encode([prompt])
        return Conditioning(["prompt_embeds": embeddings, "prompt_embeds_mask": mask])
    }

    /// A batch of prompts as diffusers' `encode_prompt(prompt=[…])`: right-padded to the longest
    /// with zeros and a `prompt_embeds_mask` `[B, L]` that the joint attention applies.
    public func encode(prompts: [String]) throws -> Conditioning {
        let (embeddings, mask) = try promptEncoder.encode(prompts)
        return Conditioning(["prompt_embeds": embeddings, "prompt_embeds_mask": mask])
    }

    /// The negative prompts of a batch, encoded together ("" where none was given, as DiffSynth).
    public func negativeConditioning(prompts: [String?], positive: Conditioning) throws -> Conditioning {
        try encode(prompts: prompts.map { $0 ?? "" })
    }

    /// The velocity for latents `[B, 16, h, w]` at `timestep` (the scheduler's 0…1000 convention;
    /// the transformer receives `timestep / 1000`, as the pipeline divides before calling it).
    public func predict(latents: Tensor, timestep: Float, conditioning: Conditioning) -> Tensor {
        precondition(latents.rank == 4, "QwenImage predict: latents must be [B, C, H, W], got \(latents.shape)")
        let (batch, h, w) = (latents.shape[0], latents.shape[2], latents.shape[3])
        var text = conditioning["prompt_embeds"]
        var mask = conditioning.tensors["prompt_embeds_mask"]
        if text.shape[0] != batch {
            // One prompt for a batch of latents (num_images_per_prompt): repeat it.
            precondition(text.shape[0] == 1, "QwenImage predict: \(text.shape[0]) prompts for \(batch) latents")
            text = text.expand(to: [batch] + Array(text.shape.dropFirst()))
            mask = mask.map { $0.expand(to: [batch, $0.shape[1]]) }
        }
        let tokens = LatentPatchPacking.pack(latents)
        let velocity = transformer(tokens, encoderHiddenStates: text, encoderHiddenStatesMask: mask,
                                   sigmas: Array(repeating: timestep / 1000, count: batch), grid: (1, h / 2, w / 2))
        return LatentPatchPacking.unpack(velocity, height: h, width: w)
    }

    /// Normalised latents (posterior mean, `(z − mean) / std`) of images `[B, 3, H, W]` in [-1, 1].
    public func encode(image: Tensor) throws -> Tensor {
        try validate(height: image.shape[2], width: image.shape[3])
        return vae.normalize(vae.encode(image).mean)
    }

    /// Images `[B, 3, H, W]` in [-1, 1] of normalised latents `[B, 16, H/8, W/8]`.
    public func decode(latents: Tensor) throws -> Tensor {
        vae.decode(vae.denormalize(latents))
    }

    /// ``decode(latents:)`` without the final clamp (for training the VAE).
    public func decodeForTraining(latents: Tensor) throws -> Tensor {
        vae.decodeUnclamped(vae.denormalize(latents))
    }

    /// The packed image-token count `(H/16)·(W/16)` that the flow-matching schedule's dynamic shift reads.
    public func scheduleContext(height: Int, width: Int) -> ScheduleContext {
        let patch = descriptor.resolutionMultiple
        return ScheduleContext(imageSequenceLength: (height / patch) * (width / patch))
    }

    /// diffusers' true CFG with the per-token norm rescale (``QwenImageTrueCFG``).
    public func guide(positive: Tensor, negative: Tensor, scale: Float) -> Tensor {
        QwenImageTrueCFG.guide(positive: positive, negative: negative, scale: scale)
    }

    /// Decoded images `[B, 3, H, W]` in [-1, 1] mapped to [0, 1] as diffusers' image processor
    /// post-processes them (`clamp(x * 0.5 + 0.5, 0, 1)`).
    public static func imageToUnitRange(_ image: Tensor) -> Tensor {
        (image * 0.5 + 0.5).clamp(min: 0, max: 1)
    }
}

import DiffSynth
import Foundation

/// Stable Diffusion XL (base 1.0 and Turbo) as a ``DiffusionPipeline``: two CLIP text encoders,
/// the ε-prediction UNet with micro-conditioning, and the KL VAE, numerically following
/// diffusers' `StableDiffusionXLPipeline` (0.42) and transformers' CLIP (5.x).
///
/// - `encode(prompt:)` runs both encoders on the prompt (each with its own tokenizer and pad
///   token), concatenates their penultimate hidden states (CLIP-L first, no final LayerNorm) into
///   `prompt_embeds` `[1, 77, 768 + 1280]`, and takes `pooled_prompt_embeds` `[1, 1280]` from
///   encoder 2's final-LayerNorm output at the end-of-text position through `text_projection`.
/// - `predict` passes the float timestep and the micro-conditioning
///   `add_time_ids = [H, W, 0, 0, H, W]` (original size, crop top-left, target size, in pixels,
///   from the latent size × the VAE factor), unless the conditioning carries `add_time_ids`.
/// - Latents are `VAE mean · 0.13025`; decoding divides by the same factor.
///
/// Deliberate differences from DiffSynth-Studio's SDXL pipeline (which this port does not follow):
/// 1. DiffSynth pools encoder 2 at position 0 (the start token, identical for every prompt);
///    here, as in diffusers, at the end-of-text token.
/// 2. DiffSynth's default `clip_skip = 2` takes CLIP-L's `hidden_states[-3]`; here `[-2]`
///    for both encoders, as diffusers.
/// 3. A missing negative prompt: diffusers (`force_zeros_for_empty_prompt`) uses all-zero negative
///    embeddings, and so does ``negativeConditioning(prompt:positive:)`` for `nil` (every command
///    without `--negative_prompt`); DiffSynth always encodes the negative string (default ""),
///    which `--negative_prompt ""` does here.
/// 3b. Guidance: diffusers guides only when `guidance_scale > 1` (``GuidanceRule/aboveOne``), so
///    sdxl-turbo's `guidance_scale=0.0` is one evaluation per step, as scale 1; DiffSynth's SDXL
///    pipeline guides whenever `cfg_scale != 1`.
/// 4. DiffSynth samples with its own DDIM schedule (999 → 0, no input scaling); here the
///    scheduler is whatever the folder ships (Euler "leading" for base, Euler ancestral
///    "trailing" for Turbo), with the sampler's σ input scaling.
/// 5. DiffSynth casts the timestep to the pipeline dtype and truncates images to uint8; here the
///    timestep stays Float32 and image conversion is the caller's.
/// 6. Classifier-free guidance runs whenever the guidance scale differs from 1 (the framework's
///    rule); diffusers runs it only for scales above 1, so a diffusers `guidance_scale=0` Turbo
///    run corresponds to guidance 1 here.
public final class SDXLPipeline: DiffusionPipeline {
    /// Family settings: 4 latent channels, the VAE's scale factor, multiples of 8, ε-prediction, the preset's sampling defaults, DiffSynth's LoRA targets.
    public let descriptor: PipelineDescriptor
    /// The sampling and training schedule (the folder's scheduler when loaded).
    public let scheduler: any Scheduler
    /// The denoiser.
    public let unet: UNet2DConditionModel
    /// `text_encoder`: CLIP ViT-L (`CLIPTextModel`).
    public let textEncoder: CLIPTextEncoder
    /// `text_encoder_2`: OpenCLIP bigG (`CLIPTextModelWithProjection`).
    public let textEncoder2: CLIPTextEncoder
    /// The VAE (frozen).
    public let vae: AutoencoderKL
    /// `tokenizer/` and `tokenizer_2/`; nil when the pipeline only encodes token ids.
    public let tokenizers: (first: any PaddedTokenizer, second: any PaddedTokenizer)?
    /// `force_zeros_for_empty_prompt` of `model_index.json`: a missing negative prompt means
    /// all-zero negative embeddings.
    public let forceZerosForEmptyPrompt: Bool
    /// Which published checkpoint's sampling defaults the descriptor carries.
    public let preset: SDXLPreset

    /// The LoRA targets of DiffSynth-Studio's SDXL training script (`diffsynth-training.md`
    /// §5.5): every Transformer2DModel's `proj_in`/`proj_out` and, per transformer block,
    /// `attn1`/`attn2` `to_q`/`to_k`/`to_v`/`to_out.0` plus `ff.net.0.proj`/`ff.net.2` —
    /// 722 layers of the full UNet, matched as peft suffixes.
    public static let defaultLoRATargets = ["to_q", "to_k", "to_v", "to_out.0", "proj_in", "proj_out", "ff.net.0.proj", "ff.net.2"]

    /// The UNet: what training updates.
    public var denoiser: any Module { unet }

    /// `unet/`, `text_encoder/`, `text_encoder_2/` and `vae/`, with diffusers' and transformers' weight file names.
    public var components: [PipelineComponent] {
        [PipelineComponent(name: "unet", module: unet),
         PipelineComponent(name: "text_encoder", module: textEncoder, weightsFile: "model.safetensors"),
         PipelineComponent(name: "text_encoder_2", module: textEncoder2, weightsFile: "model.safetensors"),
         PipelineComponent(name: "vae", module: vae)]
    }

    /// Recompute each UNet resnet and transformer block during backward.
    public var gradientCheckpointing: Bool {
        get { unet.gradientCheckpointing }
        set { unet.gradientCheckpointing = newValue }
    }

    /// Assembles a pipeline from built components.
    ///
    /// - Throws: ``SDXLError/incompatibleComponents(folder:reason:)`` when the text widths do not
    ///   add up to the UNet's `cross_attention_dim`, the pooled width and time-id sinusoids do not
    ///   fill `projection_class_embeddings_input_dim`, encoder 2 has no projection, or the VAE's
    ///   latent channels differ from the UNet's.
    public init(unet: UNet2DConditionModel, textEncoder: CLIPTextEncoder, textEncoder2: CLIPTextEncoder, vae: AutoencoderKL,
                scheduler: any Scheduler, tokenizers: (first: any PaddedTokenizer, second: any PaddedTokenizer)? = nil,
                forceZerosForEmptyPrompt: Bool = true, preset: SDXLPreset = .base, noisePrecision: NoisePrecision = .float32,
                origin: String = "SDXL pipeline") throws {
        let u = unet.configuration, t1 = textEncoder.configuration, t2 = textEncoder2.configuration, v = vae.configuration
        func incompatible(_ reason: String) -> SDXLError { .incompatibleComponents(folder: origin, reason: reason) }
        guard t2.hasProjection else { throw incompatible("text_encoder_2 has no text_projection (needs CLIPTextModelWithProjection)") }
        guard t1.hiddenSize + t2.hiddenSize == u.crossAttentionDimension else {
            throw incompatible("text_encoder hidden_size \(t1.hiddenSize) + text_encoder_2 hidden_size \(t2.hiddenSize) ≠ unet cross_attention_dim \(u.crossAttentionDimension)")
        }
        guard u.additionEmbedType == "text_time", let idWidth = u.additionTimeEmbedDimension,
              let addInput = u.projectionClassEmbeddingsInputDimension else {
            throw incompatible("unet addition_embed_type must be \"text_time\" for SDXL micro-conditioning")
        }
        guard 6 * idWidth + t2.projectionDimension == addInput else {
            throw incompatible("6 × addition_time_embed_dim \(idWidth) + text_encoder_2 projection_dim \(t2.projectionDimension) ≠ unet projection_class_embeddings_input_dim \(addInput)")
        }
        guard v.latentChannels == u.inChannels else {
            throw incompatible("vae latent_channels \(v.latentChannels) ≠ unet in_channels \(u.inChannels)")
        }
        self.unet = unet
        self.textEncoder = textEncoder
        self.textEncoder2 = textEncoder2
        self.vae = vae
        self.scheduler = scheduler
        self.tokenizers = tokenizers
        self.forceZerosForEmptyPrompt = forceZerosForEmptyPrompt
        self.preset = preset
        descriptor = Self.descriptor(latentChannels: u.inChannels, vaeScaleFactor: v.spatialScaleFactor, sampleSize: u.sampleSize ?? 128,
                                     preset: preset, noisePrecision: noisePrecision)
    }

    /// The descriptor of an SDXL model with these sizes (the published base: 4 channels, ×8,
    /// sample size 128 → 1024 px).
    public static func descriptor(latentChannels: Int = 4, vaeScaleFactor: Int = 8, sampleSize: Int = 128,
                                  preset: SDXLPreset = .base, noisePrecision: NoisePrecision = .float32) -> PipelineDescriptor {
        let side = sampleSize * vaeScaleFactor
        return PipelineDescriptor(
            family: "sdxl", latentChannels: latentChannels, vaeScaleFactor: vaeScaleFactor, resolutionMultiple: 8,
            defaultResolution: (side, side), predictionType: .epsilon, teacher: preset.teacher, student: preset.student,
            defaultLoRATargets: defaultLoRATargets, noisePrecision: noisePrecision, guidance: .aboveOne,
            // diffusers' SDXL loader keeps only `unet.`-prefixed keys and rejects any key without "lora" (`.alpha`).
            loraFiles: LoRAFileConvention(diffusersPrefix: "unet", diffusersConvertsDiffSynthNames: false))
    }

    // MARK: - Prompts

    /// Encodes `prompt` with both tokenizers (diffusers' `prompt_2 = prompt`).
    public func encode(prompt: String) throws -> Conditioning {
        try encode(prompt: prompt, prompt2: prompt)
    }

    /// Encodes `prompt` for `text_encoder` and `prompt2` for `text_encoder_2` (diffusers' `prompt_2`).
    public func encode(prompt: String, prompt2: String) throws -> Conditioning {
        guard let tokenizers else { throw SDXLError.noTokenizer }
        let length = textEncoder.configuration.maxPositions
        let ids = try tokenizers.first.paddedTokenIDs(prompt), ids2 = try tokenizers.second.paddedTokenIDs(prompt2)
        guard ids.count == length else { throw SDXLError.tokenizerLength(which: "tokenizer", expected: length, got: ids.count) }
        guard ids2.count == length else { throw SDXLError.tokenizerLength(which: "tokenizer_2", expected: length, got: ids2.count) }
        return encode(tokenIDs: ids, tokenIDs2: ids2)
    }

    /// Encodes already tokenized prompts (each padded to 77): `prompt_embeds` = both encoders'
    /// penultimate hidden states side by side, `pooled_prompt_embeds` = encoder 2's `text_embeds`.
    /// Runs without recording gradients (the text encoders are frozen).
    public func encode(tokenIDs: [Int], tokenIDs2: [Int]) -> Conditioning {
        withNoGrad {
            let first = textEncoder([tokenIDs]), second = textEncoder2([tokenIDs2])
            return Conditioning([
                "prompt_embeds": Tensor.concat([first.penultimate, second.penultimate], axis: 2),
                "pooled_prompt_embeds": second.textEmbeds!,
            ])
        }
    }

    /// All-zero prompt and pooled embeddings: diffusers' negative conditioning when no negative
    /// prompt is given and `force_zeros_for_empty_prompt` is set.
    public func zeroConditioning() -> Conditioning {
        let length = textEncoder.configuration.maxPositions
        return Conditioning([
            "prompt_embeds": Tensor.zeros([1, length, unet.configuration.crossAttentionDimension]),
            "pooled_prompt_embeds": Tensor.zeros([1, textEncoder2.configuration.projectionDimension]),
        ])
    }

    /// diffusers' negative conditioning: `prompt == nil` gives zeros if
    /// ``forceZerosForEmptyPrompt`` (else encodes ""); a string (including "") is encoded like the prompt.
    public func negativeConditioning(prompt: String?, positive: Conditioning) throws -> Conditioning {
        if prompt == nil && forceZerosForEmptyPrompt { return zeroConditioning() }
        return try encode(prompt: prompt ?? "")
    }

    /// The prompt and, when guidance is on (scale > 1, as diffusers), the negative conditioning
    /// (see ``negativeConditioning(prompt:positive:)``).
    public func prompts(prompt: String, negativePrompt: String?, guidanceScale: Float) throws -> PromptPair {
        try encode(prompt: prompt, negativePrompt: negativePrompt, guidanceScale: guidanceScale)
    }

    // MARK: - Denoiser

    /// `[[H, W, 0, 0, H, W]]` for an image of `height × width` pixels: diffusers' default
    /// `add_time_ids` (original size = target size = the requested size, crop at the origin).
    public func defaultTimeIDs(height: Int, width: Int) -> Tensor {
        let (h, w) = (Float(height), Float(width))
        return Tensor(shape: [1, 6], scalars: [h, w, 0, 0, h, w])
    }

    /// One UNet evaluation. The conditioning may carry `add_time_ids` `[1, 6]` to override the
    /// default micro-conditioning (e.g. a different original size or crop).
    public func predict(latents: Tensor, timestep: Float, conditioning: Conditioning) -> Tensor {
        let batch = latents.shape[0]
        let factor = descriptor.vaeScaleFactor
        let timeIDs = conditioning.tensors["add_time_ids"]
            ?? defaultTimeIDs(height: latents.shape[2] * factor, width: latents.shape[3] * factor)
        func batched(_ t: Tensor) -> Tensor { t.shape[0] == batch ? t : t.expand(to: [batch] + t.shape.dropFirst()) }
        return unet(latents, timesteps: [timestep], encoderHiddenStates: batched(conditioning["prompt_embeds"]),
                    textEmbeds: batched(conditioning["pooled_prompt_embeds"]), timeIds: batched(timeIDs))
    }

    // MARK: - VAE

    /// The posterior mean of `image` `[B, 3, H, W]` in [-1, 1], scaled into the denoiser's latent space.
    public func encode(image: Tensor) throws -> Tensor {
        vae.normalize(vae.encode(image).mean)
    }

    /// The image `[B, 3, H, W]` (about [-1, 1]) of denoiser-space latents.
    public func decode(latents: Tensor) throws -> Tensor {
        vae.decode(vae.denormalize(latents))
    }
}

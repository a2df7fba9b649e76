import DiffSynth

/// The Qwen-Image MMDiT (diffusers `QwenImageTransformer2DModel`): packed 2×2 latent patches and
/// text-encoder states go through `num_layers` dual-stream blocks; the image stream is read out
/// through an AdaLN-continuous norm and `proj_out` as the flow velocity of each patch.
///
/// Parameter keys equal diffusers' (`transformer_blocks.0.attn.to_q.weight`, …), so the published
/// `transformer/` shards load without renaming and LoRA targets use diffusers/DiffSynth names.
public final class QwenImageTransformer2DModel: Module {
    /// The sizes the model was built with.
    public let configuration: QwenImageTransformerConfiguration
    /// `img_in`: packed patch channels → model width.
    public let imageInput: Linear
    /// `txt_norm`: RMSNorm over the text-encoder width.
    public let textNorm: RMSNorm
    /// `txt_in`: text-encoder width → model width.
    public let textInput: Linear
    /// `time_text_embed`.
    public let timeEmbedding: QwenImageTimestepEmbedding
    /// `transformer_blocks`.
    public let blocks: [QwenImageTransformerBlock]
    /// `norm_out.linear` of the AdaLayerNormContinuous (its LayerNorm has no affine parameters).
    public let outputModulation: Linear
    /// `proj_out`: model width → patch cells × output channels.
    public let outputProjection: Linear
    /// `pos_embed` (no parameters).
    public let rotaryEmbedding: QwenImageRotaryEmbedding
    /// Recompute each block during backward instead of keeping its activations (diffusers'
    /// `gradient_checkpointing`, DiffSynth's `use_gradient_checkpointing`): what makes
    /// back-propagating through a whole few-step student loop fit in memory.
    public var gradientCheckpointing = false
    /// RoPE tables by (frames, height, width, text length): a sampling loop calls the model with the
    /// same few shapes at every step — two with guidance, whose prompts differ in length — as
    /// diffusers' `lru_cache` on the same tables exploits.
    private var rotaryCache: [[Int]: (image: RotaryTables, text: RotaryTables)] = [:]

    /// Builds the model with parameters under `scope` (the root scope for a `transformer/` folder).
    public init(_ scope: ParameterScope, configuration: QwenImageTransformerConfiguration) {
        self.configuration = configuration
        let width = configuration.innerDim
        imageInput = Linear(scope["img_in"], inFeatures: configuration.inChannels, outFeatures: width)
        textNorm = RMSNorm(scope["txt_norm"], dimension: configuration.jointAttentionDim, eps: 1e-6)
        textInput = Linear(scope["txt_in"], inFeatures: configuration.jointAttentionDim, outFeatures: width)
        timeEmbedding = QwenImageTimestepEmbedding(scope["time_text_embed"], dimension: width)
        blocks = (0..<configuration.numLayers).map {
            QwenImageTransformerBlock(scope["transformer_blocks"][$0], dimension: width, heads: configuration.numAttentionHeads,
                                      headDimension: configuration.attentionHeadDim)
        }
        outputModulation = Linear(scope["norm_out"]["linear"], inFeatures: width, outFeatures: 2 * width)
        let patchCells = configuration.patchSize * configuration.patchSize
        outputProjection = Linear(scope["proj_out"], inFeatures: width, outFeatures: patchCells * configuration.resolvedOutChannels)
        rotaryEmbedding = QwenImageRotaryEmbedding(axesDimensions: configuration.axesDimsRope)
    }

    /// The velocity of every packed patch.
    ///
    /// - Parameters:
    ///   - hiddenStates: packed latents `[B, F·h·w, inChannels]` (row-major over the `h × w` patch grid).
    ///   - encoderHiddenStates: text-encoder states `[B, S_txt, jointAttentionDim]`.
    ///   - encoderHiddenStatesMask: `[B, S_txt]` with 1 for real and 0 for padded text tokens, or nil
    ///     when no row is padded. Masked keys are excluded from attention; RoPE still counts the padded
    ///     length, as the reference does.
    ///   - sigmas: the noise level of each row in [0, 1] (the pipeline's timestep / 1000).
    ///   - grid: the patch grid `(frames, height, width)` = `(1, H/16, W/16)` for an image.
    /// - Returns: `[B, F·h·w, patchSize² · outChannels]`.
    public func callAsFunction(_ hiddenStates: Tensor, encoderHiddenStates: Tensor, encoderHiddenStatesMask: Tensor? = nil,
                               sigmas: [Float], grid: (frames: Int, height: Int, width: Int)) -> Tensor {
        let batch = hiddenStates.shape[0]
        precondition(hiddenStates.rank == 3 && hiddenStates.shape[1] == grid.frames * grid.height * grid.width
                     && hiddenStates.shape[2] == configuration.inChannels,
                     "QwenImage transformer: hidden states \(hiddenStates.shape) do not fit a \(grid) grid of \(configuration.inChannels)-channel patches")
        precondition(encoderHiddenStates.rank == 3 && encoderHiddenStates.shape[0] == batch
                     && encoderHiddenStates.shape[2] == configuration.jointAttentionDim,
                     "QwenImage transformer: text states \(encoderHiddenStates.shape) do not fit batch \(batch) × width \(configuration.jointAttentionDim)")
        precondition(sigmas.count == batch, "QwenImage transformer: \(sigmas.count) timesteps for a batch of \(batch)")
        let textLength = encoderHiddenStates.shape[1]
        var image = imageInput(hiddenStates)
        var text = textInput(textNorm(encoderHiddenStates))
        let activatedEmbedding = timeEmbedding(sigmas).silu()
        let rotary = rotaryTables(grid: grid, textLength: textLength)
        let keyMask = encoderHiddenStatesMask.flatMap { Self.keyMask(text: $0, imageLength: hiddenStates.shape[1]) }
        for block in blocks {
            if gradientCheckpointing {
                let outputs = checkpoint([image, text, activatedEmbedding]) { inputs in
                    let (i, t) = block(image: inputs[0], text: inputs[1], activatedEmbedding: inputs[2], rotary: rotary, keyMask: keyMask)
                    return [i, t]
                }
                (image, text) = (outputs[0], outputs[1])
            } else {
                (image, text) = block(image: image, text: text, activatedEmbedding: activatedEmbedding, rotary: rotary, keyMask: keyMask)
            }
        }
        // AdaLayerNormContinuous: chunk order is scale, then shift (the reverse of the blocks').
        let modulation = outputModulation(activatedEmbedding).unsqueezed(1).chunked(2, axis: -1)
        image = image.layerNorm(eps: 1e-6) * (modulation[0] + 1) + modulation[1]
        return outputProjection(image)
    }

    /// RoPE tables for this grid and text length, reused while the shapes stay the same.
    private func rotaryTables(grid: (frames: Int, height: Int, width: Int), textLength: Int) -> (image: RotaryTables, text: RotaryTables) {
        let key = [grid.frames, grid.height, grid.width, textLength]
        if let tables = rotaryCache[key] { return tables }
        let tables = rotaryEmbedding.tables(frames: grid.frames, height: grid.height, width: grid.width, textLength: textLength)
        if rotaryCache.count >= 8 { rotaryCache.removeAll() }  // bounded: shapes rarely vary more within a run
        rotaryCache[key] = tables
        return tables
    }

    /// The additive key mask `[B, 1, 1, S_txt + S_img]` for a text keep-mask, or nil when nothing is
    /// masked (the pipeline passes no mask then, and skipping it saves the mask reads).
    static func keyMask(text mask: Tensor, imageLength: Int) -> Tensor? {
        guard mask.scalars.contains(where: { $0 == 0 }) else { return nil }
        let batch = mask.shape[0]
        let keep = Tensor.concat([mask.detached(), Tensor.ones([batch, imageLength])], axis: 1)
        return Tensor.attentionMask(keep: keep).reshaped([batch, 1, 1, keep.shape[1]])
    }
}

import DiffSynth

/// The FLUX.1 MMDiT (diffusers `FluxTransformer2DModel`): packed 2×2 latent patches and T5 states
/// go through `num_layers` double-stream blocks, are joined into one sequence `[text, image]` for
/// `num_single_layers` single-stream blocks, and the image part is read out through
/// `norm_out` (AdaLN-continuous) and `proj_out` as the flow velocity of each patch.
///
/// Parameter keys equal diffusers' (`transformer_blocks.0.attn.to_q.weight`, …), so published
/// `transformer/` shards load without renaming and LoRA targets use diffusers names.
public final class FluxTransformer2DModel: Module {
    /// The sizes the model was built with.
    public let configuration: FluxTransformerConfiguration
    /// `x_embedder`: packed patch channels → model width.
    public let imageEmbedder: Linear
    /// `context_embedder`: T5 width → model width.
    public let contextEmbedder: Linear
    /// `time_text_embed`.
    public let timeTextEmbedding: FluxTimeTextEmbedding
    /// `transformer_blocks` (double-stream).
    public let blocks: [FluxTransformerBlock]
    /// `single_transformer_blocks`.
    public let singleBlocks: [FluxSingleTransformerBlock]
    /// `norm_out`.
    public let normOut: AdaLayerNormContinuous
    /// `proj_out`: model width → output channels per patch.
    public let projectOut: Linear
    /// `pos_embed` (no parameters).
    public let rotaryEmbedding: FluxRotaryEmbedding
    /// Recompute each block during backward instead of keeping its activations (diffusers'
    /// `gradient_checkpointing`): what makes back-propagating through a few-step student loop fit.
    public let checkpointing = GradientCheckpointSwitch()
    /// RoPE tables by (text length, grid height, grid width): a sampling loop calls the model with
    /// the same shape at every step.
    private var rotaryCache: [[Int]: RotaryTables] = [:]

    /// Builds the model with parameters under `scope` (the root scope for a `transformer/` folder).
    public init(_ scope: ParameterScope, configuration c: FluxTransformerConfiguration) {
        configuration = c
        let width = c.innerDim
        imageEmbedder = Linear(scope["x_embedder"], inFeatures: c.inChannels, outFeatures: width)
        contextEmbedder = Linear(scope["context_embedder"], inFeatures: c.jointAttentionDim, outFeatures: width)
        timeTextEmbedding = FluxTimeTextEmbedding(scope["time_text_embed"], dimension: width, pooledDimension: c.pooledProjectionDim,
                                                  guidance: c.guidanceEmbeds)
        blocks = (0..<c.numLayers).map {
            FluxTransformerBlock(scope["transformer_blocks"][$0], dimension: width, heads: c.numAttentionHeads, headDimension: c.attentionHeadDim)
        }
        singleBlocks = (0..<c.numSingleLayers).map {
            FluxSingleTransformerBlock(scope["single_transformer_blocks"][$0], dimension: width, heads: c.numAttentionHeads,
                                       headDimension: c.attentionHeadDim)
        }
        normOut = AdaLayerNormContinuous(scope["norm_out"], dimension: width)
        projectOut = Linear(scope["proj_out"], inFeatures: width, outFeatures: c.patchSize * c.patchSize * c.resolvedOutChannels)
        rotaryEmbedding = FluxRotaryEmbedding(axesDimensions: c.axesDimsRope)
    }

    /// The velocity of every packed patch.
    ///
    /// - Parameters:
    ///   - hiddenStates: packed latents `[B, h·w, inChannels]`, row-major over the `h × w` patch grid.
    ///   - encoderHiddenStates: T5 states `[B, S_txt, jointAttentionDim]`.
    ///   - pooledProjections: CLIP pooled output `[B, pooledProjectionDim]`.
    ///   - timesteps: σ in [0, 1] per row (the pipeline's timestep / 1000).
    ///   - guidance: the embedded guidance scale per row (FLUX.1-dev); ignored by a model without
    ///     the guidance embedding, as diffusers' pipeline passes none then.
    ///   - grid: the patch grid `(height, width)` = `(H/16, W/16)` for an `H × W` image.
    /// - Returns: `[B, h·w, outChannels]`.
    public func callAsFunction(_ hiddenStates: Tensor, encoderHiddenStates: Tensor, pooledProjections: Tensor, timesteps: [Float],
                               guidance: [Float]?, grid: (height: Int, width: Int)) -> Tensor {
        let c = configuration, batch = hiddenStates.shape[0]
        precondition(hiddenStates.rank == 3 && hiddenStates.shape[1] == grid.height * grid.width && hiddenStates.shape[2] == c.inChannels,
                     "FLUX transformer: hidden states \(hiddenStates.shape) do not fit a \(grid) grid of \(c.inChannels)-channel patches")
        precondition(encoderHiddenStates.rank == 3 && encoderHiddenStates.shape[0] == batch && encoderHiddenStates.shape[2] == c.jointAttentionDim,
                     "FLUX transformer: text states \(encoderHiddenStates.shape) do not fit batch \(batch) × width \(c.jointAttentionDim)")
        precondition(pooledProjections.shape == [batch, c.pooledProjectionDim],
                     "FLUX transformer: pooled projections \(pooledProjections.shape), expected [\(batch), \(c.pooledProjectionDim)]")
        precondition(timesteps.count == batch, "FLUX transformer: \(timesteps.count) timesteps for a batch of \(batch)")
        let textLength = encoderHiddenStates.shape[1]
        var image = imageEmbedder(hiddenStates)
        var text = contextEmbedder(encoderHiddenStates)
        // Every block's AdaLN (and norm_out) starts with SiLU of the same temb: computed once.
        let activatedEmbedding = timeTextEmbedding(timesteps: timesteps, guidance: c.guidanceEmbeds ? guidance : nil,
                                                   pooled: pooledProjections).silu()
        let rotary = rotaryTables(textLength: textLength, grid: grid)
        for block in blocks {
            if checkpointing.isEnabled {
                let outputs = checkpoint([image, text, activatedEmbedding]) { inputs in
                    let (i, t) = block(image: inputs[0], text: inputs[1], activatedEmbedding: inputs[2], rotary: rotary)
                    return [i, t]
                }
                (image, text) = (outputs[0], outputs[1])
            } else {
                (image, text) = block(image: image, text: text, activatedEmbedding: activatedEmbedding, rotary: rotary)
            }
        }
        var joined = Tensor.concat([text, image], axis: 1)
        for block in singleBlocks {
            joined = checkpointing.run([joined, activatedEmbedding]) { inputs in
                block(inputs[0], activatedEmbedding: inputs[1], rotary: rotary)
            }
        }
        image = joined.slice(axis: 1, textLength..<joined.shape[1])
        return projectOut(normOut(image, activatedEmbedding: activatedEmbedding))
    }

    /// RoPE tables for this text length and grid, reused while the shapes stay the same.
    private func rotaryTables(textLength: Int, grid: (height: Int, width: Int)) -> RotaryTables {
        let key = [textLength, grid.height, grid.width]
        if let tables = rotaryCache[key] { return tables }
        let tables = rotaryEmbedding.tables(for: FluxRotaryEmbedding.positionIDs(textLength: textLength, height: grid.height, width: grid.width))
        if rotaryCache.count >= 8 { rotaryCache.removeAll() }  // bounded: shapes rarely vary within a run
        rotaryCache[key] = tables
        return tables
    }
}

import DiffSynth

/// diffusers' `UNet2DConditionModel` as SDXL configures it (``UNetConfiguration``): the
/// ε-prediction denoiser. Parameter names are the diffusers state-dict keys, so
/// `unet/diffusion_pytorch_model.safetensors` loads without renaming.
///
/// Forward pass (diffusers order): timestep sinusoid (`[cos | sin]`, Float32) → `time_embedding`;
/// with `text_time` micro-conditioning, each of the 6 time ids gets its own sinusoid, the pooled
/// text vector goes first, and `add_embedding` of the concatenation is added to `emb`;
/// `conv_in`; down blocks (pushing skips); mid block; up blocks (popping skips, `[hidden, skip]`
/// concatenation); `conv_norm_out` → SiLU → `conv_out`. When a latent side is not a multiple of
/// the overall downsampling factor, each upsampler resizes to the next skip's size
/// (`upsample_size`), so odd sizes work as in diffusers.
public final class UNet2DConditionModel: Module {
    /// The configuration the UNet was built from.
    public let configuration: UNetConfiguration
    let convIn: Conv2d
    let timeEmbedding: TimestepEmbedding
    let addEmbedding: TimestepEmbedding?
    let downBlocks: [UNetDownBlock]
    let midBlock: UNetMidBlock
    let upBlocks: [UNetUpBlock]
    let convNormOut: GroupNorm
    let convOut: Conv2d
    private let checkpointing = GradientCheckpointSwitch()

    /// Recompute every resnet and transformer block during backward instead of keeping its
    /// activations (diffusers' `enable_gradient_checkpointing`).
    public var gradientCheckpointing: Bool {
        get { checkpointing.isEnabled }
        set { checkpointing.isEnabled = newValue }
    }

    /// Builds the network; with `ParameterScope(.uninitialized)` nothing is allocated eagerly
    /// beyond untouched memory, so weights can be loaded (or a full-size model counted) cheaply.
    public init(configuration c: UNetConfiguration, scope: ParameterScope = ParameterScope()) {
        configuration = c
        let first = c.blockOutChannels[0]
        convIn = Conv2d(scope["conv_in"], inChannels: c.inChannels, outChannels: first,
                        kernelSize: (c.convInKernel, c.convInKernel), padding: ((c.convInKernel - 1) / 2, (c.convInKernel - 1) / 2))
        timeEmbedding = TimestepEmbedding(scope["time_embedding"], inputDimension: first, embeddingDimension: c.timeEmbeddingDimension)
        addEmbedding = c.projectionClassEmbeddingsInputDimension.map {
            TimestepEmbedding(scope["add_embedding"], inputDimension: $0, embeddingDimension: c.timeEmbeddingDimension)
        }
        var down: [UNetDownBlock] = []
        var output = first
        for (i, kind) in c.downBlockTypes.enumerated() {
            let input = output
            output = c.blockOutChannels[i]
            down.append(UNetDownBlock(scope["down_blocks"][i], kind: kind, inChannels: input, outChannels: output,
                                      layers: c.layersPerBlock[i], transformerDepth: c.transformerLayersPerBlock[i],
                                      heads: c.attentionHeads[i], downsamples: i < c.levels - 1, configuration: c,
                                      checkpointing: checkpointing))
        }
        downBlocks = down
        let deepest = c.blockOutChannels[c.levels - 1]
        midBlock = UNetMidBlock(scope["mid_block"], channels: deepest, transformerDepth: c.transformerLayersPerBlock[c.levels - 1],
                                heads: c.attentionHeads[c.levels - 1], configuration: c, checkpointing: checkpointing)
        // Up blocks read the per-level lists reversed (diffusers' reversed_* lists).
        let reversedChannels = Array(c.blockOutChannels.reversed())
        var up: [UNetUpBlock] = []
        output = reversedChannels[0]
        for (i, kind) in c.upBlockTypes.enumerated() {
            let previous = output
            output = reversedChannels[i]
            let input = reversedChannels[min(i + 1, c.levels - 1)]
            let level = c.levels - 1 - i
            up.append(UNetUpBlock(scope["up_blocks"][i], kind: kind, inChannels: input, outChannels: output, previousChannels: previous,
                                  layers: c.layersPerBlock[level] + 1, transformerDepth: c.transformerLayersPerBlock[level],
                                  heads: c.attentionHeads[level], upsamples: i < c.levels - 1, configuration: c,
                                  checkpointing: checkpointing))
        }
        upBlocks = up
        convNormOut = GroupNorm(scope["conv_norm_out"], groups: c.normGroups, channels: first, eps: c.normEps)
        convOut = Conv2d(scope["conv_out"], inChannels: first, outChannels: c.outChannels,
                         kernelSize: (c.convOutKernel, c.convOutKernel), padding: ((c.convOutKernel - 1) / 2, (c.convOutKernel - 1) / 2))
    }

    /// The noise prediction for `sample`.
    ///
    /// - Parameters:
    ///   - sample: latents `[B, C, h, w]` (already scaled by the scheduler's `scaleModelInput`).
    ///   - timesteps: one timestep for the whole batch or one per sample, as floats (e.g. 981.0).
    ///   - encoderHiddenStates: text tokens `[B, L, crossAttentionDimension]`.
    ///   - textEmbeds: pooled text `[B, D]` (required with `text_time`).
    ///   - timeIds: micro-conditioning `[B, 6]`: original (h, w), crop (top, left), target (h, w)
    ///     in pixels (required with `text_time`).
    public func callAsFunction(_ sample: Tensor, timesteps: [Float], encoderHiddenStates: Tensor,
                               textEmbeds: Tensor? = nil, timeIds: Tensor? = nil) -> Tensor {
        let c = configuration
        let batch = sample.shape[0]
        precondition(timesteps.count == 1 || timesteps.count == batch, "UNet: \(timesteps.count) timesteps for a batch of \(batch)")
        let perSample = timesteps.count == 1 ? Array(repeating: timesteps[0], count: batch) : timesteps
        let sinusoid = sinusoidalTimestepEmbedding(perSample, dimension: c.blockOutChannels[0], flipSinToCos: c.flipSinToCos,
                                                   downscaleFrequencyShift: c.freqShift)
        var embedding = timeEmbedding(sinusoid)
        if let addEmbedding, let width = c.additionTimeEmbedDimension {
            guard let textEmbeds, let timeIds else { preconditionFailure("UNet: text_time conditioning needs textEmbeds and timeIds") }
            precondition(timeIds.shape == [batch, 6] && textEmbeds.shape[0] == batch,
                         "UNet: time ids \(timeIds.shape) / pooled text \(textEmbeds.shape) do not fit a batch of \(batch)")
            // Each of the B·6 ids gets its own sinusoid; rows regroup to [B, 6·width].
            let idFeatures = sinusoidalTimestepEmbedding(timeIds.detached().scalars, dimension: width, flipSinToCos: c.flipSinToCos,
                                                         downscaleFrequencyShift: c.freqShift).reshaped([batch, 6 * width])
            embedding = embedding + addEmbedding(Tensor.concat([textEmbeds, idFeatures], axis: 1))
        }
        let activated = embedding.silu()
        let context = encoderHiddenStates

        var h = convIn(sample)
        var skips = [h]
        for block in downBlocks {
            let (output, blockSkips) = block(h, embedding: activated, context: context)
            h = output
            skips += blockSkips
        }
        h = midBlock(h, embedding: activated, context: context)
        let factor = c.downsamplingFactor
        let forwardsUpsampleSize = sample.shape[2] % factor != 0 || sample.shape[3] % factor != 0
        for (i, block) in upBlocks.enumerated() {
            var upsampleSize: (height: Int, width: Int)?
            if forwardsUpsampleSize && i < upBlocks.count - 1 {
                // The skip the next block consumes first sits just below this block's skips.
                let next = skips[skips.count - block.resnets.count - 1]
                upsampleSize = (next.shape[2], next.shape[3])
            }
            h = block(h, skips: &skips, embedding: activated, context: context, upsampleSize: upsampleSize)
        }
        return convOut(convNormOut(h).silu())
    }
}

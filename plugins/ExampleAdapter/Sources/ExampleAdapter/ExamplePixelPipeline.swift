import DiffSynth
import Foundation

/// A deliberately small family that shows everything an adapter supplies: a fixed "VAE"
/// (4×4 average pooling into 4 channels and back), a bag-of-bytes text encoder, a small
/// convolutional denoiser with Linear layers for LoRA, and a framework scheduler.
public final class ExamplePixelPipeline: DiffusionPipeline {
    public let descriptor: PipelineDescriptor
    public let scheduler: any Scheduler
    let model: ExampleDenoiser
    public var denoiser: any Module { model }
    public var gradientCheckpointing = false

    /// Mixes RGB into 4 latent channels (an orthogonal-ish fixed basis) and back.
    static let encodeBasis = Tensor(shape: [4, 3, 1, 1], scalars: [0.5, 0.5, 0.5, 0.7, 0, -0.7, 0.4, -0.8, 0.4, 0.3, 0.3, 0.3])
    static let decodeBasis = Tensor(shape: [3, 4, 1, 1], scalars: [0.67, 0.71, 0.42, 0, 0.67, 0, -0.83, 0, 0.67, -0.71, 0.42, 0])

    static let descriptor = PipelineDescriptor(
        family: ExamplePixelAdapter.family, latentChannels: 4, vaeScaleFactor: 4, resolutionMultiple: 8,
        defaultResolution: (32, 32), predictionType: .flowVelocity,
        teacher: SamplingSettings(steps: 20, guidanceScale: 3), student: SamplingSettings(steps: 2, guidanceScale: 1),
        defaultLoRATargets: ["mix", "condition"], noisePrecision: .float32)

    init(model: ExampleDenoiser) throws {
        self.model = model
        descriptor = Self.descriptor
        scheduler = try FlowMatchEulerScheduler(config: FlowMatchEulerConfiguration(shift: 3))
    }

    public func encode(prompt: String) throws -> Conditioning {
        var features = [Float](repeating: 0, count: ExampleDenoiser.textSize)
        for (i, byte) in prompt.utf8.enumerated() { features[(Int(byte) &* 31 &+ i) % ExampleDenoiser.textSize] += 0.2 }
        return Conditioning(["text": Tensor(shape: [1, ExampleDenoiser.textSize], scalars: features)])
    }

    public func predict(latents: Tensor, timestep: Float, conditioning: Conditioning) -> Tensor {
        model(latents, timestep: timestep, text: conditioning["text"])
    }

    public func encode(image: Tensor) throws -> Tensor {
        let (b, h, w) = (image.shape[0], image.shape[2], image.shape[3])
        let pooled = image.reshaped([b, 3, h / 4, 4, w / 4, 4]).mean(axes: [3, 5])
        return pooled.conv2d(weight: Self.encodeBasis)
    }

    public func decode(latents: Tensor) throws -> Tensor {
        latents.conv2d(weight: Self.decodeBasis).upsampleNearest(factor: 4)
    }
}

/// Conv in → (time, text) conditioning → per-pixel channel mixing → conv out.
final class ExampleDenoiser: Module {
    static let textSize = 16
    let convIn: Conv2d
    let condition: Linear
    let mix: Linear
    let convOut: Conv2d

    init(_ scope: ParameterScope, width: Int = 32) {
        convIn = Conv2d(scope["conv_in"], inChannels: 4, outChannels: width, kernelSize: (3, 3), padding: (1, 1))
        condition = Linear(scope["condition"], inFeatures: 8 + Self.textSize, outFeatures: width)
        mix = Linear(scope["mix"], inFeatures: width, outFeatures: width)
        convOut = Conv2d(scope["conv_out"], inChannels: width, outChannels: 4, kernelSize: (3, 3), padding: (1, 1))
    }

    func callAsFunction(_ latents: Tensor, timestep: Float, text: Tensor) -> Tensor {
        let time = sinusoidalTimestepEmbedding([timestep], dimension: 8, flipSinToCos: true, downscaleFrequencyShift: 0)
        let bias = condition(Tensor.concat([time, text], axis: 1)).silu()          // [1, width]
        let width = bias.shape[1]
        var h = convIn(latents) + bias.reshaped([1, width, 1, 1])
        h = h.silu()
        let mixed = mix(h.permuted([0, 2, 3, 1])).permuted([0, 3, 1, 2])          // per-pixel Linear over channels
        return convOut((h + mixed).silu())
    }
}

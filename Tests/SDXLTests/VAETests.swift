import DiffSynth
import Foundation
import Testing
@testable import SDXL

@Suite("SDXL VAE")
struct VAETests {
    @Test("encode gives diffusers' posterior mean and std, and a torch-seeded posterior sample; decode matches too")
    func vaeMatchesDiffusers() throws {
        let pipeline = try Fixtures.pipeline()
        let image = try Fixtures.reference("vae.image")
        let posterior = withNoGrad { pipeline.vae.encode(image) }
        let meanError = Compare.relativeError(posterior.mean, try Fixtures.reference("vae.mean"))
        let stdError = Compare.relativeError(posterior.standardDeviation, try Fixtures.reference("vae.std"))
        var generator = TorchGenerator(seed: 7)
        let sampleError = Compare.relativeError(posterior.sample(generator: &generator), try Fixtures.reference("vae.sample_seed7"))
        let latents = try Fixtures.reference("vae.latents")
        let decoded = withNoGrad { pipeline.vae.decode(latents) }
        let decodeError = Compare.relativeError(decoded, try Fixtures.reference("vae.decoded"))
        print("vae: mean \(meanError), std \(stdError), sample \(sampleError), decode \(decodeError)")
        #expect(posterior.mean.shape == [1, 4, 32, 24])
        #expect(meanError <= 1e-4 && stdError <= 1e-4 && sampleError <= 1e-4 && decodeError <= 1e-4)
    }

    @Test("the pipeline's encode(image:) and decode(latents:) apply the 0.13025 scaling factor")
    func pipelineScaling() throws {
        let pipeline = try Fixtures.pipeline()
        #expect(pipeline.vae.configuration.scalingFactor == 0.13025)
        let image = try Fixtures.reference("vae.image")
        let latents = try withNoGrad { try pipeline.encode(image: image) }
        #expect(Compare.relativeError(latents, try Fixtures.reference("vae.mean") * 0.13025) <= 1e-4)
        let raw = try Fixtures.reference("vae.latents")
        let decoded = try withNoGrad { try pipeline.decode(latents: raw * 0.13025) }
        #expect(Compare.relativeError(decoded, try Fixtures.reference("vae.decoded")) <= 1e-4)
    }

    @Test("legacy attention names (query/key/value/proj_attn) and 1×1-conv shapes load into the same VAE")
    func legacyAttentionNames() throws {
        let folder = Fixtures.base.appendingPathComponent("vae")
        let current = try ShardedSafetensors(url: folder, variant: "fp16")
        var legacy: [String: Tensor] = [:]
        let renames = ["to_q": "query", "to_k": "key", "to_v": "value", "to_out.0": "proj_attn"]
        for name in current.names {
            var key = name
            var value = try current.tensor(name)
            for (new, old) in renames where name.contains(".attentions.0.\(new).") {
                key = name.replacingOccurrences(of: ".\(new).", with: ".\(old).")
                if value.rank == 2 { value = value.reshaped(value.shape + [1, 1]) }
            }
            legacy[key] = value
        }
        #expect(legacy.keys.contains("encoder.mid_block.attentions.0.proj_attn.weight"))
        let vae = AutoencoderKL(configuration: try AutoencoderKLConfiguration(contentsOf: folder.appendingPathComponent("config.json")),
                                scope: ParameterScope(.uninitialized))
        try vae.load(from: AutoencoderKL.weightSource(InMemoryWeights(legacy)), sourceName: "legacy vae")
        let reference = try AutoencoderKL.load(from: folder, variant: "fp16")
        let latents = try Fixtures.reference("vae.latents")
        #expect(withNoGrad { vae.decode(latents) }.scalars == withNoGrad { reference.decode(latents) }.scalars)
    }
}

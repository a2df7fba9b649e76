import DiffSynth
import Foundation
import Testing
@testable import QwenImage

@Suite("Qwen-Image VAE matches diffusers on single images")
struct VAEParityTests {
    @Test("encode gives diffusers' posterior mean, log-variance and normalised latents", arguments: ["wide", "small"])
    func encode(_ name: String) throws {
        let pipeline = try Fixtures.pipeline()
        let image = Fixtures.tensor("vae.\(name).image")
        let posterior = withNoGrad { pipeline.vae.encode(image) }
        let mean = Comparison(posterior.mean, Fixtures.tensor("vae.\(name).posterior_mean"))
        let logVariance = Comparison(posterior.logVariance, Fixtures.tensor("vae.\(name).posterior_logvar"))
        let normalized = Comparison(try withNoGrad { try pipeline.encode(image: image) }, Fixtures.tensor("vae.\(name).normalized_latents"))
        print("VAE encode \(name) \(image.shape): mean \(mean); logvar \(logVariance); normalised \(normalized)")
        #expect(mean.maxRelative <= 1e-4, "\(mean)")
        #expect(logVariance.maxRelative <= 1e-4, "\(logVariance)")
        #expect(normalized.maxRelative <= 1e-4, "\(normalized)")
    }

    @Test("decode of normalised latents gives diffusers' clamped image (its first-frame cache path)", arguments: ["wide", "small"])
    func decode(_ name: String) throws {
        let pipeline = try Fixtures.pipeline()
        let decoded = try withNoGrad { try pipeline.decode(latents: Fixtures.tensor("vae.\(name).decode_latents")) }
        let comparison = Comparison(decoded, Fixtures.tensor("vae.\(name).decoded"))
        print("VAE decode \(name) \(decoded.shape): \(comparison)")
        #expect(comparison.maxRelative <= 1e-4, "\(comparison)")
    }

    @Test("latent normalisation round-trips")
    func normalisation() throws {
        let pipeline = try Fixtures.pipeline()
        let z = Fixtures.tensor("vae.wide.decode_latents")
        #expect(Comparison(pipeline.vae.normalize(pipeline.vae.denormalize(z)), z).maxAbsolute <= 1e-5)
    }
}

import DiffSynth
import Foundation
import Testing
@testable import Flux

/// The FLUX transformer against diffusers' `FluxTransformer2DModel` on the tiny dev (guidance
/// embedding, 2 + 3 blocks) and schnell (no guidance, 1 + 2 blocks, other RoPE axes) folders.
@Suite("FLUX transformer parity with diffusers")
struct TransformerParityTests {
    static let names = ["transformer-dev", "transformer-schnell"]

    @Test("forward output matches diffusers (BF16 weights, Float32 compute)", arguments: names)
    func forward(name: String) throws {
        let model = try FluxTransformer2DModel.load(from: Fixtures.components.appendingPathComponent(name))
        let meta = try #require(Fixtures.metadata.transformers[name])
        #expect(model.parameterCount == meta.parameters)
        #expect(model.configuration.guidanceEmbeds == (meta.guidance != nil))
        let output = model(try Fixtures.reference(name + ".hidden_states"),
                           encoderHiddenStates: try Fixtures.reference(name + ".encoder_hidden_states"),
                           pooledProjections: try Fixtures.reference(name + ".pooled_projections"),
                           timesteps: meta.timestep, guidance: meta.guidance,
                           grid: (meta.latent_height / 2, meta.latent_width / 2))
        let comparison = Comparison(output, try Fixtures.reference(name + ".output"))
        #expect(comparison.maxRelative < 1e-4, "\(name): \(comparison)")
    }

    @Test("RoPE tables equal FluxPosEmbed's for the joint [text, image] ids", arguments: names)
    func rotary(name: String) throws {
        let model = try FluxTransformer2DModel.load(from: Fixtures.components.appendingPathComponent(name))
        let meta = try #require(Fixtures.metadata.transformers[name])
        let textLength = try Fixtures.reference(name + ".encoder_hidden_states").shape[1]
        let ids = FluxRotaryEmbedding.positionIDs(textLength: textLength, height: meta.latent_height / 2, width: meta.latent_width / 2)
        let imageIDs = try Fixtures.reference(name + ".img_ids").scalars.chunked(into: 3)
        #expect(ids.suffix(ids.count - textLength).map { $0.map(Float.init) } == imageIDs)
        let tables = model.rotaryEmbedding.tables(for: ids)
        // The reference repeats each pair's angle twice (repeat_interleave); ours keeps one per pair.
        let cos = try Fixtures.reference(name + ".rotary_cos"), sin = try Fixtures.reference(name + ".rotary_sin")
        let every2nd = { (t: Tensor) in t.slice(axis: 1, 0..<t.shape[1], step: 2).reshaped([t.shape[0], 1, t.shape[1] / 2]) }
        #expect(Comparison(tables.cos, every2nd(cos)).maxAbsolute < 1e-6)
        #expect(Comparison(tables.sin, every2nd(sin)).maxAbsolute < 1e-6)
        #expect(Comparison(cos.slice(axis: 1, 1..<cos.shape[1], step: 2), cos.slice(axis: 1, 0..<cos.shape[1], step: 2)).maxAbsolute == 0)
    }

    @Test("gradient checkpointing gives the same output and gradients")
    func checkpointing() throws {
        let name = "transformer-dev"
        let meta = try #require(Fixtures.metadata.transformers[name])
        func run(_ checkpointed: Bool) throws -> (Float, [Float]) {
            let model = try FluxTransformer2DModel.load(from: Fixtures.components.appendingPathComponent(name))
            model.unfreeze()
            model.checkpointing.isEnabled = checkpointed
            let output = model(try Fixtures.reference(name + ".hidden_states"),
                               encoderHiddenStates: try Fixtures.reference(name + ".encoder_hidden_states"),
                               pooledProjections: try Fixtures.reference(name + ".pooled_projections"),
                               timesteps: meta.timestep, guidance: meta.guidance, grid: (meta.latent_height / 2, meta.latent_width / 2))
            let loss = (output * output).mean()
            loss.backward()
            let gradient = try #require(model.singleBlocks[1].attention.query.weight.grad)
            return (loss.item(), gradient.scalars)
        }
        let (plain, checkpointed) = (try run(false), try run(true))
        #expect(plain.0 == checkpointed.0)
        #expect(plain.1 == checkpointed.1)
        #expect(plain.1.contains { $0 != 0 })
    }

    @Test("a config that cannot be FLUX names the file and key")
    func badConfiguration() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("flux-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("config.json")
        try Data(#"{"attention_head_dim": 16, "axes_dims_rope": [4, 6, 8]}"#.utf8).write(to: file)
        let error = #expect(throws: (any Error).self) { try FluxTransformerConfiguration(contentsOf: file) }
        let message = "\(error.map { "\($0)" } ?? "")"
        #expect(message.contains(file.path) && message.contains("axes_dims_rope"), "\(message)")
    }
}

extension Array {
    /// Consecutive slices of `size` elements.
    func chunked(into size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}

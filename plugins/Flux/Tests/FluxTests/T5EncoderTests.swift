import DiffSynth
import Foundation
import Testing
@testable import Flux

/// The T5 encoder against transformers' `T5EncoderModel` (v1.1 layout, 8 buckets over distance 20).
@Suite("T5 encoder parity with transformers")
struct T5EncoderTests {
    @Test("last_hidden_state matches transformers (BF16 weights, Float32 compute)")
    func forward() throws {
        let encoder = try T5EncoderModel.load(from: Fixtures.components.appendingPathComponent("text_encoder_2"))
        #expect(encoder.parameterCount == Fixtures.metadata.t5.parameters)
        let output = encoder(Fixtures.metadata.t5.input_ids)
        let comparison = Comparison(output, try Fixtures.reference("t5.last_hidden_state"))
        #expect(comparison.maxRelative < 1e-4, "\(comparison)")
    }

    /// transformers' `_relative_position_bucket(bidirectional=True)` for 32 buckets over 128
    /// (T5's defaults), values computed with transformers 5.
    @Test("relative position buckets at T5's defaults")
    func buckets() {
        let positions = [-200, -128, -127, -64, -20, -9, -8, -7, -1, 0, 1, 2, 7, 8, 9, 15, 16, 63, 64, 127, 128, 500]
        let expected = [15, 15, 15, 14, 10, 8, 8, 7, 1, 0, 17, 18, 23, 24, 24, 25, 26, 29, 30, 31, 31, 31]
        #expect(positions.map { T5EncoderModel.relativePositionBucket($0, buckets: 32, maxDistance: 128) } == expected)
    }

    @Test("the tied embedding loads from encoder.embed_tokens.weight alone")
    func tiedEmbedding() throws {
        let folder = Fixtures.components.appendingPathComponent("text_encoder_2")
        let stored = try ShardedSafetensors(url: folder, variant: nil)
        var renamed: [String: Tensor] = [:]
        for name in stored.names { renamed[name == "shared.weight" ? "encoder.embed_tokens.weight" : name] = try stored.tensor(name) }
        let encoder = T5EncoderModel(configuration: try T5Configuration(contentsOf: folder.appendingPathComponent("config.json")),
                                     scope: ParameterScope(.uninitialized))
        try encoder.load(from: T5EncoderModel.weightSource(InMemoryWeights(renamed)), sourceName: "tied copy only")
        let comparison = Comparison(encoder(Fixtures.metadata.t5.input_ids), try Fixtures.reference("t5.last_hidden_state"))
        #expect(comparison.maxRelative < 1e-4, "\(comparison)")
    }
}

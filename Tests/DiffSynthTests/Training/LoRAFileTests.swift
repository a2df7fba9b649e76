import Foundation
import Testing
@testable import DiffSynth

/// The committed `Fixtures/lora/toy-lora-*.safetensors` are exactly what this code writes, and
/// `Tools/reference/check_lora_file.py` loads them with Python's safetensors and checks the
/// names and shapes peft, diffusers and DiffSynth-Studio expect.
@Suite("LoRA files")
struct LoRAFileTests {
    static func bytes(format: LoRAWeights.KeyFormat) throws -> Data {
        let pipeline = ToyPipeline(seed: 2)
        try LoRA.inject(into: pipeline.denoiser, targets: ["proj_in", "proj"], rank: 4, seed: 3)
        var generator = TorchGenerator(seed: 4)
        for layer in pipeline.denoiser.linearLayers() {
            for adapter in layer.adapters { adapter.up.assign(Tensor.randn(adapter.up.shape, generator: &generator) * 0.01) }
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lora-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let state = LoRA.trainedWeights(of: pipeline.denoiser).stateDict(format: format)
        try SafetensorsWriter.write(state.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, metadata: ["format": "pt"], to: url)
        return try Data(contentsOf: url)
    }

    @Test("the committed LoRA fixtures are byte for byte what the writer produces", arguments: LoRAWeights.KeyFormat.allCases)
    func fixtureIsCurrent(_ format: LoRAWeights.KeyFormat) throws {
        let name = "lora/toy-lora-\(format.rawValue.lowercased()).safetensors"
        let written = try Self.bytes(format: format)
        if ProcessInfo.processInfo.environment["DIFFSYNTH_WRITE_FIXTURES"] == "1" { try written.write(to: Fixtures.url(name)) }
        #expect(written == (try Data(contentsOf: Fixtures.url(name))))
    }
}

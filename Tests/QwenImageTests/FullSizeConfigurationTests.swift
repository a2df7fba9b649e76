import DiffSynth
import Foundation
import Testing
@testable import QwenImage

@Suite("Published Qwen-Image sizes, built without weights")
struct FullSizeConfigurationTests {
    /// Whether the kernel lets us reserve more virtual memory than it has (Linux heuristic or
    /// always-overcommit): uninitialised parameters are reserved, never touched, and 80 GB of
    /// untouched reservations is fine then. Under strict accounting (mode 2) the big builds are skipped.
    static let canReserveUntouchedMemory: Bool = {
        guard let mode = try? String(contentsOfFile: "/proc/sys/vm/overcommit_memory", encoding: .utf8) else { return true }
        return mode.trimmingCharacters(in: .whitespacesAndNewlines) != "2"
    }()

    /// Resident memory of this process in bytes (Linux `/proc/self/statm`).
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    @Test("the full transformer has 1933 tensors and 20,430,401,088 parameters, and building it touches no weight memory",
          .enabled(if: canReserveUntouchedMemory))
    func transformer() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString).json")
        // The published file, including its obsolete key.
        try """
        {"_class_name": "QwenImageTransformer2DModel", "_diffusers_version": "0.34.0.dev0", "attention_head_dim": 128,
         "axes_dims_rope": [16, 56, 56], "guidance_embeds": false, "in_channels": 64, "joint_attention_dim": 3584,
         "num_attention_heads": 24, "num_layers": 60, "out_channels": 16, "patch_size": 2, "pooled_projection_dim": 768}
        """.write(to: url, atomically: true, encoding: .utf8)
        let configuration = try ConfigurationFile.decode(QwenImageTransformerConfiguration.self, from: url)
        #expect(configuration == .qwenImage)
        try configuration.validate()
        let before = Self.residentBytes()
        let model = QwenImageTransformer2DModel(ParameterScope(.uninitialized), configuration: configuration)
        let parameters = model.parameters()
        let after = Self.residentBytes()
        #expect(parameters.count == 1933)
        #expect(parameters.reduce(0) { $0 + $1.value.count } == 20_430_401_088)
        #expect(Set(parameters.map(\.name)).count == 1933)
        #expect(model.namedParameters()["transformer_blocks.59.img_mod.1.weight"]?.shape == [18432, 3072])
        #expect(model.namedParameters()["transformer_blocks.0.attn.to_out.0.bias"]?.shape == [3072])
        print("full transformer: 80 GB of Float32 parameters reserved, resident memory grew by \((after - before) >> 20) MB")
        #expect(after - before < 1 << 30, "building touched \((after - before) >> 20) MB")
        // LoRA targets resolve on the real layout: 12 per block.
        #expect(model.linearLayers().filter { LoRA.matches($0.path, targets: QwenImagePipeline.defaultLoRATargets) }.count == 60 * 12)
    }

    @Test("the full text encoder's language model has 338 tensors and 7,070,619,136 parameters", .enabled(if: canReserveUntouchedMemory))
    func textEncoder() {
        let model = QwenImageTextEncoder(ParameterScope(.uninitialized), configuration: .qwenImage)
        let parameters = model.parameters()
        #expect(parameters.count == 338)
        #expect(parameters.reduce(0) { $0 + $1.value.count } == 7_070_619_136)
    }

    @Test("the full VAE has 194 tensors and 126,892,531 parameters")
    func vae() {
        let model = AutoencoderKLQwenImage(ParameterScope(.uninitialized), configuration: .qwenImage)
        let parameters = model.parameters()
        #expect(parameters.count == 194)
        #expect(parameters.reduce(0) { $0 + $1.value.count } == 126_892_531)
    }

    @Test("the tiny configurations have the spec's parameter counts")
    func tiny() throws {
        #expect(QwenImageTransformer2DModel(ParameterScope(), configuration: .tiny).parameterCount == 92_448)
        #expect(AutoencoderKLQwenImage(ParameterScope(), configuration: .tiny).parameterCount == 924_491)
        let pipeline = try Fixtures.pipeline()
        #expect(pipeline.transformer.parameterCount == 92_448 && pipeline.vae.parameterCount == 924_491)
    }

    @Test("configurations this port does not implement are refused, naming the key")
    func unsupported() {
        var c = QwenImageTransformerConfiguration.qwenImage
        c.zeroCondT = true
        #expect(throws: ConfigurationError.self) { try c.validate() }
        c = .qwenImage
        c.axesDimsRope = [16, 56, 50]
        do { try c.validate(); Issue.record("accepted bad axes") } catch { #expect("\(error)".contains("axes_dims_rope")) }
    }
}

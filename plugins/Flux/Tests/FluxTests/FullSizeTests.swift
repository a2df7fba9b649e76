import DiffSynth
import Foundation
import Testing
@testable import Flux

/// The published FLUX.1 networks, built with uninitialised (reserved, never touched) parameters:
/// their configuration files decode to the built-in values, and their weight names, shapes and
/// parameter counts equal those of diffusers'/transformers' modules on torch's meta device
/// (`Tools/reference/flux_full_size_keys.py` → `Fixtures/flux-full-size.json`).
@Suite("Published FLUX.1 sizes, built without weights")
struct FullSizeTests {
    /// Whether the kernel lets a process reserve more than it has (not strict overcommit mode 2):
    /// the 48 GB Float32 transformer is reserved, never touched.
    static let canReserveUntouchedMemory: Bool = {
        guard let mode = try? String(contentsOfFile: "/proc/sys/vm/overcommit_memory", encoding: .utf8) else { return true }
        return mode.trimmingCharacters(in: .whitespacesAndNewlines) != "2"
    }()

    struct Network: Decodable {
        let parameters: Int
        let tensors: [[Entry]]
        enum Entry: Decodable {
            case name(String), shape([Int])
            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let name = try? container.decode(String.self) { self = .name(name) } else { self = .shape(try container.decode([Int].self)) }
            }
        }
        /// name → shape.
        var shapes: [String: [Int]] {
            var result: [String: [Int]] = [:]
            for pair in tensors { if case .name(let n) = pair[0], case .shape(let s) = pair[1] { result[n] = s } }
            return result
        }
    }

    static let published: [String: Network] = {
        try! JSONDecoder().decode([String: Network].self, from: Data(contentsOf: Fixtures.root.appendingPathComponent("flux-full-size.json")))
    }()

    /// Checks a module's weight names and shapes against the reference's, naming the first differences.
    func check(_ module: any Module, against name: String) throws {
        let reference = try #require(Self.published[name])
        let expected = reference.shapes
        let ours = module.namedParameters().mapValues(\.shape)
        let missing = Set(expected.keys).subtracting(ours.keys).sorted(), extra = Set(ours.keys).subtracting(expected.keys).sorted()
        #expect(missing.isEmpty, "\(name): \(missing.count) reference keys missing, e.g. \(missing.prefix(5))")
        #expect(extra.isEmpty, "\(name): \(extra.count) keys not in the reference, e.g. \(extra.prefix(5))")
        let wrong = expected.keys.sorted().filter { ours[$0] != nil && ours[$0] != expected[$0] }
        #expect(wrong.isEmpty, "\(name): shapes differ for \(wrong.prefix(5).map { "\($0) \(ours[$0]!) vs \(expected[$0]!)" })")
        #expect(ours.count == expected.count && module.parameterCount == reference.parameters,
                "\(name): \(ours.count) tensors, \(module.parameterCount) parameters; reference \(expected.count), \(reference.parameters)")
    }

    /// Writes `json` to a temporary file and decodes it with `decode`.
    func decodePublished<T>(_ json: String, _ decode: (URL) throws -> T) throws -> T {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("flux-config-\(UUID().uuidString).json")
        try json.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        return try decode(url)
    }

    @Test("FLUX.1-dev's and schnell's transformer/config.json decode to .dev and .schnell")
    func transformerConfigurations() throws {
        // black-forest-labs/FLUX.1-dev transformer/config.json as published (no axes_dims_rope: the default).
        let dev = """
        {"_class_name": "FluxTransformer2DModel", "_diffusers_version": "0.30.0.dev0", "attention_head_dim": 128,
         "guidance_embeds": true, "in_channels": 64, "joint_attention_dim": 4096, "num_attention_heads": 24,
         "num_layers": 19, "num_single_layers": 38, "patch_size": 1, "pooled_projection_dim": 768}
        """
        #expect(try decodePublished(dev, FluxTransformerConfiguration.init(contentsOf:)) == .dev)
        let schnell = dev.replacingOccurrences(of: "\"guidance_embeds\": true", with: "\"guidance_embeds\": false")
        #expect(try decodePublished(schnell, FluxTransformerConfiguration.init(contentsOf:)) == .schnell)
    }

    @Test("FLUX.1's text_encoder_2/config.json and vae/config.json decode to .xxl and .flux")
    func encoderConfigurations() throws {
        let t5 = """
        {"_name_or_path": "google/t5-v1_1-xxl", "architectures": ["T5EncoderModel"], "classifier_dropout": 0.0, "d_ff": 10240,
         "d_kv": 64, "d_model": 4096, "decoder_start_token_id": 0, "dense_act_fn": "gelu_new", "dropout_rate": 0.1,
         "eos_token_id": 1, "feed_forward_proj": "gated-gelu", "initializer_factor": 1.0, "is_encoder_decoder": true,
         "is_gated_act": true, "layer_norm_epsilon": 1e-06, "model_type": "t5", "num_decoder_layers": 24, "num_heads": 64,
         "num_layers": 24, "output_past": true, "pad_token_id": 0, "relative_attention_max_distance": 128,
         "relative_attention_num_buckets": 32, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
         "transformers_version": "4.43.3", "use_cache": true, "vocab_size": 32128}
        """
        #expect(try decodePublished(t5, T5Configuration.init(contentsOf:)) == .xxl)
        let vae = """
        {"_class_name": "AutoencoderKL", "_diffusers_version": "0.30.0.dev0", "act_fn": "silu",
         "block_out_channels": [128, 256, 512, 512],
         "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
         "force_upcast": true, "in_channels": 3, "latent_channels": 16, "latents_mean": null, "latents_std": null,
         "layers_per_block": 2, "mid_block_add_attention": true, "norm_num_groups": 32, "out_channels": 3, "sample_size": 1024,
         "scaling_factor": 0.3611, "shift_factor": 0.1159,
         "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"],
         "use_post_quant_conv": false, "use_quant_conv": false}
        """
        #expect(try decodePublished(vae, AutoencoderKLConfiguration.init(contentsOf:)) == .flux)
    }

    @Test("the full dev and schnell transformers have diffusers' 1160/1156 keys, shapes and 11.9 B parameters",
          .enabled(if: canReserveUntouchedMemory))
    func transformers() throws {
        let dev = FluxTransformer2DModel(ParameterScope(.uninitialized), configuration: .dev)
        try check(dev, against: "transformer-dev")
        #expect(dev.parameterCount == 11_901_408_320)
        // diffusers' LoRA targets on the real layout: 12 per double-stream block, 3 per single-stream one
        // (attn.to_q/k/v; its proj_mlp and proj_out are not targets).
        let targeted = dev.linearLayers().filter { LoRA.matches($0.path, targets: FluxPipeline.defaultLoRATargets) }
        #expect(targeted.count == 19 * 12 + 38 * 3, "\(targeted.count) LoRA targets")
        try check(FluxTransformer2DModel(ParameterScope(.uninitialized), configuration: .schnell), against: "transformer-schnell")
    }

    @Test("the full T5-XXL encoder and the 16-channel VAE have transformers'/diffusers' keys, shapes and counts",
          .enabled(if: canReserveUntouchedMemory))
    func encoders() throws {
        try check(T5EncoderModel(configuration: .xxl, scope: ParameterScope(.uninitialized)), against: "text_encoder_2")
        try check(AutoencoderKL(configuration: .flux, scope: ParameterScope(.uninitialized)), against: "vae")
    }
}

import DiffSynth
import Foundation
import Testing
@testable import SDXL

@Suite("SDXL full-size configurations")
struct FullSizeTests {
    /// Parameters and tensors of a module built with uninitialised (untouched) memory.
    static func counts(_ module: any Module) -> (parameters: Int, tensors: Int) {
        let parameters = module.parameters()
        return (parameters.reduce(0) { $0 + $1.value.count }, parameters.count)
    }

    @Test("the published configurations have the published parameter counts (built without touching their memory)")
    func publishedParameterCounts() {
        let scope = ParameterScope(.uninitialized)
        let unet = Self.counts(UNet2DConditionModel(configuration: .sdxlBase, scope: scope))
        #expect(unet.parameters == 2_567_463_684 && unet.tensors == 1680)
        let clipL = Self.counts(CLIPTextEncoder(configuration: .clipL, scope: scope))
        #expect(clipL.parameters == 123_060_480 && clipL.tensors == 196)
        let bigG = Self.counts(CLIPTextEncoder(configuration: .openCLIPBigG, scope: scope))
        #expect(bigG.parameters == 694_659_840 && bigG.tensors == 517)
        let vae = Self.counts(AutoencoderKL(configuration: .sdxl, scope: scope))
        #expect(vae.parameters == 83_653_863 && vae.tensors == 248)
    }

    @Test("the default LoRA targets select DiffSynth's 722 SDXL layers, and key names follow diffusers")
    func loraTargetsAndKeys() {
        let unet = UNet2DConditionModel(configuration: .sdxlBase, scope: ParameterScope(.uninitialized))
        let targeted = unet.linearLayers().filter { LoRA.matches($0.path, targets: SDXLPipeline.defaultLoRATargets) }
        #expect(targeted.count == 722)
        let keys = Set(unet.namedParameters().keys)
        for key in ["down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q.weight",
                    "down_blocks.2.attentions.1.transformer_blocks.9.ff.net.0.proj.weight",
                    "mid_block.attentions.0.transformer_blocks.9.attn2.to_k.weight",
                    "up_blocks.0.attentions.2.transformer_blocks.9.ff.net.2.bias",
                    "up_blocks.1.upsamplers.0.conv.weight", "down_blocks.0.downsamplers.0.conv.weight",
                    "up_blocks.2.resnets.2.conv_shortcut.weight", "add_embedding.linear_1.weight"] {
            #expect(keys.contains(key), "\(key)")
        }
        #expect(unet.namedParameters()["down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight"]?.shape == [640, 2048])
        #expect(unet.namedParameters()["add_embedding.linear_1.weight"]?.shape == [1280, 2816])
        #expect(!keys.contains("down_blocks.2.downsamplers.0.conv.weight") && !keys.contains("up_blocks.2.upsamplers.0.conv.weight"))
    }

    @Test("the configuration files decode to the published values")
    func configurationFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sdxl-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // stabilityai/stable-diffusion-xl-base-1.0 unet/config.json (as published, diffusers 0.19 era).
        let unetJSON = """
        {"_class_name": "UNet2DConditionModel", "act_fn": "silu", "addition_embed_type": "text_time",
         "addition_embed_type_num_heads": 64, "addition_time_embed_dim": 256, "attention_head_dim": [5, 10, 20],
         "block_out_channels": [320, 640, 1280], "center_input_sample": false, "class_embed_type": null,
         "class_embeddings_concat": false, "conv_in_kernel": 3, "conv_out_kernel": 3, "cross_attention_dim": 2048,
         "cross_attention_norm": null, "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
         "downsample_padding": 1, "dual_cross_attention": false, "encoder_hid_dim": null, "encoder_hid_dim_type": null,
         "flip_sin_to_cos": true, "freq_shift": 0, "in_channels": 4, "layers_per_block": 2, "mid_block_only_cross_attention": null,
         "mid_block_scale_factor": 1, "mid_block_type": "UNetMidBlock2DCrossAttn", "norm_eps": 1e-05, "norm_num_groups": 32,
         "num_attention_heads": null, "num_class_embeds": null, "only_cross_attention": false, "out_channels": 4,
         "projection_class_embeddings_input_dim": 2816, "resnet_out_scale_factor": 1.0, "resnet_skip_time_act": false,
         "resnet_time_scale_shift": "default", "sample_size": 128, "time_cond_proj_dim": null, "time_embedding_act_fn": null,
         "time_embedding_dim": null, "time_embedding_type": "positional", "timestep_post_act": null,
         "transformer_layers_per_block": [1, 2, 10], "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
         "upcast_attention": null, "use_linear_projection": true}
        """
        let vaeJSON = """
        {"_class_name": "AutoencoderKL", "act_fn": "silu", "block_out_channels": [128, 256, 512, 512],
         "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
         "force_upcast": true, "in_channels": 3, "latent_channels": 4, "layers_per_block": 2, "norm_num_groups": 32,
         "out_channels": 3, "sample_size": 1024, "scaling_factor": 0.13025,
         "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"]}
        """
        let unetURL = directory.appendingPathComponent("unet.json"), vaeURL = directory.appendingPathComponent("vae.json")
        try unetJSON.write(to: unetURL, atomically: true, encoding: .utf8)
        try vaeJSON.write(to: vaeURL, atomically: true, encoding: .utf8)
        #expect(try UNetConfiguration(contentsOf: unetURL) == .sdxlBase)
        #expect(try AutoencoderKLConfiguration(contentsOf: vaeURL) == .sdxl)
    }
}

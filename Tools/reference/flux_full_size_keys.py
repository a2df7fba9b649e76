#!/usr/bin/env python3
"""Writes the published FLUX.1 networks' weight names and shapes, built on torch's meta device (no
memory), for the Swift full-size check (plugins/Flux `FullSizeTests`):

* `transformer-dev`: black-forest-labs/FLUX.1-dev `transformer/config.json` (guidance embedding);
* `transformer-schnell`: FLUX.1-schnell's (the same without `guidance_embeds`);
* `text_encoder_2`: google/t5-v1_1-xxl's encoder as FLUX ships it (`T5EncoderModel`);
* `vae`: FLUX.1's 16-channel `AutoencoderKL` (no quant convs).

Output: `plugins/Flux/Tests/Fixtures/flux-full-size.json`, `{network: {"parameters": N, "tensors": [[name, shape], …]}}`
(state-dict names; T5's tied `encoder.embed_tokens.weight` is the checkpoint's alias of `shared.weight`
and is left out, as the safetensors file leaves it out). Run: `python3 Tools/reference/flux_full_size_keys.py`.
"""

import json
import os

import torch
from diffusers import AutoencoderKL, FluxTransformer2DModel
from transformers import T5Config, T5EncoderModel

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "plugins", "Flux", "Tests", "Fixtures", "flux-full-size.json")

TRANSFORMER = dict(attention_head_dim=128, guidance_embeds=True, in_channels=64, joint_attention_dim=4096,
                   num_attention_heads=24, num_layers=19, num_single_layers=38, patch_size=1, pooled_projection_dim=768,
                   axes_dims_rope=(16, 56, 56))
T5 = dict(d_ff=10240, d_kv=64, d_model=4096, dense_act_fn="gelu_new", feed_forward_proj="gated-gelu", is_gated_act=True,
          layer_norm_epsilon=1e-6, num_decoder_layers=24, num_heads=64, num_layers=24, relative_attention_max_distance=128,
          relative_attention_num_buckets=32, tie_word_embeddings=False, vocab_size=32128)
VAE = dict(act_fn="silu", block_out_channels=(128, 256, 512, 512), down_block_types=("DownEncoderBlock2D",) * 4,
           force_upcast=True, in_channels=3, latent_channels=16, layers_per_block=2, mid_block_add_attention=True,
           norm_num_groups=32, out_channels=3, sample_size=1024, scaling_factor=0.3611, shift_factor=0.1159,
           up_block_types=("UpDecoderBlock2D",) * 4, use_post_quant_conv=False, use_quant_conv=False)


def describe(module, skip=()):
    state = {k: list(v.shape) for k, v in module.state_dict().items() if k not in skip}
    return dict(parameters=sum(v.numel() for k, v in module.state_dict().items() if k not in skip),
                tensors=sorted(state.items()))


def main():
    out = {}
    with torch.device("meta"):
        out["transformer-dev"] = describe(FluxTransformer2DModel(**TRANSFORMER))
        out["transformer-schnell"] = describe(FluxTransformer2DModel(**{**TRANSFORMER, "guidance_embeds": False}))
        out["text_encoder_2"] = describe(T5EncoderModel(T5Config(**T5)), skip=("encoder.embed_tokens.weight",))
        out["vae"] = describe(AutoencoderKL(**VAE))
    with open(OUT, "w") as f:
        f.write("{\n" + ",\n".join(f"{json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}" for k, v in out.items()) + "\n}\n")
    for k, v in out.items():
        print(k, v["parameters"], len(v["tensors"]))


if __name__ == "__main__":
    main()

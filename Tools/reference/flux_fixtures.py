#!/usr/bin/env python3
"""Builds the tiny FLUX.1 fixtures the Swift `FluxTests` (plugins/Flux) compare against.

Outputs (relative to the repository root), all under `plugins/Flux/Tests/Fixtures/`:

* `flux-components/`: component folders with seeded random weights, stored in BF16 as the
  published FLUX.1 checkpoints are (every reference below is computed in float32 from exactly
  those BF16-rounded values, so storing BF16 costs no accuracy):
  - `transformer-dev/`: `FluxTransformer2DModel` with the guidance embedding (FLUX.1-dev's
    layout): 2 double-stream + 3 single-stream blocks, 3 heads × 16, RoPE axes (4, 6, 6),
    8 latent channels (in_channels 32), T5 width 40, CLIP pooled width 32.
  - `transformer-schnell/`: the schnell layout (no guidance embedding), 1 + 2 blocks, 2 heads × 16,
    RoPE axes (2, 8, 6).
  - `text_encoder_2/`: transformers `T5EncoderModel` (v1.1 layout: gated-GELU feed-forward,
    untied `lm_head` absent), 2 layers, d_model 40, 5 heads × 8, 8 relative-position buckets over
    a max distance of 20 (small, so the Swift side's bucketing is exercised far beyond it).
* `flux-reference/reference.safetensors` (F32) and `reference.json`: the inputs and outputs.

Run from the repository root: `python3 Tools/reference/flux_fixtures.py`
(torch 2.15, diffusers 0.42.1, transformers 5.x; CPU only, a few seconds).
"""

import json
import os
import shutil

import torch
from safetensors.torch import save_file

from diffusers import FluxTransformer2DModel
from diffusers.pipelines.flux.pipeline_flux import FluxPipeline
from transformers import T5Config, T5EncoderModel

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIX = os.path.join(ROOT, "plugins", "Flux", "Tests", "Fixtures")
COMPONENTS = os.path.join(FIX, "flux-components")
REF = os.path.join(FIX, "flux-reference")

torch.set_num_threads(2)

TRANSFORMERS = {
    "transformer-dev": dict(patch_size=1, in_channels=32, num_layers=2, num_single_layers=3, attention_head_dim=16,
                            num_attention_heads=3, joint_attention_dim=40, pooled_projection_dim=32,
                            guidance_embeds=True, axes_dims_rope=(4, 6, 6)),
    "transformer-schnell": dict(patch_size=1, in_channels=32, num_layers=1, num_single_layers=2, attention_head_dim=16,
                                num_attention_heads=2, joint_attention_dim=40, pooled_projection_dim=32,
                                guidance_embeds=False, axes_dims_rope=(2, 8, 6)),
}

T5 = dict(vocab_size=320, d_model=40, d_kv=8, d_ff=56, num_layers=2, num_heads=5,
          relative_attention_num_buckets=8, relative_attention_max_distance=20,
          feed_forward_proj="gated-gelu", layer_norm_epsilon=1e-6, is_encoder_decoder=False,
          use_cache=False, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)


def randomize(module, seed):
    """Every parameter drawn N(0, 0.3²) (norm weights around 1), so no layer is an identity."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            noise = torch.randn(p.shape, generator=g) * 0.3
            p.copy_(1 + noise * 0.3 if ("norm" in name and p.ndim == 1) else noise)


def save_bf16(module, folder):
    """Saves in BF16 and returns the float32 module holding exactly the rounded values."""
    if os.path.exists(folder):
        shutil.rmtree(folder)
    module.to(torch.bfloat16).save_pretrained(folder, safe_serialization=True)
    return module.to(torch.float32).eval()


def main():
    os.makedirs(COMPONENTS, exist_ok=True)
    os.makedirs(REF, exist_ok=True)
    tensors, meta = {}, {"transformers": {}}
    g = torch.Generator().manual_seed(1234)

    # Transformers: batch 2, an 8×6 latent grid (4×3 = 12 image tokens), 7 text tokens.
    latent_h, latent_w, text_len = 8, 6, 7
    for index, (name, config) in enumerate(TRANSFORMERS.items()):
        torch.manual_seed(10 + index)
        model = FluxTransformer2DModel(**config)
        randomize(model, 20 + index)
        model = save_bf16(model, os.path.join(COMPONENTS, name))
        image = torch.randn(2, (latent_h // 2) * (latent_w // 2), config["in_channels"], generator=g)
        text = torch.randn(2, text_len, config["joint_attention_dim"], generator=g)
        pooled = torch.randn(2, config["pooled_projection_dim"], generator=g)
        timestep = torch.tensor([0.71, 0.2])
        guidance = torch.tensor([3.5, 1.25]) if config["guidance_embeds"] else None
        img_ids = FluxPipeline._prepare_latent_image_ids(2, latent_h // 2, latent_w // 2, "cpu", torch.float32)
        txt_ids = torch.zeros(text_len, 3)
        with torch.no_grad():
            out = model(hidden_states=image, encoder_hidden_states=text, pooled_projections=pooled, timestep=timestep,
                        img_ids=img_ids, txt_ids=txt_ids, guidance=guidance, return_dict=False)[0]
        prefix = name + "."
        tensors.update({prefix + "hidden_states": image, prefix + "encoder_hidden_states": text,
                        prefix + "pooled_projections": pooled, prefix + "output": out, prefix + "img_ids": img_ids})
        meta["transformers"][name] = dict(timestep=timestep.tolist(), guidance=guidance.tolist() if guidance is not None else None,
                          latent_height=latent_h, latent_width=latent_w,
                          parameters=sum(p.numel() for p in model.parameters()))
        # The rotary tables for these ids, to test FluxPosEmbed on its own.
        cos, sin = model.pos_embed(torch.cat([txt_ids, img_ids], dim=0))
        tensors[prefix + "rotary_cos"], tensors[prefix + "rotary_sin"] = cos.float(), sin.float()

    # T5 encoder: two rows of 11 ids (eos 1, then pad 0), ids across the whole vocabulary.
    torch.manual_seed(30)
    t5 = T5EncoderModel(T5Config(**T5))
    randomize(t5, 31)
    t5 = save_bf16(t5, os.path.join(COMPONENTS, "text_encoder_2"))
    ids = torch.tensor([[17, 301, 5, 88, 2, 140, 319, 1, 0, 0, 0],
                        [250, 3, 3, 64, 199, 1, 0, 0, 0, 0, 0]])
    with torch.no_grad():
        hidden = t5(input_ids=ids).last_hidden_state
    tensors["t5.last_hidden_state"] = hidden
    meta["t5"] = dict(input_ids=ids.tolist(), parameters=sum(p.numel() for p in t5.parameters()))

    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(REF, "reference.safetensors"))
    with open(os.path.join(REF, "reference.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()

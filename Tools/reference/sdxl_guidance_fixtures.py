#!/usr/bin/env python3
"""Fixtures for SDXL's guidance and negative-prompt rules through the command line.

diffusers' `StableDiffusionXLPipeline` guides only when `guidance_scale > 1` (sdxl-turbo's
documented call is `guidance_scale=0.0`: no CFG), and with `negative_prompt=None` and
`force_zeros_for_empty_prompt` (the published default) uses all-zero negative embeddings, while an
explicit `negative_prompt=""` is encoded. This script records diffusers' images for those calls on
a tiny SDXL folder in a configuration unlike `sdxl_fixtures.py`'s: 3-layer CLIP encoders of
width 24 with 3 heads (projection 20), a 2-level UNet of width (24, 48) with 6 heads, one layer
per block and 4-wide time embeddings, a 4-level VAE (scale factor 8, groups of 8), and a
non-square 40x56 image, whose 5x7 latents are odd on both sides.

Outputs (relative to the repository root):
* `Tests/Fixtures/sdxl-guidance-tiny/`: the diffusers folder (EulerDiscrete "leading", F16
  weights in the default file names, `force_zeros_for_empty_prompt: true`).
* `Tests/Fixtures/sdxl-guidance-tiny-reference/`: `reference.json` (the calls) and one PNG per
  call, diffusers' own `output_type="pil"` image; `turbo_scheduler.json` is sdxl-turbo's scheduler
  config (EulerAncestral "trailing"), which the Swift test puts in a copy of the folder.

Run from the repository root: `python3 Tools/reference/sdxl_guidance_fixtures.py`
(torch 2.15, diffusers 0.42.1, transformers 5.24; CPU only, seconds).
"""

import json
import os
import shutil
import sys

import torch
from diffusers import AutoencoderKL, EulerAncestralDiscreteScheduler, EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdxl_fixtures import SCHED_BASE, SCHED_TURBO, perturb, write_tokenizers  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FOLDER = os.path.join(ROOT, "Tests", "Fixtures", "sdxl-guidance-tiny")
REF = os.path.join(ROOT, "Tests", "Fixtures", "sdxl-guidance-tiny-reference")
PROMPT = "a watercolour fox in tall grass"
HEIGHT, WIDTH = 40, 56

torch.set_num_threads(2)


def text_config(vocab, act):
    return CLIPTextConfig(vocab_size=vocab, hidden_size=24, intermediate_size=40, num_hidden_layers=3, num_attention_heads=3,
                          max_position_embeddings=77, hidden_act=act, layer_norm_eps=1e-5, projection_dim=20,
                          bos_token_id=0, eos_token_id=2, pad_token_id=1)


UNET_B = dict(
    sample_size=8, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(24, 48),
    down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
    attention_head_dim=(3, 6), transformer_layers_per_block=(1, 1), use_linear_projection=True,
    cross_attention_dim=48, addition_embed_type="text_time", addition_time_embed_dim=4,
    projection_class_embeddings_input_dim=20 + 6 * 4, norm_num_groups=8, norm_eps=1e-5, flip_sin_to_cos=True, freq_shift=0,
    act_fn="silu",
)
VAE_B = dict(
    in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(8, 16, 16, 16),
    down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
    layers_per_block=1, norm_num_groups=8, sample_size=64, scaling_factor=0.13025, force_upcast=True, act_fn="silu",
)

# (name, scheduler, steps, guidance_scale, negative_prompt or None, seed)
CALLS = [
    ("turbo_cfg0", "turbo", 2, 0.0, None, 3),        # sdxl-turbo's documented call: no CFG at all
    ("turbo_cfg1", "turbo", 2, 1.0, None, 3),        # the same image
    ("base_cfg0.5", "base", 3, 0.5, "blurry", 5),    # 0 < scale <= 1: still no CFG, the negative prompt unused
    ("base_none", "base", 3, 3.5, None, 5),          # no negative prompt: zero negative embeddings
    ("base_empty", "base", 3, 3.5, "", 5),           # an explicit "" is encoded
    ("base_negative", "base", 3, 3.5, "blurry, dark", 5),
]


def main():
    for d in (FOLDER, REF):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    tmp_tok = os.path.join(REF, "_tok")
    vocab = write_tokenizers(tmp_tok, "!")
    torch.manual_seed(0)
    unet = perturb(UNet2DConditionModel(**UNET_B), 11).eval()
    vae = perturb(AutoencoderKL(**VAE_B), 12).eval()
    te1 = perturb(CLIPTextModel(text_config(vocab, "quick_gelu")), 13).eval()
    te2 = perturb(CLIPTextModelWithProjection(text_config(vocab, "gelu")), 14).eval()
    tok1 = CLIPTokenizer.from_pretrained(os.path.join(tmp_tok, "tokenizer"))
    tok2 = CLIPTokenizer.from_pretrained(os.path.join(tmp_tok, "tokenizer_2"))
    schedulers = {"base": EulerDiscreteScheduler.from_config(SCHED_BASE),
                  "turbo": EulerAncestralDiscreteScheduler.from_config(SCHED_TURBO)}
    pipe = StableDiffusionXLPipeline(vae=vae, text_encoder=te1, text_encoder_2=te2, tokenizer=tok1, tokenizer_2=tok2,
                                     unet=unet, scheduler=schedulers["base"], force_zeros_for_empty_prompt=True,
                                     add_watermarker=False)
    pipe.set_progress_bar_config(disable=True)
    calls = []
    for name, scheduler, steps, cfg, negative, seed in CALLS:
        pipe.scheduler = schedulers[scheduler]
        kwargs = dict(prompt=PROMPT, height=HEIGHT, width=WIDTH, num_inference_steps=steps, guidance_scale=cfg,
                      generator=torch.Generator().manual_seed(seed))
        if negative is not None:
            kwargs["negative_prompt"] = negative
        with torch.no_grad():
            image = pipe(**kwargs).images[0]
        image.save(os.path.join(REF, f"{name}.png"))
        calls.append(dict(name=name, scheduler=scheduler, steps=steps, guidance_scale=cfg, negative_prompt=negative, seed=seed))
    images = {c["name"]: open(os.path.join(REF, c["name"] + ".png"), "rb").read() for c in calls}
    assert images["turbo_cfg0"] == images["turbo_cfg1"], "diffusers: guidance 0 should equal guidance 1"
    assert images["base_none"] != images["base_empty"], "zero negative embeddings should differ from encoding ''"

    pipe.scheduler = schedulers["base"]
    pipe.to(torch.float16)
    pipe.save_pretrained(FOLDER, safe_serialization=True)
    for sub in ("tokenizer", "tokenizer_2"):  # the published layout (vocab.json + merges.txt)
        shutil.rmtree(os.path.join(FOLDER, sub))
        shutil.copytree(os.path.join(tmp_tok, sub), os.path.join(FOLDER, sub))
    shutil.rmtree(tmp_tok)
    with open(os.path.join(REF, "turbo_scheduler.json"), "w") as f:
        json.dump(dict(_class_name="EulerAncestralDiscreteScheduler", _diffusers_version="0.24.0.dev0", **SCHED_TURBO), f, indent=2)
    with open(os.path.join(REF, "reference.json"), "w") as f:
        json.dump(dict(prompt=PROMPT, height=HEIGHT, width=WIDTH, calls=calls), f, indent=1)

    # The F16 folder reloads (as float32) to the identical images.
    reloaded = StableDiffusionXLPipeline.from_pretrained(FOLDER, torch_dtype=torch.float32, local_files_only=True)
    reloaded.set_progress_bar_config(disable=True)
    with torch.no_grad():
        again = reloaded(prompt=PROMPT, height=HEIGHT, width=WIDTH, num_inference_steps=3, guidance_scale=3.5,
                         generator=torch.Generator().manual_seed(5)).images[0]
    import io
    buffer = io.BytesIO()
    again.save(buffer, "PNG")
    assert buffer.getvalue() == images["base_none"], "the saved folder does not reproduce the images"
    print("params: unet", sum(p.numel() for p in unet.parameters()), "vae", sum(p.numel() for p in vae.parameters()),
          "te", sum(p.numel() for p in te1.parameters()), "vocab", vocab)


if __name__ == "__main__":
    main()

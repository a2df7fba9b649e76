#!/usr/bin/env python3
"""Builds the tiny whole-pipeline FLUX.1 fixtures the Swift `FluxTests` (plugins/Flux) compare against.

Two model folders in diffusers' FLUX.1 layout, written by `FluxPipeline.save_pretrained` in BF16
(as black-forest-labs publishes them), with the published tokenizer layouts copied in:

* `plugins/Flux/Tests/Fixtures/flux-dev-tiny/`: FLUX.1-dev's layout — guidance embedding,
  `FlowMatchEulerDiscreteScheduler` with FLUX.1-dev's dynamic (resolution-dependent) shift, a
  sharded `transformer/` and `text_encoder_2/` (index + shards, as on the Hub).
* `plugins/Flux/Tests/Fixtures/flux-schnell-tiny/`: schnell's — no guidance embedding, shift 1
  without dynamic shifting, single files.

Both share the text encoders and the VAE: CLIP-L-shaped `CLIPTextModel` (quick-GELU, 2 layers,
width 32) over the tiny SDXL folder's byte-level CLIP tokenizer (`Tests/Fixtures/sdxl-tiny/tokenizer/`:
vocab.json + merges.txt, pad `<|endoftext|>`, 603 ids, as FLUX's `tokenizer/` is CLIP-L's), a T5 v1.1 encoder (gated GELU, 2 layers, width 40, vocab 1104 > the
tokenizer's 1100 as in T5-XXL's 32128 > 32100) over the framework's trained T5 Unigram tokenizer in
FLUX's `tokenizer_2/` layout, and a 16-channel `AutoencoderKL` without quant convs (FLUX's),
blocks (16, 32) so images are 2× the latents, with FLUX's `scaling_factor`/`shift_factor`.

`plugins/Flux/Tests/Fixtures/flux-pipeline-reference/reference.{safetensors,json}`: for each run,
the token ids (CLIP 77, T5 `max_sequence_length`), `prompt_embeds`/`pooled_prompt_embeds`, the
schedule, the unpacked final latents `[B, 16, h, w]` and the decoded image in [0, 1]; every run
is `FluxPipeline.__call__` with `generator=torch.Generator("cpu").manual_seed(seed)`. Also the
VAE encoder's normalised latents of one image (`vae.image` → `vae.normalized_latents`).

Every weight is perturbed off its init and rounded to BF16 *before* the references are computed in
float32, so storing BF16 costs no accuracy. Run from the repository root:
`python3 Tools/reference/flux_pipeline_fixtures.py` (torch 2.15, diffusers 0.42.1,
transformers 5.x; CPU only, about ten seconds).
"""

import json
import os
import shutil

import numpy as np
import torch
from safetensors.torch import save_file

from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, FluxPipeline, FluxTransformer2DModel
from diffusers.pipelines.flux.pipeline_flux import calculate_shift
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer, T5Config, T5EncoderModel, T5TokenizerFast

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIX = os.path.join(ROOT, "plugins", "Flux", "Tests", "Fixtures")
T5_TOKENIZER = os.path.join(ROOT, "Tests", "DiffSynthTests", "Fixtures", "tokenizers", "t5")
CLIP_TOKENIZER = os.path.join(ROOT, "Tests", "Fixtures", "sdxl-tiny", "tokenizer")
DEV = os.path.join(FIX, "flux-dev-tiny")
SCHNELL = os.path.join(FIX, "flux-schnell-tiny")
REF = os.path.join(FIX, "flux-pipeline-reference")

torch.set_num_threads(2)

TRANSFORMER = dict(patch_size=1, in_channels=64, num_layers=2, num_single_layers=2, attention_head_dim=16,
                   num_attention_heads=2, joint_attention_dim=40, pooled_projection_dim=32, axes_dims_rope=(2, 6, 8))
VAE = dict(in_channels=3, out_channels=3, latent_channels=16, block_out_channels=(16, 32), layers_per_block=1,
           down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2, norm_num_groups=8,
           scaling_factor=0.3611, shift_factor=0.1159, use_quant_conv=False, use_post_quant_conv=False, sample_size=32)
T5 = dict(vocab_size=1104, d_model=40, d_kv=8, d_ff=56, num_layers=2, num_heads=5, relative_attention_num_buckets=32,
          relative_attention_max_distance=128, feed_forward_proj="gated-gelu", layer_norm_epsilon=1e-6,
          is_encoder_decoder=False, use_cache=False, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)
# FLUX.1-dev's and FLUX.1-schnell's scheduler_config.json.
SCHEDULER_DEV = dict(num_train_timesteps=1000, shift=3.0, use_dynamic_shifting=True, base_shift=0.5, max_shift=1.15,
                     base_image_seq_len=256, max_image_seq_len=4096)
SCHEDULER_SCHNELL = dict(num_train_timesteps=1000, shift=1.0, use_dynamic_shifting=False, base_shift=0.5, max_shift=1.15,
                         base_image_seq_len=256, max_image_seq_len=4096)

PROMPT = 'A cat holding a sign that says "Hello, FLUX!" — café, naïve, 4K  (tabs\tand  spaces)'
NEGATIVE = "blurry, low quality"


def perturb(model, seed):
    """Moves every parameter off its init (norm scales around 1, zero-initialised ones non-zero)
    and rounds it to BF16, so that neither an init nor storage precision can hide a bug."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g)
            leaf = name.rsplit(".", 1)[-1]
            if p.ndim == 1 and leaf == "weight":
                p.copy_(1 + 0.15 * noise)
            elif p.ndim == 1:
                p.copy_(0.05 * noise)
            else:
                p.add_(noise * (0.5 / p[0].numel() ** 0.5))
            p.copy_(p.bfloat16().float())
    return model.eval()


def pipeline(guidance_embeds, scheduler_config, shared):
    torch.manual_seed(40 + int(guidance_embeds))
    transformer = perturb(FluxTransformer2DModel(guidance_embeds=guidance_embeds, **TRANSFORMER), 50 + int(guidance_embeds))
    pipe = FluxPipeline(scheduler=FlowMatchEulerDiscreteScheduler(**scheduler_config), transformer=transformer, **shared)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def main():
    clip_tokenizer = CLIPTokenizer.from_pretrained(CLIP_TOKENIZER)
    t5_tokenizer = T5TokenizerFast.from_pretrained(T5_TOKENIZER)
    torch.manual_seed(0)
    clip = perturb(CLIPTextModel(CLIPTextConfig(
        vocab_size=len(clip_tokenizer), hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
        max_position_embeddings=77, hidden_act="quick_gelu", layer_norm_eps=1e-5, projection_dim=32,
        bos_token_id=clip_tokenizer.bos_token_id, eos_token_id=clip_tokenizer.eos_token_id,
        pad_token_id=clip_tokenizer.pad_token_id)), 1)
    t5 = perturb(T5EncoderModel(T5Config(**T5)), 2)
    vae = perturb(AutoencoderKL(**VAE), 3)
    shared = dict(vae=vae, text_encoder=clip, tokenizer=clip_tokenizer, text_encoder_2=t5, tokenizer_2=t5_tokenizer)
    dev = pipeline(True, SCHEDULER_DEV, shared)
    schnell = pipeline(False, SCHEDULER_SCHNELL, shared)

    tensors, runs = {}, {}

    def run(name, pipe, prompts, height, width, seed, steps, guidance_scale=3.5, true_cfg_scale=1.0, negative=None,
            max_sequence_length=512):
        kwargs = dict(prompt=prompts, height=height, width=width, num_inference_steps=steps, guidance_scale=guidance_scale,
                      true_cfg_scale=true_cfg_scale, max_sequence_length=max_sequence_length, output_type="latent",
                      generator=torch.Generator("cpu").manual_seed(seed))
        if negative is not None:
            kwargs["negative_prompt"] = negative
        with torch.no_grad():
            packed = pipe(**kwargs).images
            latents = FluxPipeline._unpack_latents(packed, height, width, pipe.vae_scale_factor)
            image = pipe.vae.decode(latents / pipe.vae.config.scaling_factor + pipe.vae.config.shift_factor).sample
            image = (image / 2 + 0.5).clamp(0, 1)
            embeds, pooled, _ = pipe.encode_prompt(prompts, prompt_2=None, max_sequence_length=max_sequence_length)
        rows = prompts if isinstance(prompts, list) else [prompts]
        clip_ids = clip_tokenizer(rows, padding="max_length", max_length=77, truncation=True)["input_ids"]
        t5_ids = t5_tokenizer(rows, padding="max_length", max_length=max_sequence_length, truncation=True)["input_ids"]
        image_tokens = (height // (pipe.vae_scale_factor * 2)) * (width // (pipe.vae_scale_factor * 2))
        tensors.update({f"{name}.latents": latents, f"{name}.image": image, f"{name}.prompt_embeds": embeds,
                        f"{name}.pooled_prompt_embeds": pooled})
        runs[name] = dict(prompts=rows, negative_prompt=negative, height=height, width=width, seed=seed, steps=steps,
                          guidance_scale=guidance_scale, true_cfg_scale=true_cfg_scale,
                          max_sequence_length=max_sequence_length, image_tokens=image_tokens, clip_ids=clip_ids, t5_ids=t5_ids)

    # dev: the embedded guidance only (one pass a step), 4 steps, 32×48 (96 image tokens).
    run("dev.embedded", dev, PROMPT, 32, 48, seed=42, steps=4, guidance_scale=3.5)
    # dev: another embedded scale plus true CFG with a negative prompt (two passes), 3 steps, 48×32.
    run("dev.truecfg", dev, PROMPT, 48, 32, seed=7, steps=3, guidance_scale=2.0, true_cfg_scale=2.5, negative=NEGATIVE)
    # dev: two prompts in one batch, one generator for both rows' noise, a short T5 window.
    run("dev.batch", dev, ["a red fox in snow", PROMPT], 32, 32, seed=3, steps=2, guidance_scale=5.0, max_sequence_length=24)
    # schnell: no guidance embedding, 2 steps, T5 window 256 (schnell's usual).
    run("schnell.plain", schnell, PROMPT, 32, 48, seed=0, steps=2, max_sequence_length=256)

    # The VAE's encoder as FLUX trainers use it (diffusers' train_dreambooth_flux):
    # (latent_dist.mean − shift_factor) · scaling_factor, of a smooth image in [-1, 1].
    g = torch.Generator().manual_seed(5)
    coarse = torch.rand(1, 3, 4, 6, generator=g) * 2 - 1
    image = torch.nn.functional.interpolate(coarse, size=(32, 48), mode="bilinear", align_corners=False)
    image = (image + 0.1 * torch.randn(1, 3, 32, 48, generator=g)).clamp(-1, 1)
    with torch.no_grad():
        mean = vae.encode(image).latent_dist.mean
    tensors["vae.image"] = image
    tensors["vae.normalized_latents"] = (mean - vae.config.shift_factor) * vae.config.scaling_factor

    schedules = {}
    for name, pipe, steps, tokens in (("dev4_96", dev, 4, 96), ("dev3_96", dev, 3, 96), ("dev2_64", dev, 2, 64),
                                      ("schnell2", schnell, 2, 96)):
        c = pipe.scheduler.config
        mu = calculate_shift(tokens, c.base_image_seq_len, c.max_image_seq_len, c.base_shift, c.max_shift)
        pipe.scheduler.set_timesteps(sigmas=np.linspace(1.0, 1 / steps, steps), mu=mu)
        schedules[name] = dict(steps=steps, image_tokens=tokens, sigmas=pipe.scheduler.sigmas.tolist(),
                               timesteps=pipe.scheduler.timesteps.tolist())

    for folder in (DEV, SCHNELL, REF):
        if os.path.exists(folder):
            shutil.rmtree(folder)
    for folder, pipe in ((DEV, dev), (SCHNELL, schnell)):
        pipe.to(torch.bfloat16)
        pipe.save_pretrained(folder, safe_serialization=True)
        for sub, source in (("tokenizer", CLIP_TOKENIZER), ("tokenizer_2", T5_TOKENIZER)):
            shutil.rmtree(os.path.join(folder, sub))  # the published layouts, not transformers 5's re-save
            shutil.copytree(source, os.path.join(folder, sub))
        pipe.to(torch.float32)
    # The Hub's dev folder shards transformer/ and text_encoder_2/ behind an index.
    for sub, module, shard in (("transformer", dev.transformer, "150KB"), ("text_encoder_2", dev.text_encoder_2, "60KB")):
        shutil.rmtree(os.path.join(DEV, sub))
        module.to(torch.bfloat16).save_pretrained(os.path.join(DEV, sub), safe_serialization=True, max_shard_size=shard)
        module.to(torch.float32)
    os.makedirs(REF)
    save_file({k: v.detach().float().contiguous() for k, v in tensors.items()}, os.path.join(REF, "reference.safetensors"))
    with open(os.path.join(REF, "reference.json"), "w") as f:
        json.dump(dict(runs=runs, schedules=schedules), f, indent=1, ensure_ascii=True)

    # The saved BF16 folders reload (as float32) to the identical result.
    reloaded = FluxPipeline.from_pretrained(DEV, torch_dtype=torch.float32, local_files_only=True)
    reloaded.set_progress_bar_config(disable=True)
    with torch.no_grad():
        packed = reloaded(prompt=PROMPT, height=32, width=48, num_inference_steps=4, guidance_scale=3.5, output_type="latent",
                          generator=torch.Generator("cpu").manual_seed(42)).images
    latents = FluxPipeline._unpack_latents(packed, 32, 48, reloaded.vae_scale_factor)
    assert torch.equal(latents, tensors["dev.embedded.latents"]), "the reloaded dev folder differs"
    for name, r in runs.items():
        print(name, "latents", list(tensors[f"{name}.latents"].shape), "image range",
              float(tensors[f"{name}.image"].min()), float(tensors[f"{name}.image"].max()),
              "t5 ids", sum(1 for i in r["t5_ids"][-1] if i != 0))
    print("params: transformer", sum(p.numel() for p in dev.transformer.parameters()), "clip", sum(p.numel() for p in clip.parameters()),
          "t5", sum(p.numel() for p in t5.parameters()), "vae", sum(p.numel() for p in vae.parameters()))


if __name__ == "__main__":
    main()

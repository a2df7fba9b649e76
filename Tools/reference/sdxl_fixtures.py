#!/usr/bin/env python3
"""Builds the tiny SDXL fixtures the Swift `SDXLTests` compare against.

Outputs (relative to the repository root):

* `Tests/Fixtures/sdxl-tiny/`: a diffusers `StableDiffusionXLPipeline` folder (spec section 8.2,
  "config A": 2-level UNet, 2-level VAE, 5-layer CLIP encoders) with EulerDiscrete "leading",
  steps_offset 1 (the SDXL base scheduler config). Weights are stored as the `fp16` variant
  (`*.fp16.safetensors`, F16 tensors) to keep the fixtures small; every reference below is
  computed in float32 from exactly those F16-rounded values, so storing F16 costs no accuracy.
* `Tests/Fixtures/sdxl-turbo-tiny/`: only `model_index.json` and `scheduler/` (EulerAncestral,
  "trailing", the SDXL-Turbo scheduler config). The Swift test assembles a full turbo folder by
  copying `sdxl-tiny/` into a temporary directory and overlaying these two entries (the weights
  are identical, and duplicating them would double the fixture size).
* `Tests/Fixtures/sdxl-tiny-reference/`: reference tensors (`*.safetensors`, F32), token ids
  and schedules (`reference.json`), and `unet-3level/`, a diffusers UNet folder with the full
  SDXL block layout (3 levels, CrossAttn down block with and without downsampler, two upsamplers
  so odd latent sizes take the `upsample_size` path) at a narrow width.

Tokenizers: a small byte-level BPE trained with the `tokenizers` library and written in the
OpenAI CLIP layout the published folders use (`vocab.json` + `merges.txt`; ids 0..255 byte
symbols, 256..511 the same with `</w>`, then merges in rank order, then `<|startoftext|>`,
`<|endoftext|>`). `tokenizer/` pads with `<|endoftext|>`, `tokenizer_2/` with `!` (id 0), as
SDXL ships them. Token ids used by the tests come from transformers' `CLIPTokenizer` loaded from
these folders. The tokenizers library breaks ties between equally frequent merges by hash order,
so the learned merges are re-ranked deterministically (`canonical_order`) and reruns give identical
files.

Run from the repository root: `python3 Tools/reference/sdxl_fixtures.py`
(torch 2.15, diffusers 0.42.1, transformers 5.24, tokenizers 0.23; CPU only, about a minute).
"""

import json
import os
import shutil

import torch
from safetensors.torch import save_file
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers, Regex

from diffusers import (
    AutoencoderKL,
    EulerAncestralDiscreteScheduler,
    EulerDiscreteScheduler,
    StableDiffusionXLPipeline,
    UNet2DConditionModel,
)
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIX = os.path.join(ROOT, "Tests", "Fixtures")
BASE = os.path.join(FIX, "sdxl-tiny")
TURBO = os.path.join(FIX, "sdxl-turbo-tiny")
REF = os.path.join(FIX, "sdxl-tiny-reference")

PROMPT = "a photo of an astronaut riding a horse"
NEGATIVE = "blurry, low quality photo"
PROMPTS = [PROMPT, NEGATIVE, "", "A cat's dog, on the moon!"]

torch.set_num_threads(2)


# ---------------------------------------------------------------------------------------------
# Tokenizers


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


CORPUS = [
    "a photo of an astronaut riding a horse",
    "a photo of a cat sitting on the moon",
    "a dog and a cat in the garden",
    "blurry, low quality photo",
    "an oil painting of a horse in the snow",
    "the astronaut is riding a horse on the moon",
    "a red car parked near the sea at night",
    "portrait photo of an old man, high quality",
] * 4


def canonical_order(tok, merges):
    """The trainer breaks ties between equally frequent pairs by hash order, which changes from
    run to run. Re-rank the learned merges deterministically: replay BPE on the corpus, taking
    the most frequent learned pair each time and the lexicographically smallest among ties."""
    words = {}
    for text in CORPUS:
        for piece, _ in tok.pre_tokenizer.pre_tokenize_str(tok.normalizer.normalize_str(text)):
            symbols = tuple(piece[:-1]) + (piece[-1] + "</w>",)
            words[symbols] = words.get(symbols, 0) + 1
    remaining, order = set(merges), []
    while remaining:
        counts = {}
        for word, count in words.items():
            for pair in zip(word, word[1:]):
                if pair in remaining:
                    counts[pair] = counts.get(pair, 0) + count
        if not counts:
            break
        best = min(counts, key=lambda pair: (-counts[pair], pair))
        order.append(best)
        remaining.discard(best)
        merged = {}
        for word, count in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + count
        words = merged
    return order + sorted(remaining)


def write_tokenizers(folder, pad_token):
    """Trains a tiny CLIP-style BPE and writes it as vocab.json + merges.txt in CLIP id order."""
    tok = Tokenizer(models.BPE(unk_token="<|endoftext|>", end_of_word_suffix="</w>"))
    tok.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""),
                             behavior="removed", invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    trainer = trainers.BpeTrainer(vocab_size=600, min_frequency=2, special_tokens=[], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), end_of_word_suffix="</w>")
    tok.train_from_iterator(CORPUS, trainer)
    merges = json.loads(tok.to_str())["model"]["merges"]
    merges = canonical_order(tok, [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in merges])
    symbols = bytes_to_unicode()
    vocab_list = symbols + [s + "</w>" for s in symbols]
    seen = set(vocab_list)
    kept = []
    for a, b in merges:
        token = a + b
        if token in seen:  # a merge may not recreate an existing token (CLIP's vocab has each once)
            continue
        seen.add(token)
        vocab_list.append(token)
        kept.append((a, b))
    vocab_list += ["<|startoftext|>", "<|endoftext|>"]
    vocab = {t: i for i, t in enumerate(vocab_list)}
    for sub, pad in (("tokenizer", "<|endoftext|>"), ("tokenizer_2", pad_token)):
        d = os.path.join(folder, sub)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "vocab.json"), "w") as f:
            json.dump(vocab, f, ensure_ascii=False)
        with open(os.path.join(d, "merges.txt"), "w") as f:
            f.write("#version: 0.2\n")
            for a, b in kept:
                f.write(f"{a} {b}\n")
        special = {"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>", "pad_token": pad}
        with open(os.path.join(d, "special_tokens_map.json"), "w") as f:
            json.dump(special, f, indent=2)
        config = dict(special, tokenizer_class="CLIPTokenizer", model_max_length=77, do_lower_case=True, errors="replace",
                      clean_up_tokenization_spaces=True, add_prefix_space=False)
        with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
            json.dump(config, f, indent=2)
    return len(vocab_list)


# ---------------------------------------------------------------------------------------------
# Models (spec 8.2, config A), all weights perturbed and rounded to float16


UNET_A = dict(
    sample_size=32, in_channels=4, out_channels=4, layers_per_block=2, block_out_channels=(32, 64),
    down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
    attention_head_dim=(2, 4), transformer_layers_per_block=(1, 2), use_linear_projection=True,
    cross_attention_dim=64, addition_embed_type="text_time", addition_time_embed_dim=8,
    projection_class_embeddings_input_dim=80, norm_num_groups=32, norm_eps=1e-5, flip_sin_to_cos=True, freq_shift=0,
    act_fn="silu",
)

# The full SDXL layout at a narrow width (8 groups, head size 16): 3 levels, a downsampling
# CrossAttn block, a final CrossAttn block without downsampler, distinct depths per level.
UNET_3LEVEL = dict(
    sample_size=16, in_channels=4, out_channels=4, layers_per_block=2, block_out_channels=(16, 32, 32),
    down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
    up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
    attention_head_dim=(1, 2, 2), transformer_layers_per_block=(1, 2, 3), use_linear_projection=True,
    cross_attention_dim=64, addition_embed_type="text_time", addition_time_embed_dim=8,
    projection_class_embeddings_input_dim=80, norm_num_groups=8, norm_eps=1e-5, flip_sin_to_cos=True, freq_shift=0,
    act_fn="silu",
)

VAE_A = dict(
    in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(32, 64),
    down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"), up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
    layers_per_block=2, norm_num_groups=32, sample_size=64, scaling_factor=0.13025, force_upcast=True, act_fn="silu",
)

SCHED_BASE = dict(
    num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", prediction_type="epsilon",
    interpolation_type="linear", timestep_spacing="leading", steps_offset=1, use_karras_sigmas=False,
    clip_sample=False, sample_max_value=1.0, set_alpha_to_one=False, skip_prk_steps=True,
)
SCHED_TURBO = dict(
    num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", prediction_type="epsilon",
    interpolation_type="linear", timestep_spacing="trailing", steps_offset=1, trained_betas=None,
)


def text_config(vocab, act):
    return CLIPTextConfig(vocab_size=vocab, hidden_size=32, intermediate_size=37, num_hidden_layers=5, num_attention_heads=4,
                          max_position_embeddings=77, hidden_act=act, layer_norm_eps=1e-5, projection_dim=32,
                          bos_token_id=0, eos_token_id=2, pad_token_id=1)


def perturb(model, seed):
    """Moves every parameter off its initial value (norm weights around 1, zero-initialised
    tensors non-zero) and rounds to float16, so that a bug hidden by an init never passes."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g)
            leaf = name.rsplit(".", 1)[-1]
            if p.ndim == 1 and leaf == "weight":  # norm scales
                p.copy_(1 + 0.15 * noise)
            elif p.ndim == 1:  # biases
                p.copy_(0.05 * noise)
            else:
                fan_in = p[0].numel()
                p.add_(noise * (0.4 / fan_in ** 0.5))
            p.copy_(p.half().float())
    return model


def build_models(vocab):
    torch.manual_seed(0)
    unet = perturb(UNet2DConditionModel(**UNET_A), 1).eval()
    vae = perturb(AutoencoderKL(**VAE_A), 2).eval()
    te1 = perturb(CLIPTextModel(text_config(vocab, "quick_gelu")), 3).eval()
    te2 = perturb(CLIPTextModelWithProjection(text_config(vocab, "gelu")), 4).eval()
    unet3 = perturb(UNet2DConditionModel(**UNET_3LEVEL), 5).eval()
    return unet, vae, te1, te2, unet3


# ---------------------------------------------------------------------------------------------


def smooth_image(seed, h, w):
    g = torch.Generator().manual_seed(seed)
    coarse = torch.rand(1, 3, h // 8, w // 8, generator=g) * 2 - 1
    img = torch.nn.functional.interpolate(coarse, size=(h, w), mode="bilinear", align_corners=False)
    return (img + 0.1 * torch.randn(1, 3, h, w, generator=g)).clamp(-1, 1)


def main():
    for d in (BASE, TURBO, REF):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    tmp_tok = os.path.join(REF, "_tok")
    vocab = write_tokenizers(tmp_tok, "!")
    unet, vae, te1, te2, unet3 = build_models(vocab)
    tok1 = CLIPTokenizer.from_pretrained(os.path.join(tmp_tok, "tokenizer"))
    tok2 = CLIPTokenizer.from_pretrained(os.path.join(tmp_tok, "tokenizer_2"))

    pipe = StableDiffusionXLPipeline(vae=vae, text_encoder=te1, text_encoder_2=te2, tokenizer=tok1, tokenizer_2=tok2,
                                     unet=unet, scheduler=EulerDiscreteScheduler.from_config(SCHED_BASE),
                                     force_zeros_for_empty_prompt=True, add_watermarker=False)
    pipe.set_progress_bar_config(disable=True)
    tensors = {}
    meta = {"vocab_size": vocab, "prompts": PROMPTS, "tokens": {}, "tokens_2": {}}

    # Tokens and text encoders ---------------------------------------------------------------
    with torch.no_grad():
        for i, p in enumerate(PROMPTS):
            ids1 = tok1(p, padding="max_length", max_length=77, truncation=True, return_tensors="pt").input_ids
            ids2 = tok2(p, padding="max_length", max_length=77, truncation=True, return_tensors="pt").input_ids
            meta["tokens"][p] = ids1[0].tolist()
            meta["tokens_2"][p] = ids2[0].tolist()
            o1 = te1(ids1, output_hidden_states=True)
            o2 = te2(ids2, output_hidden_states=True)
            assert len(o1.hidden_states) == 6
            tensors[f"te1.{i}.penultimate"] = o1.hidden_states[-2]
            tensors[f"te1.{i}.last_hidden_state"] = o1.last_hidden_state
            tensors[f"te1.{i}.pooled"] = o1.pooler_output
            tensors[f"te2.{i}.penultimate"] = o2.hidden_states[-2]
            tensors[f"te2.{i}.text_embeds"] = o2.text_embeds
        pe, npe, pp, npp = pipe.encode_prompt(PROMPT, device="cpu", num_images_per_prompt=1, do_classifier_free_guidance=True,
                                              negative_prompt=NEGATIVE)
        tensors["encode.prompt_embeds"], tensors["encode.pooled_prompt_embeds"] = pe, pp
        tensors["encode.negative_prompt_embeds"], tensors["encode.negative_pooled_prompt_embeds"] = npe, npp
        _, zpe, _, zpp = pipe.encode_prompt(PROMPT, device="cpu", num_images_per_prompt=1, do_classifier_free_guidance=True)
        assert float(zpe.abs().max()) == 0 and float(zpp.abs().max()) == 0

    # UNet ---------------------------------------------------------------------------------------
    g = torch.Generator().manual_seed(10)
    with torch.no_grad():
        cases = {
            "unet.square": (unet, [2, 4, 8, 8], [999.0, 421.5], [[64, 64, 0, 0, 64, 64], [80, 48, 8, 4, 64, 96]]),
            "unet.wide": (unet, [1, 4, 6, 10], [250.0], [[48, 80, 0, 0, 48, 80]]),
            "unet3.odd": (unet3, [1, 4, 10, 6], [981.0], [[80, 48, 0, 0, 80, 48]]),
            "unet3.square": (unet3, [2, 4, 8, 8], [1.0, 667.0], [[64, 64, 0, 0, 64, 64], [1024, 1024, 16, 32, 1024, 768]]),
        }
        for name, (model, shape, ts, ids) in cases.items():
            b = shape[0]
            sample = torch.randn(shape, generator=g)
            context = torch.randn([b, 77, 64], generator=g)
            text = torch.randn([b, 32], generator=g)
            time_ids = torch.tensor(ids, dtype=torch.float32)
            out = model(sample, torch.tensor(ts), encoder_hidden_states=context,
                        added_cond_kwargs={"text_embeds": text, "time_ids": time_ids}).sample
            tensors[f"{name}.sample"], tensors[f"{name}.context"] = sample, context
            tensors[f"{name}.text_embeds"], tensors[f"{name}.time_ids"] = text, time_ids
            tensors[f"{name}.timesteps"], tensors[f"{name}.out"] = torch.tensor(ts), out

    # VAE ------------------------------------------------------------------------------------------
    with torch.no_grad():
        image = smooth_image(20, 64, 48)
        dist = vae.encode(image).latent_dist
        tensors["vae.image"], tensors["vae.mean"], tensors["vae.std"] = image, dist.mean, dist.std
        tensors["vae.sample_seed7"] = dist.sample(generator=torch.Generator().manual_seed(7))
        latents = torch.randn([1, 4, 32, 24], generator=g)
        tensors["vae.latents"], tensors["vae.decoded"] = latents, vae.decode(latents).sample

    # Pipelines ----------------------------------------------------------------------------------
    def run(p, steps, cfg, negative, noise=None, seed=None, h=64, w=64):
        kwargs = dict(prompt=PROMPT, height=h, width=w, num_inference_steps=steps, guidance_scale=cfg, output_type="latent")
        if negative is not None:
            kwargs["negative_prompt"] = negative
        if noise is not None:
            kwargs["latents"] = noise.clone()
            kwargs["generator"] = torch.Generator().manual_seed(12345)  # ancestral step noise (unused at sigma_up = 0)
        if seed is not None:
            kwargs["generator"] = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            lat = p(**kwargs).images
            img = p.vae.decode(lat / p.vae.config.scaling_factor).sample
            img = (img / 2 + 0.5).clamp(0, 1)
        return lat, img

    schedules = {}
    base_noise = torch.randn([1, 4, 32, 32], generator=g)
    tensors["pipe.noise"] = base_noise
    lat, img = run(pipe, 4, 5.0, NEGATIVE, noise=base_noise)
    tensors["base.injected.latents"], tensors["base.injected.image"] = lat, img
    lat, img = run(pipe, 4, 5.0, NEGATIVE, seed=42)
    tensors["base.seed42.latents"], tensors["base.seed42.image"] = lat, img
    lat, img = run(pipe, 3, 5.0, None, seed=42, h=48, w=64)  # no negative prompt: zero negative embeddings
    tensors["base.zeroneg.latents"], tensors["base.zeroneg.image"] = lat, img
    pipe.scheduler.set_timesteps(4)
    schedules["base4"] = dict(sigmas=pipe.scheduler.sigmas.tolist(), timesteps=pipe.scheduler.timesteps.tolist(),
                              init=float(pipe.scheduler.init_noise_sigma))

    turbo = StableDiffusionXLPipeline(vae=vae, text_encoder=te1, text_encoder_2=te2, tokenizer=tok1, tokenizer_2=tok2,
                                      unet=unet, scheduler=EulerAncestralDiscreteScheduler.from_config(SCHED_TURBO),
                                      force_zeros_for_empty_prompt=True, add_watermarker=False)
    turbo.set_progress_bar_config(disable=True)
    lat, img = run(turbo, 1, 1.0, None, noise=base_noise)
    tensors["turbo.injected.latents"], tensors["turbo.injected.image"] = lat, img
    lat, img = run(turbo, 1, 1.0, None, seed=42)
    tensors["turbo.seed42.latents"], tensors["turbo.seed42.image"] = lat, img
    lat, img = run(turbo, 2, 1.0, None, seed=7)  # step 0 adds ancestral noise drawn from the same generator
    tensors["turbo2.seed7.latents"], tensors["turbo2.seed7.image"] = lat, img
    for n in (1, 2, 4):
        turbo.scheduler.set_timesteps(n)
        schedules[f"turbo{n}"] = dict(sigmas=turbo.scheduler.sigmas.tolist(), timesteps=turbo.scheduler.timesteps.tolist(),
                                      init=float(turbo.scheduler.init_noise_sigma))
    pipe.scheduler.set_timesteps(8)
    schedules["base8"] = dict(sigmas=pipe.scheduler.sigmas.tolist(), timesteps=pipe.scheduler.timesteps.tolist(),
                              init=float(pipe.scheduler.init_noise_sigma))
    meta["schedules"] = schedules
    meta["negative_prompt"] = NEGATIVE

    # Save -----------------------------------------------------------------------------------------
    pipe.to(torch.float16)
    pipe.save_pretrained(BASE, variant="fp16", safe_serialization=True)
    for sub in ("tokenizer", "tokenizer_2"):  # keep the published layout (vocab.json + merges.txt), not tokenizer.json
        shutil.rmtree(os.path.join(BASE, sub))
        shutil.copytree(os.path.join(tmp_tok, sub), os.path.join(BASE, sub))
    shutil.rmtree(tmp_tok)
    os.makedirs(os.path.join(TURBO, "scheduler"))
    with open(os.path.join(TURBO, "scheduler", "scheduler_config.json"), "w") as f:
        json.dump(dict(_class_name="EulerAncestralDiscreteScheduler", _diffusers_version="0.24.0.dev0", **SCHED_TURBO), f, indent=2)
    with open(os.path.join(BASE, "model_index.json")) as f:
        index = json.load(f)
    index["scheduler"] = ["diffusers", "EulerAncestralDiscreteScheduler"]
    with open(os.path.join(TURBO, "model_index.json"), "w") as f:
        json.dump(index, f, indent=2)
    unet3.to(torch.float16).save_pretrained(os.path.join(REF, "unet-3level"), safe_serialization=True)

    save_file({k: v.detach().float().contiguous() for k, v in tensors.items()}, os.path.join(REF, "reference.safetensors"))
    with open(os.path.join(REF, "reference.json"), "w") as f:
        json.dump(meta, f, indent=1, ensure_ascii=False)

    # Round trip: the saved fp16 folder reloads (as float32) to the identical result.
    reloaded = StableDiffusionXLPipeline.from_pretrained(BASE, variant="fp16", torch_dtype=torch.float32, local_files_only=True)
    reloaded.set_progress_bar_config(disable=True)
    lat, _ = run(reloaded, 4, 5.0, NEGATIVE, noise=base_noise)
    assert torch.equal(lat, tensors["base.injected.latents"]), "reloaded pipeline differs"
    print("params: unet", sum(p.numel() for p in unet.parameters()), "unet3", sum(p.numel() for p in unet3.parameters()),
          "vae", sum(p.numel() for p in vae.parameters()), "te1", sum(p.numel() for p in te1.parameters()),
          "te2", sum(p.numel() for p in te2.parameters()), "vocab", vocab)


if __name__ == "__main__":
    main()

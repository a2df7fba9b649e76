#!/usr/bin/env python3
"""Builds the tiny Qwen-Image fixtures the Swift adapter tests compare against.

Run from the repository root (needs torch, diffusers, transformers, tokenizers, safetensors;
no network):

    python3 Tools/reference/qwen_image_fixtures.py

Writes
  Tests/Fixtures/qwen-image-tiny/            a complete diffusers folder exactly as
                                             `QwenImagePipeline.save_pretrained` lays it out
                                             (model_index.json, scheduler/, text_encoder/ sharded
                                             with an index, tokenizer/, transformer/ sharded with
                                             an index, vae/ single file), BF16 weights like the
                                             published Qwen/Qwen-Image;
  Tests/Fixtures/qwen-image-tiny-reference/  what diffusers/transformers compute from that folder:
                                             reference.json (prompts, golden token ids, run
                                             settings, schedules) and *.safetensors (F32 tensors).

Every reference is computed by the pipeline *reloaded from the written folder* in float32, so the
Swift side (which loads the same files and widens BF16 to F32) sees bit-identical weights.

The tiny configuration is the one of the architecture spec (section 5). Every parameter is
perturbed (normal noise), then rounded to BF16, so no zero- or one-initialised tensor can hide a
bug (e.g. a modulation chunk order or an ignored norm weight).
"""

import copy
import json
import os
import shutil
import sys

import numpy as np
import torch
from safetensors.torch import save_file

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FOLDER = os.path.join(ROOT, "Tests", "Fixtures", "qwen-image-tiny")
REFERENCE = os.path.join(ROOT, "Tests", "Fixtures", "qwen-image-tiny-reference")

TEMPLATE = (
    "<|im_start|>system\nDescribe the image by detailing the color, shape, size, texture, quantity, text, "
    "spatial relationships of the objects and background:<|im_end|>\n<|im_start|>user\n{}<|im_end|>\n"
    "<|im_start|>assistant\n"
)

# The published scheduler/scheduler_config.json of Qwen/Qwen-Image (spec section 4.1).
SCHEDULER_CONFIG = dict(
    num_train_timesteps=1000, shift=1.0, use_dynamic_shifting=True, base_shift=0.5, max_shift=0.9,
    base_image_seq_len=256, max_image_seq_len=8192, time_shift_type="exponential", shift_terminal=0.02,
    invert_sigmas=False, stochastic_sampling=False, use_karras_sigmas=False, use_exponential_sigmas=False,
    use_beta_sigmas=False,
)

CORPUS_PROMPTS = [
    "A cat holding a sign that says hello world",
    "a red square on a blue background",
    "two dogs playing in the snow, photo",
    "blurry, low quality",
    "a watercolor painting of a lighthouse at dusk",
]

# Prompts whose encodings the tests check (include characters outside the training corpus so the
# byte-level fallback is exercised, and the empty / one-space negative prompts of the examples).
TEST_PROMPTS = [
    "A cat holding a sign that says hello world",
    "a red square",
    "Zebra: 42 stripes!",
    "",
    " ",
    "blurry, low quality",
]


def build_tokenizer(directory, corpus=None, vocab_size=1000):
    """A small Qwen2-format byte-level BPE (spec section 5), saved as transformers saves it, plus
    vocab.json / merges.txt as the published folder has them. Trained on `corpus` (default: the
    template around CORPUS_PROMPTS, and the prompts alone)."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import Qwen2Tokenizer
    from transformers.models.qwen2.tokenization_qwen2 import PRETOKENIZE_REGEX

    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(PRETOKENIZE_REGEX), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"], show_progress=False,
    )
    if corpus is None:
        corpus = [TEMPLATE.format(p) for p in CORPUS_PROMPTS] + CORPUS_PROMPTS
    tok.train_from_iterator(corpus, trainer)
    model = json.loads(tok.to_str())["model"]
    vocab = model["vocab"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    qwen = Qwen2Tokenizer(vocab=vocab, merges=merges, additional_special_tokens=["<|im_start|>", "<|im_end|>"])
    os.makedirs(directory, exist_ok=True)
    qwen.save_pretrained(directory)
    # The published folder ships the slow-tokenizer files too.
    with open(os.path.join(directory, "vocab.json"), "w") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(directory, "merges.txt"), "w") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    return Qwen2Tokenizer.from_pretrained(directory)


def perturb_(module, generator):
    """Adds noise to every parameter (0.2·std for random tensors, 0.05 absolute for constant ones
    such as norm weights and zero biases), then rounds to BF16 so the BF16 files are exact."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            std = p.float().std().item() if p.numel() > 1 else 0.0
            scale = 0.2 * std if std > 1e-6 else 0.05
            p.add_(torch.randn(p.shape, generator=generator) * scale)
            p.copy_(p.to(torch.bfloat16).to(torch.float32))


def build_models(tokenizer, transformer_config=None, vae_config=None, text_config=None, init_seed=0, perturb_seed=1234):
    """The tiny pipeline's models; the `*_config` dicts override single keys of this folder's
    configuration (`qwen_image_b_fixtures.py` builds its second configuration that way)."""
    from diffusers import AutoencoderKLQwenImage, FlowMatchEulerDiscreteScheduler, QwenImageTransformer2DModel
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    torch.manual_seed(init_seed)
    transformer = QwenImageTransformer2DModel(**dict(dict(
        patch_size=2, in_channels=64, out_channels=16, num_layers=2, attention_head_dim=16, num_attention_heads=2,
        joint_attention_dim=32, guidance_embeds=False, axes_dims_rope=(4, 6, 6),
    ), **(transformer_config or {})))
    vae = AutoencoderKLQwenImage(**dict(dict(
        base_dim=8, z_dim=16, dim_mult=[1, 2, 4, 4], num_res_blocks=2, attn_scales=[],
        temperal_downsample=[False, True, True], dropout=0.0,
    ), **(vae_config or {})))
    special = {t: tokenizer.convert_tokens_to_ids(t) for t in ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]}
    config = Qwen2_5_VLConfig(
        text_config=dict(dict(
            hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
            rms_norm_eps=1e-6, rope_theta=1e6, vocab_size=len(tokenizer), max_position_embeddings=4096,
            hidden_act="silu", rope_scaling={"mrope_section": [1, 1, 2], "rope_type": "default", "type": "default"},
            bos_token_id=special["<|endoftext|>"], eos_token_id=special["<|im_end|>"],
            pad_token_id=special["<|endoftext|>"],
        ), **(text_config or {})),
        vision_config=dict(
            depth=1, hidden_size=16, intermediate_size=16, num_heads=2,
            out_hidden_size=(text_config or {}).get("hidden_size", 32), fullatt_block_indexes=[0],
            patch_size=14, spatial_merge_size=2, temporal_patch_size=2,
        ),
        tie_word_embeddings=False,
    )
    text_encoder = Qwen2_5_VLForConditionalGeneration(config)
    scheduler = FlowMatchEulerDiscreteScheduler(**SCHEDULER_CONFIG)
    generator = torch.Generator().manual_seed(perturb_seed)
    for m in (transformer, vae, text_encoder):
        m.float().eval()
        perturb_(m, generator)
    return transformer, vae, text_encoder, scheduler


def save_folder(transformer, vae, text_encoder, tokenizer, scheduler):
    from diffusers import QwenImagePipeline

    if os.path.exists(FOLDER):
        shutil.rmtree(FOLDER)
    # BF16 copies (the published weights are BF16); the F32 originals stay for the save/load check.
    transformer, vae, text_encoder = (copy.deepcopy(m).to(torch.bfloat16) for m in (transformer, vae, text_encoder))
    pipe = QwenImagePipeline(scheduler=scheduler, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer,
                             transformer=transformer)
    pipe.save_pretrained(FOLDER)
    # Re-save the two big components sharded with an index, as the published repository ships them.
    for name, model, size in [("transformer", transformer, "64KB"), ("text_encoder", text_encoder, "64KB")]:
        directory = os.path.join(FOLDER, name)
        for f in os.listdir(directory):
            if f.endswith(".safetensors") or f.endswith(".index.json"):
                os.remove(os.path.join(directory, f))
        model.save_pretrained(directory, max_shard_size=size)
    # The tokenizer folder keeps its slow-tokenizer files (save_pretrained rewrote the folder).
    tokenizer_dir = os.path.join(FOLDER, "tokenizer")
    for f in ("vocab.json", "merges.txt"):
        shutil.copy(os.path.join(REFERENCE + "-tokenizer-tmp", f), os.path.join(tokenizer_dir, f))


def rel(a, b):
    return (a - b).abs().max().item() / max(b.abs().max().item(), 1e-12)


def pack(latents):
    b, c, h, w = latents.shape
    return latents.view(b, c, h // 2, 2, w // 2, 2).permute(0, 2, 4, 1, 3, 5).reshape(b, (h // 2) * (w // 2), c * 4)


def unpack(tokens, h, w):
    b, s, c = tokens.shape
    return tokens.view(b, h // 2, w // 2, c // 4, 2, 2).permute(0, 3, 1, 4, 2, 5).reshape(b, c // 4, h, w)


def main():
    torch.set_grad_enabled(False)
    os.makedirs(REFERENCE, exist_ok=True)
    tmp_tokenizer = REFERENCE + "-tokenizer-tmp"
    tokenizer = build_tokenizer(tmp_tokenizer)
    transformer, vae, text_encoder, scheduler = build_models(tokenizer)
    save_folder(transformer, vae, text_encoder, tokenizer, scheduler)
    shutil.rmtree(tmp_tokenizer)

    from diffusers import QwenImagePipeline

    pipe = QwenImagePipeline.from_pretrained(FOLDER, torch_dtype=torch.float32, local_files_only=True)
    for name in ("transformer", "vae", "text_encoder"):
        for (k, a), (_, b) in zip(getattr(pipe, name).state_dict().items(), {"transformer": transformer, "vae": vae,
                                                                              "text_encoder": text_encoder}[name].state_dict().items()):
            assert torch.equal(a, b), f"{name}.{k} changed through save/load"
    reference = {"template": TEMPLATE, "drop_index": 34}
    tensors = {}

    # ---- tokenizer golden ids --------------------------------------------------------------------
    tok = pipe.tokenizer
    reference["tokenizer"] = {
        "length": len(tok),
        "pad_id": tok.pad_token_id,
        "template_prefix_ids": tok(TEMPLATE.split("{}")[0]).input_ids,
        "prompts": [{"text": p, "templated_ids": tok(TEMPLATE.format(p)).input_ids} for p in TEST_PROMPTS],
    }
    assert len(reference["tokenizer"]["template_prefix_ids"]) == 34, reference["tokenizer"]["template_prefix_ids"]

    # ---- text encoder: right-padded batch of templated prompts, last hidden state (post norm) ------
    texts = [TEMPLATE.format(p) for p in TEST_PROMPTS]
    batch = tok(texts, max_length=1024 + 34, padding=True, truncation=True, return_tensors="pt")
    out = pipe.text_encoder(input_ids=batch.input_ids, attention_mask=batch.attention_mask, output_hidden_states=True)
    tensors["text.batch.hidden_states"] = out.hidden_states[-1]
    tensors["text.batch.attention_mask"] = batch.attention_mask.float()
    reference["text_encoder"] = {"batch_input_ids": batch.input_ids.tolist()}
    for i, p in enumerate(TEST_PROMPTS):
        embeds, mask = pipe.encode_prompt(prompt=p, max_sequence_length=512)
        assert mask is None
        tensors[f"text.prompt{i}.prompt_embeds"] = embeds
    # The pipeline's batch path: a padded batch re-padded after dropping the template.
    embeds, mask = pipe.encode_prompt(prompt=TEST_PROMPTS[:3], max_sequence_length=512)
    tensors["text.batch3.prompt_embeds"] = embeds
    tensors["text.batch3.prompt_embeds_mask"] = mask.float()
    # Truncation to max_sequence_length.
    embeds, _ = pipe.encode_prompt(prompt=TEST_PROMPTS[0], max_sequence_length=5)
    tensors["text.prompt0.max5.prompt_embeds"] = embeds

    # ---- transformer: fixed inputs at three token grids ---------------------------------------------
    g = torch.Generator().manual_seed(7)
    cases = [
        # (name, batch, latent h, latent w, text lengths (per row valid), timesteps)
        ("square", 1, 8, 8, [9], [0.7]),
        ("wide", 1, 8, 12, [14], [0.35]),
        ("odd_masked", 2, 6, 10, [11, 8], [0.7, 0.25]),
    ]
    reference["transformer"] = []
    for name, b, h, w, lengths, sigmas in cases:
        s_txt = max(lengths)
        hidden = torch.randn(b, (h // 2) * (w // 2), 64, generator=g)
        text = torch.randn(b, s_txt, 32, generator=g)
        mask = torch.zeros(b, s_txt)
        for r, n in enumerate(lengths):
            mask[r, :n] = 1
            text[r, n:] = 0
        timestep = torch.tensor(sigmas, dtype=torch.float32)
        output = pipe.transformer(hidden_states=hidden, encoder_hidden_states=text,
                                  encoder_hidden_states_mask=mask if min(lengths) < s_txt else None,
                                  timestep=timestep, img_shapes=[[(1, h // 2, w // 2)]] * b, return_dict=False)[0]
        for key, value in [("hidden_states", hidden), ("encoder_hidden_states", text), ("encoder_hidden_states_mask", mask),
                           ("timestep", timestep), ("output", output)]:
            tensors[f"transformer.{name}.{key}"] = value
        reference["transformer"].append({"name": name, "batch": b, "latent_height": h, "latent_width": w,
                                         "text_lengths": lengths, "timesteps": sigmas})

    # ---- VAE: encode (posterior mean) and decode one frame ------------------------------------------
    latents_mean = torch.tensor(pipe.vae.config.latents_mean).view(1, 16, 1, 1, 1)
    latents_std = 1.0 / torch.tensor(pipe.vae.config.latents_std).view(1, 16, 1, 1, 1)
    reference["vae"] = []
    for name, height, width in [("wide", 64, 96), ("small", 48, 80)]:
        # A smooth image in [-1, 1] (so the encoder sees realistic low-frequency content).
        yy, xx = torch.meshgrid(torch.linspace(0, 1, height), torch.linspace(0, 1, width), indexing="ij")
        image = torch.stack([torch.sin(6 * xx + 2 * yy), torch.cos(5 * yy - 3 * xx), torch.sin(4 * xx * yy + 1)])
        image = (image + 0.1 * torch.randn(3, height, width, generator=g)).clamp(-1, 1)[None, :, None]
        posterior = pipe.vae.encode(image).latent_dist
        mean = posterior.mean
        normalized = (mean - latents_mean) * latents_std
        z = torch.randn(1, 16, 1, height // 8, width // 8, generator=g)
        decoded = pipe.vae.decode(z / latents_std + latents_mean, return_dict=False)[0]
        # The first-frame cache path must equal an uncached single-frame pass (checked here so the
        # Swift comment claiming it stays true).
        pipe.vae.clear_cache()
        uncached = pipe.vae.decoder(pipe.vae.post_quant_conv(z / latents_std + latents_mean)).clamp(-1, 1)
        assert rel(uncached, decoded) < 1e-6, rel(uncached, decoded)
        tensors[f"vae.{name}.image"] = image[:, :, 0]
        tensors[f"vae.{name}.posterior_mean"] = mean[:, :, 0]
        tensors[f"vae.{name}.posterior_logvar"] = posterior.logvar[:, :, 0]
        tensors[f"vae.{name}.normalized_latents"] = normalized[:, :, 0]
        tensors[f"vae.{name}.decode_latents"] = z[:, :, 0]
        tensors[f"vae.{name}.decoded"] = decoded[:, :, 0]
        reference["vae"].append({"name": name, "height": height, "width": width})

    # ---- full pipeline runs -------------------------------------------------------------------------
    runs = [
        dict(name="student", prompt=TEST_PROMPTS[0], negative_prompt=None, steps=4, cfg=1.0, height=64, width=96,
             noise_seed=11),
        dict(name="teacher", prompt=TEST_PROMPTS[1], negative_prompt=TEST_PROMPTS[5], steps=8, cfg=4.0,
             height=64, width=96, noise_seed=12),
        dict(name="seeded", prompt=TEST_PROMPTS[2], negative_prompt=None, steps=4, cfg=1.0, height=48, width=80,
             generator_seed=42),
    ]
    reference["pipeline"] = []
    for run in runs:
        h, w = run["height"] // 8, run["width"] // 8
        kwargs = dict(prompt=run["prompt"], negative_prompt=run["negative_prompt"], true_cfg_scale=run["cfg"],
                      height=run["height"], width=run["width"], num_inference_steps=run["steps"])
        if "noise_seed" in run:
            noise = torch.randn(1, 16, h, w, generator=torch.Generator().manual_seed(run["noise_seed"]))
            tensors[f"pipeline.{run['name']}.noise"] = noise
            make = lambda: dict(latents=pack(noise))
        else:
            seed = run["generator_seed"]
            make = lambda: dict(generator=torch.Generator("cpu").manual_seed(seed))
            # The noise diffusers draws: shape (1, 1, 16, h, w), the same order as (1, 16, h, w).
            tensors[f"pipeline.{run['name']}.noise"] = torch.randn(
                1, 1, 16, h, w, generator=torch.Generator("cpu").manual_seed(seed))[:, 0]
        latents = pipe(**kwargs, **make(), output_type="latent").images
        image = pipe(**kwargs, **make(), output_type="pt").images
        tensors[f"pipeline.{run['name']}.latents"] = unpack(latents, h, w)
        tensors[f"pipeline.{run['name']}.image"] = image
        entry = dict(run)
        entry["sigmas"] = pipe.scheduler.sigmas.tolist()
        entry["timesteps"] = pipe.scheduler.timesteps.tolist()
        reference["pipeline"].append(entry)

    save_file({k: v.detach().float().contiguous() for k, v in tensors.items()},
              os.path.join(REFERENCE, "reference.safetensors"))
    with open(os.path.join(REFERENCE, "reference.json"), "w") as f:
        json.dump(reference, f, indent=1, ensure_ascii=False)
    total = 0
    for base in (FOLDER, REFERENCE):
        for dirpath, _, files in os.walk(base):
            total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
    print(f"wrote {FOLDER} and {REFERENCE}: {total / 1e6:.2f} MB")


if __name__ == "__main__":
    sys.exit(main())

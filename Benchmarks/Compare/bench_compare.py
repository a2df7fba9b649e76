#!/usr/bin/env python3
"""`make bench-compare`: our engine against PyTorch on the same CPU, same model, weights, inputs
and thread count, case by case (issue 10's table).

For each case the script
1. builds the model folder with diffusers (seeded random weights, F32 safetensors) under
   `out/bench-compare/` (once; reused while the configuration is unchanged);
2. runs our side as a user would, through the release `diffsynth` binary (`train` for a Direct
   Distillation step, `generate` for sampling), and PyTorch's side in a fresh process of this
   script (`--worker`), with 2 threads each, alternating the two ROUNDS times;
3. checks both give the same result before any time counts: the first step's loss within 1e-3
   relative (DD), or the first image within 1 grey level (sampling);
4. prints the table: median seconds per step (or image) after the warm-up, peak RSS of each
   process (`wait4`'s ru_maxrss), and both ratios (ours / PyTorch).

The DD step on PyTorch is DiffSynth-Studio's recipe written out: the pipeline's own noise
(`prepare_latents`, `torch.Generator('cpu')`), the scheduler's own schedule and `step` (the
resolution's shift, as our `--student_shift inference`), the student's whole loop with
gradients, `F.mse_loss` against the teacher latents, backward, `torch.optim.AdamW` (lr 1e-4,
weight decay 0.01), optionally peft LoRA (rank 16 = alpha, DiffSynth's default targets) and
diffusers' gradient checkpointing. The text encoding is computed once, outside the timed step,
as our trainer caches it.

Run from the repository root (torch, diffusers, transformers and peft installed; never in CI):
    make bench-compare            # all cases
    python3 Benchmarks/Compare/bench_compare.py --cases qwen-256-full,sdxl-dd --rounds 3
"""
import argparse
import csv
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "Tools", "reference"))
WORK = os.path.join(ROOT, "out", "bench-compare")
BINARY = os.path.join(ROOT, ".build", "release", "diffsynth")
THREADS = 2
SEED = 42
LOSS_TOLERANCE = 1e-3
QWEN_TARGETS = ["to_q", "to_k", "to_v", "add_q_proj", "add_k_proj", "add_v_proj", "to_out.0",
                "to_add_out", "img_mlp.net.2", "img_mod.1", "txt_mlp.net.2", "txt_mod.1"]
PROMPT_WORDS = "a red circle above a blue square on a grey background with a small green triangle".split()


# ----------------------------------------------------------------------------------------------
# Cases
# ----------------------------------------------------------------------------------------------

class Case:
    def __init__(self, name, family, kind, model, side, steps=4, lora=False, checkpointing=False, warmup=2, timed=5,
                 cfg=1.0, ours_flags=()):
        self.name, self.family, self.kind, self.model, self.side = name, family, kind, model, side
        self.steps, self.lora, self.checkpointing, self.warmup, self.timed, self.cfg = steps, lora, checkpointing, warmup, timed, cfg
        # Flags only our side takes (e.g. 16-bit frozen weights: exact here, the folders' weights are BF16 values).
        self.ours_flags = list(ours_flags)

    def describe(self):
        if self.kind == "dd":
            what = f"DD step, {self.steps} student steps, " + ("LoRA r16" if self.lora else "full FT")
            what += ", checkpointing" if self.checkpointing else ""
            return what + (", ours with 16-bit frozen weights" if "bf16" in self.ours_flags else "")
        return f"sampling {self.steps} steps, CFG {self.cfg:g}, encode + decode"


# Model configurations: (folder name, builder arguments).
MODELS = {
    "qwen-4x4x64": dict(family="qwen-image", layers=4, heads=4, head_dim=64),
    "qwen-8x8x64": dict(family="qwen-image", layers=8, heads=8, head_dim=64),
    "sdxl-small": dict(family="sdxl"),
}

CASES = [
    Case("qwen-256-full", "qwen-image", "dd", "qwen-4x4x64", 256),
    Case("qwen-256-full-ckpt", "qwen-image", "dd", "qwen-4x4x64", 256, checkpointing=True),
    Case("qwen-256-lora", "qwen-image", "dd", "qwen-4x4x64", 256, lora=True),
    Case("qwen-256-lora-ckpt", "qwen-image", "dd", "qwen-4x4x64", 256, lora=True, checkpointing=True),
    Case("qwen-1024-full", "qwen-image", "dd", "qwen-4x4x64", 512, timed=3),
    Case("qwen-77m-full", "qwen-image", "dd", "qwen-8x8x64", 256, timed=3),
    Case("qwen-77m-lora-bf16", "qwen-image", "dd", "qwen-8x8x64", 256, lora=True, timed=3,
         ours_flags=["--frozen_weights_dtype", "bf16"]),
    Case("sdxl-dd", "sdxl", "dd", "sdxl-small", 256, steps=2),
    Case("qwen-sample", "qwen-image", "sample", "qwen-4x4x64", 256, steps=50, cfg=4.0, warmup=1, timed=2),
    Case("sdxl-sample", "sdxl", "sample", "sdxl-small", 256, steps=50, cfg=4.0, warmup=1, timed=2),
]


def prompt_of_tokens(pipe, count):
    """A prompt whose Qwen-Image text embedding has `count` tokens (after the template is dropped)."""
    import torch
    words = []
    for i in range(200):
        words.append(PROMPT_WORDS[i % len(PROMPT_WORDS)])
        with torch.no_grad():
            embeds, _ = pipe.encode_prompt(prompt=" ".join(words), device="cpu")
        if embeds.shape[1] >= count:
            return " ".join(words), embeds.shape[1]
    raise RuntimeError("no prompt reaches %d tokens" % count)


# ----------------------------------------------------------------------------------------------
# Model folders
# ----------------------------------------------------------------------------------------------

def build_qwen(folder, layers, heads, head_dim):
    import torch
    from diffusers import QwenImagePipeline
    from transformers import Qwen2Tokenizer
    from qwen_image_fixtures import build_models
    tokenizer = Qwen2Tokenizer.from_pretrained(os.path.join(ROOT, "Tests", "Fixtures", "qwen-image-tiny", "tokenizer"))
    width = 64
    transformer, vae, text_encoder, scheduler = build_models(
        tokenizer,
        transformer_config=dict(num_layers=layers, attention_head_dim=head_dim, num_attention_heads=heads,
                                joint_attention_dim=width, axes_dims_rope=(8, 28, 28)),
        text_config=dict(hidden_size=width, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                         rope_scaling={"mrope_section": [2, 3, 3], "rope_type": "default", "type": "default"}),
        init_seed=3, perturb_seed=99)
    pipe = QwenImagePipeline(scheduler=scheduler, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer,
                             transformer=transformer)
    pipe.save_pretrained(folder)
    shutil.rmtree(os.path.join(folder, "tokenizer"))
    shutil.copytree(os.path.join(ROOT, "Tests", "Fixtures", "qwen-image-tiny", "tokenizer"), os.path.join(folder, "tokenizer"))
    return sum(p.numel() for p in transformer.parameters())


def build_sdxl(folder):
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer
    from sdxl_fixtures import SCHED_BASE, perturb, write_tokenizers
    tokens = folder + "-tokenizers"
    vocab = write_tokenizers(tokens, "!")

    def text(act):
        return CLIPTextConfig(vocab_size=vocab, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                              max_position_embeddings=77, hidden_act=act, layer_norm_eps=1e-5, projection_dim=64,
                              bos_token_id=0, eos_token_id=2, pad_token_id=1)
    torch.manual_seed(5)
    # Two levels of SDXL's blocks: a plain down/up pair and a cross-attention pair with two
    # transformer layers, 4 heads of 32, SDXL's text-time conditioning.
    unet = perturb(UNet2DConditionModel(
        sample_size=32, in_channels=4, out_channels=4, layers_per_block=2, block_out_channels=(64, 128),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4), transformer_layers_per_block=(1, 2), use_linear_projection=True,
        cross_attention_dim=128, addition_embed_type="text_time", addition_time_embed_dim=16,
        projection_class_embeddings_input_dim=64 + 6 * 16, norm_num_groups=32, norm_eps=1e-5, flip_sin_to_cos=True,
        freq_shift=0, act_fn="silu"), 21).eval()
    vae = perturb(AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(16, 16, 32, 32),
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
        layers_per_block=1, norm_num_groups=8, sample_size=256, scaling_factor=0.13025, force_upcast=True, act_fn="silu"), 22).eval()
    te1 = perturb(CLIPTextModel(text("quick_gelu")), 23).eval()
    te2 = perturb(CLIPTextModelWithProjection(text("gelu")), 24).eval()
    pipe = StableDiffusionXLPipeline(
        vae=vae, text_encoder=te1, text_encoder_2=te2,
        tokenizer=CLIPTokenizer.from_pretrained(os.path.join(tokens, "tokenizer")),
        tokenizer_2=CLIPTokenizer.from_pretrained(os.path.join(tokens, "tokenizer_2")),
        unet=unet, scheduler=EulerDiscreteScheduler.from_config(SCHED_BASE), force_zeros_for_empty_prompt=True,
        add_watermarker=False)
    pipe.save_pretrained(folder, safe_serialization=True)
    for sub in ("tokenizer", "tokenizer_2"):
        shutil.rmtree(os.path.join(folder, sub))
        shutil.copytree(os.path.join(tokens, sub), os.path.join(folder, sub))
    shutil.rmtree(tokens)
    return sum(p.numel() for p in unet.parameters())


def model_folder(name):
    """The case's diffusers folder, built on first use (a stamp records the configuration)."""
    folder = os.path.join(WORK, "models", name)
    stamp = os.path.join(folder, "bench-config.json")
    config = MODELS[name]
    if os.path.exists(stamp) and json.load(open(stamp)).get("config") == config:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(os.path.dirname(folder), exist_ok=True)
    print(f"building {name} with diffusers ...", file=sys.stderr)
    if config["family"] == "qwen-image":
        parameters = build_qwen(folder, config["layers"], config["heads"], config["head_dim"])
    else:
        parameters = build_sdxl(folder)
    json.dump(dict(config=config, denoiser_parameters=parameters), open(stamp, "w"))
    return folder


def denoiser_parameters(name):
    return json.load(open(os.path.join(WORK, "models", name, "bench-config.json")))["denoiser_parameters"]


def load_pipe(case, folder):
    import torch
    if case.family == "qwen-image":
        from diffusers import QwenImagePipeline
        return QwenImagePipeline.from_pretrained(folder, torch_dtype=torch.float32)
    from diffusers import StableDiffusionXLPipeline
    return StableDiffusionXLPipeline.from_pretrained(folder, torch_dtype=torch.float32)


def case_prompt(case, folder):
    """The prompt: 32 text tokens for Qwen-Image (the issue's configuration), a short one for SDXL."""
    path = os.path.join(WORK, "models", case.model, "prompt.json")
    if os.path.exists(path):
        return json.load(open(path))["prompt"]
    if case.family == "qwen-image":
        import torch
        torch.set_num_threads(THREADS)
        prompt, tokens = prompt_of_tokens(load_pipe(case, folder), 32)
    else:
        prompt, tokens = " ".join(PROMPT_WORDS[:8]), None
    json.dump(dict(prompt=prompt, tokens=tokens), open(path, "w"))
    return prompt


# ----------------------------------------------------------------------------------------------
# The dataset our trainer reads: one row, its teacher latents (a seeded random tensor)
# ----------------------------------------------------------------------------------------------

def write_dataset(case, folder, prompt):
    import torch
    from PIL import Image
    from safetensors.torch import save_file
    data = os.path.join(WORK, "data", case.name)
    shutil.rmtree(data, ignore_errors=True)
    os.makedirs(os.path.join(data, "latents"))
    side = case.side
    channels = 16 if case.family == "qwen-image" else 4
    target = torch.randn((1, channels, side // 8, side // 8), generator=torch.Generator().manual_seed(SEED + 1))
    save_file({"latents": target.contiguous()}, os.path.join(data, "latents", "000000.safetensors"),
              metadata={"family": case.family})
    Image.new("RGB", (side, side), (128, 128, 128)).save(os.path.join(data, "000000.png"))
    with open(os.path.join(data, "metadata.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["image", "prompt", "seed", "rand_device", "num_inference_steps", "cfg_scale", "latents"])
        w.writerow(["000000.png", prompt, SEED, "cpu", case.steps, 1, "latents/000000.safetensors"])
    return data


# ----------------------------------------------------------------------------------------------
# Running one side
# ----------------------------------------------------------------------------------------------

# Linux carries a process's peak RSS across exec, so a child forked from this (large) process would
# report at least this process's peak: a small launcher forks the command and reports its
# wait4 peak alone.
LAUNCHER = """import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
open(sys.argv[1], "w").write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_process(command, env=None):
    """Runs `command`; returns (stdout lines with arrival times, peak RSS in MB, wall seconds)."""
    rss_file = os.path.join(WORK, "rss.txt")
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", LAUNCHER, rss_file] + command, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env, bufsize=1)
    lines = []
    for line in process.stdout:
        lines.append((time.perf_counter(), line.rstrip("\n")))
    stderr = process.stderr.read()
    if process.wait() != 0:
        raise RuntimeError(f"{command[0]} failed ({process.returncode}):\n" + stderr[-3000:])
    return lines, int(open(rss_file).read()) / 1024, time.perf_counter() - start


def ours(case, folder, prompt, scratch):
    env = dict(os.environ)
    env.setdefault("DIFFSYNTH_NUM_THREADS", str(THREADS))
    if case.kind == "dd":
        data = write_dataset(case, folder, prompt)
        out = os.path.join(scratch, "train")
        shutil.rmtree(out, ignore_errors=True)
        command = [BINARY, "train", "--model", folder, "--dataset_base_path", data,
                   "--dataset_metadata_path", os.path.join(data, "metadata.csv"), "--data_file_keys", "image",
                   "--extra_inputs", "seed,rand_device,num_inference_steps,cfg_scale", "--height", str(case.side),
                   "--width", str(case.side), "--dataset_repeat", str(case.warmup + case.timed),
                   "--task", "direct_distill", "--distill_target", "latents", "--learning_rate", "1e-4",
                   "--output_path", out, "--save_steps", "1000000"]
        command += (["--lora_base_model", "dit", "--lora_target_modules", "", "--lora_rank", "16"] if case.lora
                    else ["--trainable_models", "dit"])
        if case.checkpointing:
            command.append("--use_gradient_checkpointing")
        command += case.ours_flags
        _, rss, _ = run_process(command, env)
        rows = list(csv.DictReader(open(os.path.join(out, "loss.csv"))))
        seconds = [float(r["value"]) for r in rows if r["key"] == "seconds"]
        losses = [float(r["value"]) for r in rows if r["key"] == "loss"]
        return dict(times=seconds[case.warmup:], rss=rss, loss=losses[0])
    image = os.path.join(scratch, "ours.png")
    count = case.warmup + case.timed
    command = ["stdbuf", "-oL", BINARY, "generate", "--model", folder, "--height", str(case.side), "--width", str(case.side),
               "--num_inference_steps", str(case.steps), "--cfg_scale", str(case.cfg), "--seed", str(SEED),
               "--output", image] + ["--prompt", prompt] * count
    if case.family == "qwen-image":
        command += ["--negative_prompt", ""]  # diffusers guides Qwen-Image only with a negative prompt
    lines, rss, _ = run_process(command, env)
    stamps = [t for t, line in lines if line.endswith(".png")]
    times = [b - a for a, b in zip(stamps, stamps[1:])][case.warmup - 1:]
    return dict(times=times, rss=rss, image=os.path.join(scratch, "ours-0.png"))


def pytorch(case, folder, prompt, scratch):
    result = os.path.join(scratch, "torch.json")
    command = [sys.executable, os.path.abspath(__file__), "--worker", case.name, "--folder", folder, "--prompt", prompt,
               "--result", result]
    _, rss, _ = run_process(command)
    value = json.load(open(result))
    value["rss"] = rss
    return value


# ----------------------------------------------------------------------------------------------
# PyTorch's side (a fresh process per run)
# ----------------------------------------------------------------------------------------------

def torch_worker(case, folder, prompt, result):
    import torch
    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    pipe = load_pipe(case, folder)
    pipe.set_progress_bar_config(disable=True)
    if case.kind == "sample":
        times = []
        for i in range(case.warmup + case.timed):
            start = time.perf_counter()
            generator = torch.Generator().manual_seed(SEED + i)
            with torch.no_grad():
                if case.family == "qwen-image":
                    image = pipe(prompt=prompt, negative_prompt="", true_cfg_scale=case.cfg, height=case.side, width=case.side,
                                 num_inference_steps=case.steps, generator=generator).images[0]
                else:
                    image = pipe(prompt=prompt, guidance_scale=case.cfg, height=case.side, width=case.side,
                                 num_inference_steps=case.steps, generator=generator).images[0]
            times.append(time.perf_counter() - start)
            if i == 0:
                path = os.path.join(os.path.dirname(result), "torch.png")
                image.save(path)
        json.dump(dict(times=times[case.warmup:], image=path), open(result, "w"))
        return

    import torch.nn.functional as F
    from safetensors.torch import load_file
    target = load_file(os.path.join(WORK, "data", case.name, "latents", "000000.safetensors"))["latents"]
    if case.family == "qwen-image":
        model, step_fn = qwen_student(pipe, case, prompt)
    else:
        model, step_fn = sdxl_student(pipe, case, prompt)
    if case.lora:
        from peft import LoraConfig
        model.requires_grad_(False)
        model.add_adapter(LoraConfig(r=16, lora_alpha=16, target_modules=QWEN_TARGETS, init_lora_weights=True))
    if case.checkpointing:
        model.enable_gradient_checkpointing()
    model.train()
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=1e-4, weight_decay=0.01)
    times, losses = [], []
    for _ in range(case.warmup + case.timed):
        start = time.perf_counter()
        latents = step_fn()
        loss = F.mse_loss(latents.float(), target.float())
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - start)
        losses.append(loss.item())
    json.dump(dict(times=times[case.warmup:], loss=losses[0]), open(result, "w"))


def qwen_student(pipe, case, prompt):
    """The student's loop as QwenImagePipeline.__call__ runs it at CFG 1, with gradients."""
    import numpy as np
    import torch
    from diffusers.pipelines.qwenimage.pipeline_qwenimage import calculate_shift, retrieve_timesteps
    with torch.no_grad():
        embeds, mask = pipe.encode_prompt(prompt=prompt, device="cpu")
    side, transformer, scheduler = case.side, pipe.transformer, pipe.scheduler
    img_shapes = [[(1, side // 16, side // 16)]]

    def run():
        latents = pipe.prepare_latents(1, 16, side, side, torch.float32, "cpu", torch.Generator().manual_seed(SEED))
        sigmas = np.linspace(1.0, 1 / case.steps, case.steps)
        mu = calculate_shift(latents.shape[1], scheduler.config.base_image_seq_len, scheduler.config.max_image_seq_len,
                             scheduler.config.base_shift, scheduler.config.max_shift)
        timesteps, _ = retrieve_timesteps(scheduler, case.steps, "cpu", sigmas=sigmas, mu=mu)
        for t in timesteps:
            timestep = t.expand(1).to(latents.dtype)
            noise_pred = transformer(hidden_states=latents, timestep=timestep / 1000, guidance=None,
                                     encoder_hidden_states_mask=mask, encoder_hidden_states=embeds, img_shapes=img_shapes,
                                     return_dict=False)[0]
            latents = scheduler.step(noise_pred, t, latents, return_dict=False)[0]
        return pipe._unpack_latents(latents, side, side, pipe.vae_scale_factor)[:, :, 0]
    return transformer, run


def sdxl_student(pipe, case, prompt):
    """The student's loop as StableDiffusionXLPipeline.__call__ runs it without CFG, with gradients."""
    import torch
    with torch.no_grad():
        embeds, _, pooled, _ = pipe.encode_prompt(prompt=prompt, device="cpu", num_images_per_prompt=1,
                                                  do_classifier_free_guidance=False)
    side, unet, scheduler = case.side, pipe.unet, pipe.scheduler
    time_ids = pipe._get_add_time_ids((side, side), (0, 0), (side, side), dtype=embeds.dtype,
                                      text_encoder_projection_dim=pipe.text_encoder_2.config.projection_dim)
    conditions = {"text_embeds": pooled, "time_ids": time_ids}

    def run():
        scheduler.set_timesteps(case.steps, device="cpu")
        latents = pipe.prepare_latents(1, 4, side, side, torch.float32, "cpu", torch.Generator().manual_seed(SEED))
        for t in scheduler.timesteps:
            model_input = scheduler.scale_model_input(latents, t)
            noise_pred = unet(model_input, t, encoder_hidden_states=embeds, added_cond_kwargs=conditions, return_dict=False)[0]
            latents = scheduler.step(noise_pred, t, latents, return_dict=False)[0]
        return latents
    return unet, run


# ----------------------------------------------------------------------------------------------
# Comparing and reporting
# ----------------------------------------------------------------------------------------------

def image_difference(a, b):
    import numpy as np
    from PIL import Image
    x = np.asarray(Image.open(a).convert("RGB"), dtype=np.int16)
    y = np.asarray(Image.open(b).convert("RGB"), dtype=np.int16)
    return int(np.abs(x - y).max())


def run_case(case, rounds):
    folder = model_folder(case.model)
    prompt = case_prompt(case, folder)
    scratch = os.path.join(WORK, "runs", case.name)
    os.makedirs(scratch, exist_ok=True)
    results = {"ours": [], "torch": []}
    for r in range(rounds):
        # Alternate which side goes first, so slow drift of the machine does not favour one.
        order = [("ours", ours), ("torch", pytorch)] if r % 2 == 0 else [("torch", pytorch), ("ours", ours)]
        for side, run in order:
            results[side].append(run(case, folder, prompt, scratch))
            print(f"  {case.name} round {r + 1} {side}: " + ", ".join(f"{t:.3f}" for t in results[side][-1]["times"]) + " s",
                  file=sys.stderr)
    a, b = results["ours"][0], results["torch"][0]
    if case.kind == "dd":
        relative = abs(a["loss"] - b["loss"]) / max(abs(b["loss"]), 1e-12)
        same = f"loss {a['loss']:.6g} vs {b['loss']:.6g} (rel {relative:.1e})"
        ok = relative <= LOSS_TOLERANCE
    else:
        levels = image_difference(a["image"], b["image"])
        same = f"image max diff {levels} level(s)"
        ok = levels <= 1
    ours_time = statistics.median(t for r in results["ours"] for t in r["times"])
    torch_time = statistics.median(t for r in results["torch"] for t in r["times"])
    ours_rss = max(r["rss"] for r in results["ours"])
    torch_rss = max(r["rss"] for r in results["torch"])
    return dict(case=case, ok=ok, same=same, ours=ours_time, torch=torch_time, ours_rss=ours_rss, torch_rss=torch_rss)


def report(rows):
    lines = ["| case | what | PyTorch s | ours s | time ratio | PyTorch RSS MB | ours RSS MB | RSS ratio | same result |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        c = row["case"]
        params = denoiser_parameters(c.model) / 1e6
        what = f"{c.describe()}, {c.side}² px ({(c.side // 16) ** 2} image tokens), {params:.1f} M-param denoiser"
        if c.family == "sdxl":
            what = f"{c.describe()}, {c.side}² px ({c.side // 8}² latents), {params:.1f} M-param UNet"
        lines.append(f"| {c.name} | {what} | {row['torch']:.3f} | {row['ours']:.3f} | {row['ours'] / row['torch']:.2f} | "
                     f"{row['torch_rss']:.0f} | {row['ours_rss']:.0f} | {row['ours_rss'] / row['torch_rss']:.2f} | "
                     f"{'✓' if row['ok'] else '✗'} {row['same']} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default=",".join(c.name for c in CASES), help="comma list of case names")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each side (each times several steps)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--prompt", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    by_name = {c.name: c for c in CASES}
    if args.worker:
        torch_worker(by_name[args.worker], args.folder, args.prompt, args.result)
        return
    unknown = [n for n in args.cases.split(",") if n not in by_name]
    if unknown:
        parser.error("unknown case(s) %s; the cases are %s" % (", ".join(unknown), ", ".join(by_name)))
    if not os.access(BINARY, os.X_OK):
        parser.error(f"{BINARY} is missing: build it first (swift build -c release --product diffsynth)")
    missing = [m for m in ("torch", "diffusers", "transformers", "peft") if importlib.util.find_spec(m) is None]
    if missing:
        parser.error(f"bench-compare needs {', '.join(missing)}: pip install torch diffusers transformers peft")
    import torch
    print(f"# bench-compare, {time.strftime('%Y-%m-%d')}, torch {torch.__version__}, {THREADS} threads each, "
          f"{os.cpu_count()} CPUs: {cpu_name()}", flush=True)
    rows = []
    for name in args.cases.split(","):
        rows.append(run_case(by_name[name], args.rounds))
        print(report(rows[-1:]).split("\n")[-1], flush=True)
    print()
    print(report(rows))
    if not all(r["ok"] for r in rows):
        sys.exit("some cases do not give the same result: their times do not count")


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    main()

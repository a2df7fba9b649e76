#!/usr/bin/env python3
"""LoRA files both ways, for both built-in families, against diffusers + peft and DiffSynth-Studio's loader.

Usage (from the repository root, after `swift build -c release --product diffsynth`):
    python3 Tools/reference/lora_interop_fixtures.py .build/release/diffsynth PATH/TO/DiffSynth-Studio

For each family (SDXL on `Tests/Fixtures/sdxl-guidance-tiny`, Qwen-Image on `Tests/Fixtures/qwen-image-b-tiny`):
1. diffusers → ours: peft injects a rank-4 LoRA with `lora_alpha` 8 (scale 2) and an `alpha_pattern`
   (`to_k`: alpha 2, scale 0.5) into the denoiser, with seeded random A and B (big enough to move
   the image by many levels), and the pipeline's
   own `save_lora_weights(..., <prefix>_lora_adapter_metadata=config)` writes `diffusers.safetensors`
   (the alpha lives only in the `lora_adapter_metadata` header). `lora.png` is diffusers' image with
   it, `base.png` without it.
2. ours → diffusers and DiffSynth-Studio: `diffsynth convert-lora` rewrites that file in our two
   formats (`ours_diffsynth.safetensors`, `ours_peft.safetensors`, exactly what `train --lora_format`
   writes). Each is loaded with the family pipeline's `load_lora_weights` unchanged (every targeted
   layer must receive it) and must give `lora.png` again; and each goes through DiffSynth-Studio's
   own `GeneralLoRALoader` (its key rules: `diffusion_model.` stripped, names matched against the
   model's modules, `.alpha` applied as `lora_A · alpha / rank`), fused into the same denoiser,
   which must give `lora.png` too.
The Swift tests check that `convert-lora` still writes these exact files and that `generate` with
each file gives `lora.png` (1 grey level: diffusers rounds, we truncate as DiffSynth does).

Writes Tests/Fixtures/lora-interop/{sdxl,qwen-image}/. torch 2.15, diffusers 0.42.1, peft 0.21.
"""
import importlib.util
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import torch
from diffusers import QwenImagePipeline, StableDiffusionXLPipeline
from peft import LoraConfig
from peft.utils import get_peft_model_state_dict
from safetensors import safe_open

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.path.abspath(sys.argv[1])
spec = importlib.util.spec_from_file_location("diffsynth_general_lora", os.path.join(sys.argv[2], "diffsynth/utils/lora/general.py"))
general = importlib.util.module_from_spec(spec)
spec.loader.exec_module(general)
torch.set_num_threads(2)

FAMILIES = {
    "sdxl": dict(folder="Tests/Fixtures/sdxl-guidance-tiny", cls=StableDiffusionXLPipeline, denoiser="unet",
                 targets=["to_q", "to_k", "to_v", "to_out.0", "proj_in", "proj_out", "ff.net.0.proj", "ff.net.2"],
                 call=dict(prompt="a watercolour fox in tall grass", height=40, width=56, num_inference_steps=3, guidance_scale=3.5),
                 seed=5, lora_std=0.25),
    "qwen-image": dict(folder="Tests/Fixtures/qwen-image-b-tiny", cls=QwenImagePipeline, denoiser="transformer",
                       targets=["to_q", "to_k", "to_v", "add_q_proj", "add_k_proj", "add_v_proj", "to_out.0", "to_add_out",
                                "img_mlp.net.2", "img_mod.1", "txt_mlp.net.2", "txt_mod.1"],
                       call=dict(prompt="a red square on a blue background", height=32, width=48, num_inference_steps=3,
                                 true_cfg_scale=1.0),
                       seed=9, lora_std=2.0),
}


def image(pipe, f):
    with torch.no_grad():
        return np.asarray(pipe(**f["call"], generator=torch.Generator().manual_seed(f["seed"])).images[0]).astype(np.int16)


def save_png(array, path):
    from PIL import Image
    Image.fromarray(array.astype(np.uint8), "RGB").save(path)


def diffsynth_fuse(module, path):
    """DiffSynth-Studio's pipe.load_lora(module, path) without hot-loading: its loader, unchanged."""
    state = {}
    with safe_open(path, "pt") as f:
        for k in f.keys():
            state[k] = f.get_tensor(k)
    loader = general.GeneralLoRALoader(torch_dtype=torch.float32)
    converted = loader.convert_state_dict(state)
    names = {n.replace(".lora_B.weight", "") for n in converted if n.endswith(".lora_B.weight")}
    modules = {n for n, _ in module.named_modules()}
    loader.fuse_lora_to_base_model(module, state)
    return len(names & modules)


def main():
    for family, f in FAMILIES.items():
        out = os.path.join(ROOT, "Tests/Fixtures/lora-interop", family)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)

        def fresh():
            pipe = f["cls"].from_pretrained(os.path.join(ROOT, f["folder"]), torch_dtype=torch.float32, local_files_only=True)
            pipe.set_progress_bar_config(disable=True)
            return pipe, getattr(pipe, f["denoiser"])

        pipe, denoiser = fresh()
        base = image(pipe, f)
        config = LoraConfig(r=4, lora_alpha=8, target_modules=f["targets"], alpha_pattern={"to_k": 2}, init_lora_weights=True)
        denoiser.add_adapter(config)
        g = torch.Generator().manual_seed(42)
        with torch.no_grad():
            for name, p in denoiser.named_parameters():
                if "lora_" in name:
                    p.copy_(torch.randn(p.shape, generator=g) * (f["lora_std"] / p.shape[-1] ** 0.5))
        layers = get_peft_model_state_dict(denoiser)
        targeted = len([k for k in layers if k.endswith("lora_A.weight")])
        pipe.save_lora_weights(out, weight_name="diffusers.safetensors", safe_serialization=True,
                               **{f"{f['denoiser']}_lora_layers": layers,
                                  f"{f['denoiser']}_lora_adapter_metadata": config.to_dict()})
        with_lora = image(pipe, f)
        effect = int(np.abs(with_lora - base).max())
        assert effect >= 8, f"{family}: the LoRA changes the image by only {effect} levels"
        save_png(base, os.path.join(out, "base.png"))
        save_png(with_lora, os.path.join(out, "lora.png"))
        # diffusers reads its own file back to the same image (the metadata's alpha applied).
        pipe, denoiser = fresh()
        pipe.load_lora_weights(os.path.join(out, "diffusers.safetensors"))
        assert int(np.abs(image(pipe, f) - with_lora).max()) == 0

        report = {"family": family, "layers": targeted, "effect_levels": effect, "files": {}}
        for fmt in ("diffsynth", "peft"):
            name = f"ours_{fmt}.safetensors"
            path = os.path.join(out, name)
            subprocess.run([BINARY, "convert-lora", "--input", os.path.join(out, "diffusers.safetensors"), "--family", family,
                            "--lora_format", fmt, "--output", path], check=True, stdout=subprocess.DEVNULL)
            # diffusers, unchanged.
            pipe, denoiser = fresh()
            pipe.load_lora_weights(path)
            loaded = sum(1 for _, m in denoiser.named_modules() if hasattr(m, "lora_A") and "default_0" in m.lora_A)
            assert loaded == targeted, f"{family} {fmt}: diffusers put the LoRA into {loaded} of {targeted} layers"
            diffusers_diff = int(np.abs(image(pipe, f) - with_lora).max())
            assert diffusers_diff <= 1, f"{family} {fmt}: diffusers' image is {diffusers_diff} levels off"
            # DiffSynth-Studio's loader rules, fused into the same denoiser.
            pipe, denoiser = fresh()
            matched = diffsynth_fuse(denoiser, path)
            assert matched == targeted, f"{family} {fmt}: DiffSynth-Studio's loader matched {matched} of {targeted} layers"
            diffsynth_diff = int(np.abs(image(pipe, f) - with_lora).max())
            assert diffsynth_diff <= 1, f"{family} {fmt}: DiffSynth-Studio's image is {diffsynth_diff} levels off"
            report["files"][name] = {"diffusers_layers": loaded, "diffusers_max_levels": diffusers_diff,
                                     "diffsynth_layers": matched, "diffsynth_max_levels": diffsynth_diff}
        with open(os.path.join(out, "reference.json"), "w") as fp:
            json.dump(dict(report, call=f["call"], seed=f["seed"], folder=f["folder"]), fp, indent=1)
        print(json.dumps(report))


if __name__ == "__main__":
    main()

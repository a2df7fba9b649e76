#!/usr/bin/env python3
"""diffusers batches: `pipe([p1, p2], generator=torch.Generator("cpu").manual_seed(seed))`.

One noise tensor for the whole batch from one generator (so image 2 is not image 1 of seed + 1),
two prompts of different lengths (Qwen-Image pads the shorter one and masks it in the text
encoder and in joint attention; SDXL's CLIP pads both to 77), one denoiser call per step on both.
Writes Tests/Fixtures/batches/{qwen-image,sdxl}/*.png (diffusers' own PIL images) and
reference.json. Run from the repository root (torch 2.15, diffusers 0.42.1, CPU, seconds):
    python3 Tools/reference/batch_fixtures.py
"""
import json
import os
import shutil

import torch
from diffusers import QwenImagePipeline, StableDiffusionXLPipeline

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "batches")
PROMPTS = ["a red square", "a small blue circle on a large green field, painted in watercolour at dusk"]
torch.set_num_threads(2)

RUNS = {
    "qwen-image": dict(cls=QwenImagePipeline, folder="Tests/Fixtures/qwen-image-b-tiny", height=32, width=48, steps=3, seed=11,
                       calls={"nocfg": dict(true_cfg_scale=1.0), "cfg": dict(true_cfg_scale=4.0, negative_prompt="blurry, dark")},
                       cfg={"nocfg": 1.0, "cfg": 4.0}),
    "sdxl": dict(cls=StableDiffusionXLPipeline, folder="Tests/Fixtures/sdxl-guidance-tiny", height=40, width=56, steps=3, seed=11,
                 calls={"cfg": dict(guidance_scale=3.5)}, cfg={"cfg": 3.5}),
}


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    meta = {"prompts": PROMPTS, "families": {}}
    for family, run in RUNS.items():
        os.makedirs(os.path.join(OUT, family))
        pipe = run["cls"].from_pretrained(os.path.join(ROOT, run["folder"]), torch_dtype=torch.float32, local_files_only=True)
        pipe.set_progress_bar_config(disable=True)
        calls = {}
        for name, kwargs in run["calls"].items():
            with torch.no_grad():
                images = pipe(prompt=PROMPTS, height=run["height"], width=run["width"], num_inference_steps=run["steps"],
                              generator=torch.Generator().manual_seed(run["seed"]), **kwargs).images
            for i, image in enumerate(images):
                image.save(os.path.join(OUT, family, f"{name}-{i}.png"))
            calls[name] = dict(cfg_scale=run["cfg"][name], negative_prompt=kwargs.get("negative_prompt"))
        meta["families"][family] = dict(folder=run["folder"], height=run["height"], width=run["width"], steps=run["steps"],
                                        seed=run["seed"], calls=calls)
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()

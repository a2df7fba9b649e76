#!/usr/bin/env python3
"""A second tiny Qwen-Image folder, in a configuration unlike `qwen_image_fixtures.py`'s, for the
batch and LoRA-interop fixtures: 3 transformer blocks of 3 heads × 24 (RoPE axes 4/10/10, joint
width 48), a 3-layer text encoder of width 48 with 6 heads over 2 key/value heads, and a VAE with
one residual block per level. Built by `qwen_image_fixtures.build_models` with those overrides; the
tokenizer files are the first folder's.

Writes Tests/Fixtures/qwen-image-b-tiny/ (BF16 weights, as published). Run from the repository
root after qwen_image_fixtures.py (torch 2.15, diffusers 0.42.1, transformers 5):
    python3 Tools/reference/qwen_image_b_fixtures.py
"""
import os
import shutil
import sys

import torch
from diffusers import QwenImagePipeline
from transformers import Qwen2Tokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qwen_image_fixtures import build_models  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SOURCE = os.path.join(ROOT, "Tests", "Fixtures", "qwen-image-tiny")
FOLDER = os.path.join(ROOT, "Tests", "Fixtures", "qwen-image-b-tiny")


def main():
    tokenizer = Qwen2Tokenizer.from_pretrained(os.path.join(SOURCE, "tokenizer"))
    transformer, vae, text_encoder, scheduler = build_models(
        tokenizer,
        transformer_config=dict(num_layers=3, attention_head_dim=24, num_attention_heads=3, joint_attention_dim=48,
                                axes_dims_rope=(4, 10, 10)),
        vae_config=dict(dim_mult=[1, 2, 2, 4], num_res_blocks=1),
        text_config=dict(hidden_size=48, intermediate_size=80, num_hidden_layers=3, num_attention_heads=6),
        init_seed=7, perturb_seed=4321)
    shutil.rmtree(FOLDER, ignore_errors=True)
    pipe = QwenImagePipeline(scheduler=scheduler, vae=vae.to(torch.bfloat16), text_encoder=text_encoder.to(torch.bfloat16),
                             tokenizer=tokenizer, transformer=transformer.to(torch.bfloat16))
    pipe.save_pretrained(FOLDER)
    # The published tokenizer layout (vocab.json + merges.txt), as the first folder has it.
    shutil.rmtree(os.path.join(FOLDER, "tokenizer"))
    shutil.copytree(os.path.join(SOURCE, "tokenizer"), os.path.join(FOLDER, "tokenizer"))
    print(FOLDER, sum(p.numel() for p in transformer.parameters()), "transformer parameters")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A second tiny Qwen-Image folder, in a configuration unlike `qwen_image_fixtures.py`'s, for the
batch and LoRA-interop fixtures: 3 transformer blocks of 3 heads × 24 (RoPE axes 4/10/10, joint
width 48), a 3-layer text encoder of width 48 with 6 heads over 2 key/value heads, and a VAE with
one residual block per level. The tokenizer files are the first folder's.

Writes Tests/Fixtures/qwen-image-b-tiny/ (BF16 weights, as published). Run from the repository
root after qwen_image_fixtures.py (torch 2.15, diffusers 0.42.1, transformers 5):
    python3 Tools/reference/qwen_image_b_fixtures.py
"""
import os
import shutil

import torch
from diffusers import AutoencoderKLQwenImage, FlowMatchEulerDiscreteScheduler, QwenImagePipeline, QwenImageTransformer2DModel
from transformers import Qwen2Tokenizer, Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

import sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qwen_image_fixtures import SCHEDULER_CONFIG, perturb_  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SOURCE = os.path.join(ROOT, "Tests", "Fixtures", "qwen-image-tiny")
FOLDER = os.path.join(ROOT, "Tests", "Fixtures", "qwen-image-b-tiny")


def main():
    torch.manual_seed(7)
    tokenizer = Qwen2Tokenizer.from_pretrained(os.path.join(SOURCE, "tokenizer"))
    transformer = QwenImageTransformer2DModel(
        patch_size=2, in_channels=64, out_channels=16, num_layers=3, attention_head_dim=24, num_attention_heads=3,
        joint_attention_dim=48, guidance_embeds=False, axes_dims_rope=(4, 10, 10),
    )
    vae = AutoencoderKLQwenImage(
        base_dim=8, z_dim=16, dim_mult=[1, 2, 2, 4], num_res_blocks=1, attn_scales=[],
        temperal_downsample=[False, True, True], dropout=0.0,
    )
    special = {t: tokenizer.convert_tokens_to_ids(t) for t in ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]}
    config = Qwen2_5_VLConfig(
        text_config=dict(
            hidden_size=48, intermediate_size=80, num_hidden_layers=3, num_attention_heads=6, num_key_value_heads=2,
            rms_norm_eps=1e-6, rope_theta=1e6, vocab_size=len(tokenizer), max_position_embeddings=4096,
            hidden_act="silu", rope_scaling={"mrope_section": [1, 1, 2], "rope_type": "default", "type": "default"},
            bos_token_id=special["<|endoftext|>"], eos_token_id=special["<|im_end|>"], pad_token_id=special["<|endoftext|>"],
        ),
        vision_config=dict(depth=1, hidden_size=16, intermediate_size=16, num_heads=2, out_hidden_size=48,
                           fullatt_block_indexes=[0], patch_size=14, spatial_merge_size=2, temporal_patch_size=2),
        tie_word_embeddings=False,
    )
    text_encoder = Qwen2_5_VLForConditionalGeneration(config)
    generator = torch.Generator().manual_seed(4321)
    for m in (transformer, vae, text_encoder):
        m.float().eval()
        perturb_(m, generator)
    shutil.rmtree(FOLDER, ignore_errors=True)
    pipe = QwenImagePipeline(scheduler=FlowMatchEulerDiscreteScheduler(**SCHEDULER_CONFIG), vae=vae.to(torch.bfloat16),
                             text_encoder=text_encoder.to(torch.bfloat16), tokenizer=tokenizer, transformer=transformer.to(torch.bfloat16))
    pipe.save_pretrained(FOLDER)
    # The published tokenizer layout (vocab.json + merges.txt), as the first folder has it.
    shutil.rmtree(os.path.join(FOLDER, "tokenizer"))
    shutil.copytree(os.path.join(SOURCE, "tokenizer"), os.path.join(FOLDER, "tokenizer"))
    print(FOLDER, sum(p.numel() for p in transformer.parameters()), "transformer parameters")


if __name__ == "__main__":
    main()

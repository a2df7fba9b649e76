#!/usr/bin/env python3
"""Write the scheduler fixtures that `SchedulerTests.swift` checks.

What it makes (in Tests/DiffSynthTests/Fixtures/schedulers/)
    * flow_match_qwen_image.json: diffusers `FlowMatchEulerDiscreteScheduler` with the Qwen-Image
      scheduler_config, driven the way `QwenImagePipeline` drives it (sigmas =
      np.linspace(1, 1/N, N), mu = calculate_shift(image_seq_len, ...) from the config, or a fixed
      mu 0.8) for image_seq_len 1024 / 4096 / 6889 and mu 0.8, N in STEPS: sigmas, timesteps.
      Plus img2img schedules computed with DiffSynth-Studio's formula (strength < 1), one
      `scale_noise` (addNoise) example and a dummy sampling loop.
    * euler_sdxl_base.json, euler_linspace.json, euler_v_prediction.json: diffusers
      `EulerDiscreteScheduler` (SDXL base config: scaled_linear, leading, steps_offset 1; a
      linspace variant; a v_prediction variant with linear betas and trailing spacing):
      timesteps, sigmas, init_noise_sigma for N in STEPS, a few alphas_cumprod entries, the DDPM
      training example coefficients (diffusers `DDPMScheduler.add_noise` / `get_velocity`), one
      `add_noise` example and a dummy sampling loop.
    * euler_ancestral_sdxl_turbo.json: diffusers `EulerAncestralDiscreteScheduler` with the
      SDXL-Turbo config (trailing), same records, loops whose step noise comes from
      torch.Generator("cpu").manual_seed(0) exactly as `step` draws it.
    * diffsynth_training.json: DiffSynth-Studio's Qwen-Image training table
      (`set_timesteps_qwen_image(1000)` with mu 0.8 and `set_training_weight`), recomputed here
      with DiffSynth's formulas in torch (DiffSynth itself is not installed): full sigma and
      weight tables, the spec's checkpoints (diffsynth-training.md section 3.4) and the worked
      N = 4 / 8 / 50 tables of section 3.5.
    * configs/*.json: copies of the shipped scheduler_config.json files (SDXL base, SDXL-Turbo,
      Qwen-Image) as the specs give them.

Dummy sampling loop (as in diffusers' scheduler tests)
    sample = randn((1, 4, 8, 8), generator=manual_seed(42)) * init_noise_sigma
    for t in timesteps:
        x = scale_model_input(sample, t)            (Euler schedulers; flow passes through)
        model_output = 0.1 * x + 0.05 * t / 1000
        sample = step(model_output, t, sample, generator=manual_seed(0) generator).prev_sample
    The final sample is recorded in full (256 float32 values).

Versions used
    diffusers 0.42.1, torch 2.15.0 (x86-64 CPU), numpy 2.4.6; recorded in each file.

How to run (from the repository root; takes a few seconds, output is deterministic)
    python3 Tools/reference/make_scheduler_fixtures.py [--output DIR]
"""

import argparse
import json
import math
import os

import diffusers
import numpy as np
import torch
from diffusers import (
    DDPMScheduler,
    EulerAncestralDiscreteScheduler,
    EulerDiscreteScheduler,
    FlowMatchEulerDiscreteScheduler,
)

STEPS = [1, 2, 4, 8, 50]
LOOP_STEPS = 10
SHAPE = (1, 4, 8, 8)
INIT_SEED = 42
NOISE_SEED = 0

# scheduler_config.json files as the specs give them (qwen-image-architecture.md 4.1,
# sdxl-architecture.md 5.2 and 5.4).
QWEN_IMAGE_CONFIG = {
    "_class_name": "FlowMatchEulerDiscreteScheduler",
    "base_image_seq_len": 256,
    "base_shift": 0.5,
    "invert_sigmas": False,
    "max_image_seq_len": 8192,
    "max_shift": 0.9,
    "num_train_timesteps": 1000,
    "shift": 1.0,
    "shift_terminal": 0.02,
    "stochastic_sampling": False,
    "time_shift_type": "exponential",
    "use_beta_sigmas": False,
    "use_dynamic_shifting": True,
    "use_exponential_sigmas": False,
    "use_karras_sigmas": False,
}
SDXL_BASE_CONFIG = {
    "_class_name": "EulerDiscreteScheduler",
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "clip_sample": False,
    "interpolation_type": "linear",
    "num_train_timesteps": 1000,
    "prediction_type": "epsilon",
    "sample_max_value": 1.0,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "timestep_spacing": "leading",
    "trained_betas": None,
    "use_karras_sigmas": False,
}
SDXL_TURBO_CONFIG = {
    "_class_name": "EulerAncestralDiscreteScheduler",
    "_diffusers_version": "0.24.0.dev0",
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "clip_sample": False,
    "interpolation_type": "linear",
    "num_train_timesteps": 1000,
    "prediction_type": "epsilon",
    "sample_max_value": 1.0,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "timestep_spacing": "trailing",
    "trained_betas": None,
    "use_karras_sigmas": False,
}
EULER_LINSPACE_CONFIG = {
    "_class_name": "EulerDiscreteScheduler",
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "num_train_timesteps": 1000,
    "prediction_type": "epsilon",
    "timestep_spacing": "linspace",
}
# Library defaults for the betas (linear 0.0001 ... 0.02) and trailing spacing.
EULER_V_CONFIG = {
    "_class_name": "EulerDiscreteScheduler",
    "prediction_type": "v_prediction",
    "timestep_spacing": "trailing",
}


def floats(t):
    a = t.detach().cpu().reshape(-1) if isinstance(t, torch.Tensor) else np.asarray(t).reshape(-1)
    # Shortest decimal that reads back as the same float32: exact in Swift, and half the size.
    return [float(str(np.float32(x))) for x in a]


def dummy_model(x, t):
    return 0.1 * x + 0.05 * t / 1000


def initial_noise():
    return torch.randn(SHAPE, generator=torch.Generator("cpu").manual_seed(INIT_SEED))


# ---------------------------------------------------------------------------------------------
# Flow matching (Qwen-Image)


def calculate_shift(image_seq_len, base_seq_len, max_seq_len, base_shift, max_shift):
    # diffusers: pipelines/qwenimage/pipeline_qwenimage.py
    m = (max_shift - base_shift) / (max_seq_len - base_seq_len)
    b = base_shift - m * base_seq_len
    return image_seq_len * m + b


def qwen_mu(image_seq_len):
    c = QWEN_IMAGE_CONFIG
    return calculate_shift(image_seq_len, c["base_image_seq_len"], c["max_image_seq_len"], c["base_shift"], c["max_shift"])


def flow_schedule(n, mu):
    s = FlowMatchEulerDiscreteScheduler.from_config(QWEN_IMAGE_CONFIG)
    s.set_timesteps(sigmas=np.linspace(1.0, 1 / n, n), mu=mu)
    return s


def diffsynth_qwen_sigmas(n, strength=1.0, mu=0.8):
    # DiffSynth-Studio: diffsynth/diffusion/flow_match.py, set_timesteps_qwen_image (verbatim math).
    sigma_min, sigma_max, shift_terminal = 0.0, 1.0, 0.02
    sigma_start = sigma_min + (sigma_max - sigma_min) * strength
    sigmas = torch.linspace(sigma_start, sigma_min, n + 1)[:-1]
    sigmas = math.exp(mu) / (math.exp(mu) + (1 / sigmas - 1))
    one_minus_z = 1 - sigmas
    scale_factor = one_minus_z[-1] / (1 - shift_terminal)
    sigmas = 1 - (one_minus_z / scale_factor)
    return sigmas, sigmas * 1000


def diffsynth_training_weights(sigmas, timesteps):
    # DiffSynth-Studio: diffsynth/diffusion/flow_match.py, set_training_weight (verbatim math).
    steps = 1000
    x = sigmas * 1000
    y = torch.exp(-2 * ((x - steps / 2) / steps) ** 2)
    y_shifted = y - y.min()
    w = y_shifted * (steps / y_shifted.sum())
    if len(timesteps) != 1000:
        w = w * (len(timesteps) / steps)
        w = w + w[1]
    return w


def flow_fixture():
    cases = []
    contexts = [("seq1024", 1024, None), ("seq4096", 4096, None), ("seq6889", 6889, None), ("mu0.8", None, 0.8)]
    n1_nan = True
    for name, seq, override in contexts:
        mu = override if override is not None else qwen_mu(seq)
        for n in STEPS:
            s = flow_schedule(n, mu)
            if n == 1:
                # shift_terminal stretches by (1 - z_last): 0/0 for a one-point schedule.
                n1_nan = n1_nan and bool(torch.isnan(s.sigmas[0]))
                continue
            cases.append({
                "name": name, "image_seq_len": seq, "mu_override": override, "mu": mu, "steps": n,
                "sigmas": floats(s.sigmas), "timesteps": floats(s.timesteps), "init_noise_sigma": 1.0,
            })

    strength_cases = []
    for strength in [0.6, 0.35]:
        for n in [4, 8]:
            sig, ts = diffsynth_qwen_sigmas(n, strength, 0.8)
            strength_cases.append({"strength": strength, "mu_override": 0.8, "steps": n,
                                   "sigmas": floats(sig) + [0.0], "timesteps": floats(ts)})

    s = flow_schedule(8, qwen_mu(4096))
    clean = torch.linspace(-1, 1, 6).reshape(2, 3)
    noise = torch.linspace(0.5, -0.7, 6).reshape(2, 3)
    step = 3
    noised = s.scale_noise(clean, s.timesteps[step:step + 1], noise)
    add_noise = {"image_seq_len": 4096, "steps": 8, "step": step,
                 "clean": floats(clean), "noise": floats(noise), "result": floats(noised)}

    loops = []
    for seq in [4096, 1024]:
        s = flow_schedule(LOOP_STEPS, qwen_mu(seq))
        sample = initial_noise()
        for t in s.timesteps:
            sample = s.step(dummy_model(sample, t), t, sample).prev_sample
        loops.append({"image_seq_len": seq, "steps": LOOP_STEPS, "final_sample": floats(sample)})

    return {
        "diffusers_version": diffusers.__version__, "torch_version": torch.__version__,
        "config": QWEN_IMAGE_CONFIG, "n1_sigmas_are_nan": n1_nan,
        "cases": cases, "strength_cases": strength_cases, "add_noise": add_noise,
        "loop_shape": list(SHAPE), "loop_init_seed": INIT_SEED, "loops": loops,
    }


def diffsynth_training_fixture():
    sigmas, timesteps = diffsynth_qwen_sigmas(1000)
    weights = diffsynth_training_weights(sigmas, timesteps)
    indices = [0, 100, 250, 500, 698, 750, 900, 999]
    # diffsynth-training.md section 3.4 (index: sigma, weight), rounded as printed there.
    spec = {0: (1.0, 0.0), 100: (0.9533, 0.2416), 250: (0.8721, 0.6485), 500: (0.6955, 1.3679),
            750: (0.4361, 1.6479), 900: (0.2125, 1.0312), 999: (0.02, 0.1037)}
    checkpoints = [{"index": i, "sigma": float(sigmas[i]), "timestep": float(timesteps[i]),
                    "weight": float(weights[i]),
                    "spec_sigma": spec[i][0] if i in spec else None,
                    "spec_weight": spec[i][1] if i in spec else None} for i in indices]
    worked = []
    # The spec prints mu rounded (0.834325 ...); DiffSynth uses the exact value for 1328x1328 etc.
    for n, seq in [(4, None), (8, None), (50, None), (4, 6889), (50, 6889), (4, 4096), (4, 1024), (50, 1024),
                   (15, 6889)]:
        mu = 0.8 if seq is None else qwen_mu(seq)
        sig, _ = diffsynth_qwen_sigmas(n, 1.0, mu)
        worked.append({"steps": n, "image_seq_len": seq, "mu": mu, "sigmas": floats(sig)})
    return {
        "torch_version": torch.__version__, "mu": 0.8,
        "argmax_weight": int(torch.argmax(weights)), "max_weight": float(weights.max()),
        "sigmas": floats(sigmas), "weights": floats(weights),
        "checkpoints": checkpoints, "worked": worked,
    }


# ---------------------------------------------------------------------------------------------
# Euler (SDXL)


def euler_fixture(cls, config, loop_steps, ancestral):
    cases = []
    for n in STEPS:
        s = cls.from_config(config)
        s.set_timesteps(n)
        cases.append({"steps": n, "timesteps": floats(s.timesteps), "sigmas": floats(s.sigmas),
                      "init_noise_sigma": float(s.init_noise_sigma)})

    s = cls.from_config(config)
    alphas = {str(i): float(s.alphas_cumprod[i]) for i in [0, 1, 2, 10, 100, 250, 500, 750, 998, 999]}

    # DDPM training example at integer timestep t (what a diffusers training script does with
    # DDPMScheduler configured from the same scheduler_config): coefficients from
    # add_noise(ones, zeros) and add_noise(zeros, ones); velocity from get_velocity.
    ddpm = DDPMScheduler.from_config(config)
    training = []
    clean = torch.linspace(-1, 1, 6).reshape(2, 3)
    noise = torch.linspace(0.5, -0.7, 6).reshape(2, 3)
    for t in [0, 1, 500, 999]:
        tt = torch.tensor([t])
        training.append({"timestep": t, "clean": floats(clean), "noise": floats(noise),
                         "model_input": floats(ddpm.add_noise(clean, noise, tt)),
                         "velocity": floats(ddpm.get_velocity(clean, noise, tt))})

    s = cls.from_config(config)
    s.set_timesteps(8)
    step = 2
    noised = s.add_noise(clean, noise, s.timesteps[step:step + 1])
    add_noise = {"steps": 8, "step": step, "clean": floats(clean), "noise": floats(noise), "result": floats(noised)}

    loops = []
    for n in loop_steps:
        s = cls.from_config(config)
        s.set_timesteps(n)
        generator = torch.Generator("cpu").manual_seed(NOISE_SEED)
        sample = initial_noise() * s.init_noise_sigma
        for t in s.timesteps:
            x = s.scale_model_input(sample, t)
            sample = s.step(dummy_model(x, t), t, sample, generator=generator).prev_sample
        loops.append({"steps": n, "noise_seed": NOISE_SEED if ancestral else None, "final_sample": floats(sample)})

    return {
        "diffusers_version": diffusers.__version__, "torch_version": torch.__version__,
        "config": config, "cases": cases, "alphas_cumprod": alphas, "training": training,
        "add_noise": add_noise, "loop_shape": list(SHAPE), "loop_init_seed": INIT_SEED, "loops": loops,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    parser.add_argument("--output", default=os.path.join(root, "Tests", "DiffSynthTests", "Fixtures", "schedulers"))
    args = parser.parse_args()
    os.makedirs(os.path.join(args.output, "configs"), exist_ok=True)

    def write(name, payload, indent=None):
        with open(os.path.join(args.output, name), "w") as f:
            json.dump(payload, f, indent=indent, allow_nan=False)
            f.write("\n")

    write("flow_match_qwen_image.json", flow_fixture())
    write("diffsynth_training.json", diffsynth_training_fixture())
    write("euler_sdxl_base.json", euler_fixture(EulerDiscreteScheduler, SDXL_BASE_CONFIG, [LOOP_STEPS], False))
    write("euler_linspace.json", euler_fixture(EulerDiscreteScheduler, EULER_LINSPACE_CONFIG, [LOOP_STEPS], False))
    write("euler_v_prediction.json", euler_fixture(EulerDiscreteScheduler, EULER_V_CONFIG, [LOOP_STEPS], False))
    write("euler_ancestral_sdxl_turbo.json",
          euler_fixture(EulerAncestralDiscreteScheduler, SDXL_TURBO_CONFIG, [1, 4, LOOP_STEPS], True))
    write("configs/sdxl_base_scheduler_config.json", SDXL_BASE_CONFIG, indent=2)
    write("configs/sdxl_turbo_scheduler_config.json", SDXL_TURBO_CONFIG, indent=2)
    write("configs/qwen_image_scheduler_config.json", QWEN_IMAGE_CONFIG, indent=2)


if __name__ == "__main__":
    main()

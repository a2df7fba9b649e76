"""Reference values for the engine's ops, gradients and optimisers, computed with PyTorch.

Writes Tests/DiffSynthTests/Fixtures/ops/ops.json and optim.json. Each op case stores its
inputs, the forward output and the gradients of sum(output * projection) with respect to
every input, all float32 in row-major order. Deterministic: inputs come from
torch.Generator("cpu").manual_seed(...).

Made with torch 2.15.0 (CPU). Run from the repository root:
    python3 Tools/reference/make_op_fixtures.py
"""
import json
import math
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "DiffSynthTests", "Fixtures", "ops")
gen = torch.Generator("cpu").manual_seed(1234)


def rnd(*shape, low=-1.0, high=1.0):
    return torch.rand(*shape, generator=gen) * (high - low) + low


def flat(t):
    # 9 significant digits round-trip float32 exactly.
    return [float('%.9g' % x) for x in t.detach().reshape(-1).tolist()]


def case(name, inputs, fn, **params):
    leaves = [t.clone().requires_grad_(True) for t in inputs]
    out = fn(*leaves)
    projection = rnd(*out.shape)
    (out * projection).sum().backward()
    return {
        "name": name,
        "params": params,
        "inputs": [{"shape": list(t.shape), "values": flat(t)} for t in inputs],
        "output": {"shape": list(out.shape), "values": flat(out)},
        "projection": flat(projection),
        "grads": [flat(t.grad) if t.grad is not None else None for t in leaves],
    }


def rope_interleaved(x, cos, sin):
    # diffusers apply_rotary_emb_qwen (use_real=False): complex multiply on (2i, 2i+1) pairs.
    xc = torch.view_as_complex(x.float().reshape(*x.shape[:-1], -1, 2))
    freqs = torch.complex(cos, sin)
    return torch.view_as_real(xc * freqs).flatten(-2)


def rope_halves(x, cos, sin):
    # transformers rotate_half with cos/sin duplicated over both halves.
    c = torch.cat([cos, cos], -1)
    s = torch.cat([sin, sin], -1)
    x1, x2 = x.chunk(2, dim=-1)
    return x * c + torch.cat([-x2, x1], -1) * s


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


cases = []
cases.append(case("linear", [rnd(2, 3, 8), rnd(5, 8), rnd(5)], lambda x, w, b: F.linear(x, w, b)))
cases.append(case("matmul_batched", [rnd(2, 1, 3, 4), rnd(3, 4, 6)], lambda a, b: torch.matmul(a, b)))
cases.append(case("conv2d", [rnd(2, 4, 9, 8), rnd(6, 2, 3, 3), rnd(6)],
                  lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2),
                  stride=[2, 1], padding=[1, 2], dilation=[1, 2], groups=2))
cases.append(case("conv2d_3x3", [rnd(1, 3, 8, 8), rnd(4, 3, 3, 3), rnd(4)],
                  lambda x, w, b: F.conv2d(x, w, b, padding=1), stride=[1, 1], padding=[1, 1], dilation=[1, 1], groups=1))
cases.append(case("group_norm", [rnd(2, 6, 4, 3), rnd(6), rnd(6)], lambda x, w, b: F.group_norm(x, 3, w, b, eps=1e-6), groups=3, eps=1e-6))
cases.append(case("layer_norm", [rnd(3, 4, 10), rnd(10), rnd(10)], lambda x, w, b: F.layer_norm(x, (10,), w, b, eps=1e-5), eps=1e-5))
cases.append(case("layer_norm_plain", [rnd(3, 10)], lambda x: F.layer_norm(x, (10,), eps=1e-6), eps=1e-6))
cases.append(case("rms_norm", [rnd(3, 4, 10), rnd(10)], lambda x, w: rms_norm(x, w, 1e-6), eps=1e-6))
cases.append(case("softmax", [rnd(4, 7, low=-3, high=3)], lambda x: torch.softmax(x, -1)))
cases.append(case("log_softmax", [rnd(4, 7, low=-3, high=3)], lambda x: torch.log_softmax(x, -1)))
cases.append(case("gelu", [rnd(20, low=-4, high=4)], lambda x: F.gelu(x)))
cases.append(case("gelu_tanh", [rnd(20, low=-4, high=4)], lambda x: F.gelu(x, approximate="tanh")))
cases.append(case("silu", [rnd(20, low=-4, high=4)], lambda x: F.silu(x)))
cases.append(case("quick_gelu", [rnd(20, low=-4, high=4)], lambda x: x * torch.sigmoid(1.702 * x)))
cases.append(case("sigmoid_tanh", [rnd(20, low=-4, high=4)], lambda x: torch.sigmoid(x) + torch.tanh(x)))
cases.append(case("exp_log_sqrt_rsqrt", [rnd(12, low=0.1, high=3)], lambda x: x.exp() + x.log() + x.sqrt() + x.rsqrt()))
cases.append(case("pow", [rnd(12, low=0.1, high=3)], lambda x: x.pow(1.7)))
cases.append(case("variance_mean", [rnd(3, 5, 4)], lambda x: x.var(dim=(0, 2), keepdim=True) + x.mean(dim=1, keepdim=True)))
cases.append(case("amax", [rnd(3, 5, 4)], lambda x: x.amax(dim=(1,))))
mask = torch.zeros(1, 1, 1, 9)
mask[..., 7:] = float("-inf")
cases.append(case("attention_gqa_masked", [rnd(2, 4, 5, 8), rnd(2, 2, 9, 8), rnd(2, 2, 9, 6)],
                  lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=True),
                  mask_keep=[1, 1, 1, 1, 1, 1, 1, 0, 0]))
cases.append(case("attention", [rnd(1, 2, 40, 16), rnd(1, 2, 70, 16), rnd(1, 2, 70, 16)],
                  lambda q, k, v: F.scaled_dot_product_attention(q, k, v)))
cases.append(case("rope_interleaved", [rnd(2, 5, 3, 8), rnd(5, 1, 4), rnd(5, 1, 4)],
                  lambda x, c, s: rope_interleaved(x, c.detach(), s.detach())))
cases.append(case("rope_halves", [rnd(2, 3, 5, 8), rnd(5, 4), rnd(5, 4)],
                  lambda x, c, s: rope_halves(x, c.detach(), s.detach())))
cases.append(case("upsample_nearest", [rnd(2, 3, 4, 5)], lambda x: F.interpolate(x, scale_factor=2.0, mode="nearest")))
cases.append(case("pad", [rnd(2, 3, 4)], lambda x: F.pad(x, (1, 2, 0, 3), value=0.25)))
cases.append(case("embedding", [rnd(7, 5)], lambda w: F.embedding(torch.tensor([[3, 0], [6, 3]]), w), ids=[3, 0, 6, 3]))
cases.append(case("mse_loss", [rnd(3, 4), rnd(3, 4)], lambda a, b: F.mse_loss(a, b).reshape(1)))
cases.append(case("where_clamp_abs", [rnd(3, 4), rnd(4)],
                  lambda a, b: torch.where(a > 0, a.clamp(-0.5, 0.5), b.abs())))

os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, "ops.json"), "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f)


def optimizer_trace(make, steps=10):
    param = torch.nn.Parameter(rnd(4, 5))
    initial = flat(param)
    opt = make([param])
    grads, after = [], []
    for _ in range(steps):
        g = rnd(4, 5, low=-2, high=2)
        param.grad = g.clone()
        opt.step()
        grads.append(flat(g))
        after.append(flat(param))
    return {"initial": initial, "grads": grads, "after": after}


traces = {
    "adamw": dict(lr=1e-2, betas=[0.9, 0.999], eps=1e-8, weight_decay=0.1,
                  **optimizer_trace(lambda p: torch.optim.AdamW(p, lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1))),
    "adamw_defaults": dict(lr=1e-3, betas=[0.9, 0.999], eps=1e-8, weight_decay=0.01,
                           **optimizer_trace(lambda p: torch.optim.AdamW(p, lr=1e-3))),
    "sgd_momentum": dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01, nesterov=False,
                         **optimizer_trace(lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01))),
    "sgd_nesterov": dict(lr=0.05, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=True,
                         **optimizer_trace(lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True))),
}
with open(os.path.join(OUT, "optim.json"), "w") as f:
    json.dump({"torch": torch.__version__, "traces": traces}, f)
print("wrote", len(cases), "op cases and", len(traces), "optimizer traces to", os.path.normpath(OUT))


# Float32 → bfloat16 / float16 rounding (round to nearest even, overflow, subnormals, NaN).
edge = [0.0, -0.0, 1.0, -1.0, 1.00390625, 1.01171875, 1.0078125, 1.0117188, 3.14159265, 65504.0, 65520.0, 65536.0,
        1e-8, 6e-8, 5.96e-8, 1e-5, 3.4e38, -3.4e38, float("inf"), float("-inf"), 2.0 ** -126, 2.0 ** -133, 1.0 + 2.0 ** -8,
        1.0 + 3 * 2.0 ** -8, 1.0 + 2.0 ** -11, 1.0 + 3 * 2.0 ** -11]
values = torch.tensor(edge + [float(x) for x in rnd(200, low=-100, high=100)], dtype=torch.float32)
precision = {
    "torch": torch.__version__,
    "float32_bits": [int(x) for x in values.view(torch.int32).tolist()],
    "bfloat16_bits": [int(x) & 0xFFFF for x in values.bfloat16().view(torch.int16).tolist()],
    "float16_bits": [int(x) & 0xFFFF for x in values.half().view(torch.int16).tolist()],
}
with open(os.path.join(OUT, "precision.json"), "w") as f:
    json.dump(precision, f)
print("wrote", len(edge) + 200, "rounding cases")

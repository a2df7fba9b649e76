#!/usr/bin/env python3
"""Write the PyTorch CPU RNG fixtures that `TorchGeneratorTests.swift` checks bit for bit.

What it makes
    Tests/DiffSynthTests/Fixtures/rng/torch_randn.json, recorded from a real torch CPU generator
    (`torch.Generator("cpu").manual_seed(seed)`) so that the Swift `TorchGenerator` can be held
    to exact equality with torch:

    * "mt19937": raw engine words (numpy's legacy-seeded MT19937, the same stream torch uses,
      since torch exposes no raw-word call), including the words around the first twists.
    * "randn": float32 `torch.randn` for every (seed, element count) pair of SEEDS x COUNTS on a
      fresh generator: the first and last 16 values as uint32 bit patterns and the sha256 of
      all values as little-endian float32 bytes.
    * "sequences": several calls on one generator (randn sizes SEQUENCE_SIZES), recorded the
      same way per call, so the generator state left behind by each call (mt19937 position and
      the cached Box-Muller sine of the < 16 path) is checked by the next call.
    * "mixed": one generator driven through randn float32/float64, rand and randint in turn,
      which checks that the cached double normal is shared across dtypes and that rand /
      randint consume the right number of words.
    * "rand": float32 `torch.rand`, same recording as "randn".
    * "randint": int64 `torch.randint(low, high)` for ranges on both sides of 2^28 (from
      2^28 on, open-source torch builds draw a 64-bit word per value) and up to 2^64 - 1;
      all values, as decimal strings.
    * "randn_double": float64 `torch.randn`; values as 16-digit hex bit patterns, sha256 of the
      little-endian float64 bytes.
    * "default_generator": float32 `torch.randn(20)` from a fresh, unseeded
      `torch.Generator("cpu")` (seed 67280421310721).
    * "randn_bf16": `torch.randn(..., dtype=torch.bfloat16)` widened to float32 for element
      counts that are multiples of 16 (the Qwen-Image latent case), recorded like "randn".
      The script asserts that it equals the float32 draw rounded to bf16.

    Seeds and other 64-bit integers are written as decimal strings (JSON numbers lose
    precision above 2^53). Seed 2^64-1 is what `manual_seed(-1)` stores.

Torch version used
    torch 2.15.0+cu132 (x86-64 Linux wheel, CPU generator; the AVX2 normal kernel, which is
    also what AVX-512 CPUs run), numpy 2.4.6. The torch version is recorded in the file.
    Noise from torch built for aarch64 / Apple Silicon (scalar libm kernel) differs at the
    1e-7 level and would not match these fixtures.

How to run (from the repository root; takes a few seconds, output is deterministic)
    python3 Tools/reference/make_rng_fixtures.py [--output PATH]
"""

import argparse
import hashlib
import json
import os
import random
import sys

import numpy as np
import torch

SEEDS = [
    0,
    1,
    42,
    2**32 + 7,  # only the low 32 bits reach mt19937: same stream as seed 7
    123456789,
    2**64 - 1,  # manual_seed(-1) wraps to this
    random.Random(20240607).getrandbits(63),  # a fixed "random" large seed
]

COUNTS = [1, 2, 3, 7, 15, 16, 17, 31, 33, 64, 100, 1024, 16 * 8 * 8, 4 * 64 * 64, 16 * 128 * 128]

SEQUENCE_SIZES = [3, 16, 1, 17, 5, 256, 2, 1, 15, 700, 31, 1]
SEQUENCE_SEEDS = [0, 42, 2**64 - 1]

RAND_COUNTS = [1, 7, 16, 100, 4096]
RANDINT_RANGES = [
    (0, 10),
    (-5, 5),
    (0, 2**28 - 1),  # largest range drawn from one 32-bit word
    (0, 2**28),  # smallest range drawn from random64 (open-source torch builds)
    (-(2**30), 2**30),
    (0, 2**32 - 1),
    (0, 2**32),
    (-(2**40), 2**40),
    (-(2**63), 2**63 - 1),  # range 2^64 - 1
]
RANDINT_COUNT = 24
DOUBLE_COUNTS = [1, 2, 3, 15, 16, 17, 33, 100, 1024]
BF16_SHAPES = [(1, 16, 8, 8), (1, 16, 64, 64)]
EDGE = 16  # values recorded at each end of a tensor


def generator(seed):
    # manual_seed takes signed or unsigned 64-bit values; pass negatives the way users do.
    signed = seed - 2**64 if seed >= 2**63 else seed
    return torch.Generator("cpu").manual_seed(signed)


def float32_record(t):
    a = t.detach().contiguous().reshape(-1).numpy().astype("<f4", copy=False)
    bits = a.view("<u4")
    return {
        "count": int(a.size),
        "first": [int(x) for x in bits[:EDGE]],
        "last": [int(x) for x in bits[-EDGE:]],
        "sha256": hashlib.sha256(a.tobytes()).hexdigest(),
    }


def float64_record(t):
    a = t.detach().contiguous().reshape(-1).numpy().astype("<f8", copy=False)
    bits = a.view("<u8")
    return {
        "count": int(a.size),
        "first": ["%016x" % int(x) for x in bits[:EDGE]],
        "last": ["%016x" % int(x) for x in bits[-EDGE:]],
        "sha256": hashlib.sha256(a.tobytes()).hexdigest(),
    }


def mt19937_words():
    out = []
    for seed in [0, 1, 42, 5489, 2**32 + 7]:
        rs = np.random.RandomState(seed & 0xFFFFFFFF)
        # randint over the full uint32 range returns the raw engine word.
        words = rs.randint(0, 2**32, size=1300, dtype=np.uint32)
        out.append({
            "seed": str(seed),
            "first": [int(w) for w in words[:16]],
            "around_twist": [int(w) for w in words[616:632]],  # words 616..631
            "around_second_twist": [int(w) for w in words[1240:1256]],  # words 1240..1255
        })
    return out


def randn_cases():
    cases = []
    for seed in SEEDS:
        for n in COUNTS:
            t = torch.randn(n, generator=generator(seed))
            cases.append({"seed": str(seed), **float32_record(t)})
    return cases


def sequence_cases():
    cases = []
    for seed in SEQUENCE_SEEDS:
        g = generator(seed)
        calls = [float32_record(torch.randn(n, generator=g)) for n in SEQUENCE_SIZES]
        cases.append({"seed": str(seed), "calls": calls})
    return cases


def mixed_case(seed):
    g = generator(seed)
    calls = []

    def f32(kind, t, **extra):
        calls.append({"op": kind, **extra, **float32_record(t)})

    def f64(t):
        calls.append({"op": "randn_double", **float64_record(t)})

    def ints(low, high, n):
        v = torch.randint(low, high, (n,), generator=g, dtype=torch.int64)
        calls.append({"op": "randint", "low": str(low), "high": str(high), "count": n,
                      "values": [str(int(x)) for x in v]})

    f32("randn", torch.randn(3, generator=g))  # leaves a cached double
    f32("rand", torch.rand(5, generator=g))
    f64(torch.randn(1, generator=g, dtype=torch.float64))  # served from the cache
    ints(0, 10, 7)
    f32("randn", torch.randn(17, generator=g))
    f64(torch.randn(3, generator=g, dtype=torch.float64))  # leaves a cached double
    f32("randn", torch.randn(1, generator=g))  # float32 call served from the float64 call's cache
    ints(-(2**40), 2**40, 5)
    f64(torch.randn(20, generator=g, dtype=torch.float64))
    f32("rand", torch.rand(1, generator=g))
    f32("randn", torch.randn(2, generator=g))
    f32("randn", torch.randn(48, generator=g))
    return {"seed": str(seed), "calls": calls}


def rand_cases():
    cases = []
    for seed in SEEDS:
        for n in RAND_COUNTS:
            cases.append({"seed": str(seed), **float32_record(torch.rand(n, generator=generator(seed)))})
    return cases


def randint_cases():
    cases = []
    for seed in [0, 42, 2**64 - 1]:
        for low, high in RANDINT_RANGES:
            v = torch.randint(low, high, (RANDINT_COUNT,), generator=generator(seed), dtype=torch.int64)
            cases.append({"seed": str(seed), "low": str(low), "high": str(high),
                          "values": [str(int(x)) for x in v]})
    return cases


def randn_double_cases():
    cases = []
    for seed in [0, 42, 2**32 + 7, 2**64 - 1]:
        for n in DOUBLE_COUNTS:
            t = torch.randn(n, generator=generator(seed), dtype=torch.float64)
            cases.append({"seed": str(seed), **float64_record(t)})
    return cases


def randn_bf16_cases():
    cases = []
    for seed in SEEDS:
        for shape in BF16_SHAPES:
            b = torch.randn(shape, generator=generator(seed), dtype=torch.bfloat16).float()
            f = torch.randn(shape, generator=generator(seed)).bfloat16().float()
            if not torch.equal(b.view(torch.int32), f.view(torch.int32)):
                sys.exit("bf16 randn differs from float32 randn rounded to bf16 for seed %d shape %s"
                         % (seed, shape))
            cases.append({"seed": str(seed), "shape": list(shape), **float32_record(b)})
    return cases


def default_generator_case():
    g = torch.Generator("cpu")
    if g.initial_seed() != 67280421310721:
        sys.exit("unexpected default generator seed %d" % g.initial_seed())
    return {"seed": str(g.initial_seed()), **float32_record(torch.randn(20, generator=g))}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, "..", "..", "Tests", "DiffSynthTests", "Fixtures", "rng", "torch_randn.json")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=os.path.normpath(default))
    args = parser.parse_args()

    torch.set_num_threads(1)  # not needed for determinism (the kernels are serial), just tidy
    fixtures = {
        "generated_by": "Tools/reference/make_rng_fixtures.py",
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "mt19937": mt19937_words(),
        "randn": randn_cases(),
        "sequences": sequence_cases(),
        "mixed": [mixed_case(0), mixed_case(2**32 + 7)],
        "rand": rand_cases(),
        "randint": randint_cases(),
        "randn_double": randn_double_cases(),
        "randn_bf16": randn_bf16_cases(),
        "default_generator": default_generator_case(),
    }
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w") as f:
        json.dump(fixtures, f, separators=(",", ":"))
        f.write("\n")
    print("wrote %s (%d bytes)" % (args.output, os.path.getsize(args.output)))


if __name__ == "__main__":
    main()

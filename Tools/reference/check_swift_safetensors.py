#!/usr/bin/env python3
"""Checks a safetensors file written by the Swift `SafetensorsWriter` with Python `safetensors`.

The file must hold the "writer" tensors of the fixtures' expected.json (the test
"Writer output equals Python's save_file byte for byte" writes it when the environment
variable DIFFSYNTH_SAFETENSORS_EXPORT names a directory):

    DIFFSYNTH_SAFETENSORS_EXPORT=/tmp swift test -c release -Xswiftc -enable-testing \
        --filter bytesMatchPython
    python3 Tools/reference/check_swift_safetensors.py /tmp/swift_written.safetensors

Loads the file with both `safe_open` and `safetensors.torch.load_file`, compares names,
dtypes, shapes and values (bit for bit against PyTorch's own rounding of the inputs; any NaN
matches any NaN) and metadata, and reports whether the bytes equal the Python-written
fixture. Exit status 0 when everything matches.
"""

import json
import os
import sys

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Tests/DiffSynthTests/Fixtures/safetensors")


def bits(tensor):
    return tensor.float().contiguous().reshape(-1).numpy().view(np.uint32)


def main():
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} FILE.safetensors")
    path = sys.argv[1]
    with open(os.path.join(FIXTURES, "expected.json")) as f:
        writer = json.load(f)["writer"]
    problems = []

    with safe_open(path, "pt") as f:
        if f.metadata() != writer["metadata"]:
            problems.append(f"metadata {f.metadata()} != {writer['metadata']}")
        expected_names = sorted(t["name"] for t in writer["tensors"])
        if sorted(f.keys()) != expected_names:
            problems.append(f"names {sorted(f.keys())} != {expected_names}")
        for spec in writer["tensors"]:
            name = spec["name"]
            if name not in f.keys():
                continue
            dtype = f.get_slice(name).get_dtype()
            if dtype != spec["dtype"]:
                problems.append(f"{name!r}: dtype {dtype} != {spec['dtype']}")

    tensors = load_file(path)
    for spec in writer["tensors"]:
        name = spec["name"]
        if name not in tensors:
            continue
        tensor = tensors[name]
        if list(tensor.shape) != spec["shape"]:
            problems.append(f"{name!r}: shape {list(tensor.shape)} != {spec['shape']}")
            continue
        actual = bits(tensor)
        expected = np.array(spec["stored_f32_bits"], dtype=np.uint32)
        actual_nan = np.isnan(actual.view(np.float32))
        expected_nan = np.isnan(expected.view(np.float32))
        wrong = np.nonzero((actual != expected) & ~(actual_nan & expected_nan))[0]
        if len(wrong):
            problems.append(f"{name!r}: {len(wrong)} values differ, first at index {wrong[0]}")

    with open(path, "rb") as f:
        swift_bytes = f.read()
    with open(os.path.join(FIXTURES, writer["file"]), "rb") as f:
        python_bytes = f.read()
    identical = swift_bytes == python_bytes

    print(f"{path}: loaded {len(tensors)} tensors with safetensors "
          f"{__import__('safetensors').__version__} / torch {torch.__version__}")
    print(f"bytes identical to Python's save_file output ({writer['file']}): {identical}")
    for problem in problems:
        print(f"MISMATCH {problem}")
    print("OK" if not problems else f"FAILED ({len(problems)} problems)")
    sys.exit(0 if not problems else 1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the safetensors test fixtures for Tests/DiffSynthTests/IO/SafetensorsTests.swift.

Valid files are written by the reference implementation (`safetensors.torch.save_file`);
malformed files are hand-made byte strings, each with exactly one defect. `expected.json`
records what the Swift side must read back (Float32 bit patterns, from PyTorch's own `.float()`
and rounding), which Swift error case each malformed file must raise, and what Python's
`safe_open` says about it (for the record: where the two differ, the difference is deliberate
and explained in the Swift sources).

Usage: python3 Tools/reference/make_safetensors_fixtures.py [output dir]
(default: Tests/DiffSynthTests/Fixtures/safetensors next to this script's repository root).
Deterministic: running it twice produces identical files, except that Python orders
`__metadata__` keys arbitrarily in files with several of them.
"""

import json
import os
import shutil
import struct
import sys

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save, save_file

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "Tests/DiffSynthTests/Fixtures/safetensors")


def f32_bits(tensor):
    """Float32 bit patterns of `tensor.float()`, flattened (exact, and NaN-safe in JSON)."""
    return tensor.float().contiguous().reshape(-1).numpy().view(np.uint32).tolist()


def bits_to_f32(bits):
    return torch.from_numpy(np.array(bits, dtype=np.uint32).view(np.float32).copy())


def u16_bits(tensor):
    return tensor.contiguous().view(torch.uint16).reshape(-1).tolist()


def python_verdict(path):
    """What safetensors' own reader says: 'OK' or its error message."""
    try:
        with safe_open(path, "pt") as f:
            for key in f.keys():
                f.get_slice(key)
        return "OK"
    except Exception as error:  # noqa: BLE001 - recording whatever the reference raises
        return f"{type(error).__name__}: {error}"


def all_dtypes():
    """One file holding every dtype the Swift reader widens, plus a scalar, zero-size tensors,
    one dtype it cannot widen (C64), and __metadata__."""
    nan, inf = float("nan"), float("inf")
    floats = [1.5, -2.25, 3.4028235e38, 1e-45, -0.0, inf, -inf, nan]
    tensors = {
        "f32": torch.tensor(floats, dtype=torch.float32).reshape(2, 4),
        "f16": torch.tensor([0.1, -65504.0, 2.0**-24, 6.1e-5, -0.0, inf, nan, 1.0], dtype=torch.float16),
        "bf16": torch.tensor([0.1, -3.0e38, 1e-40, -0.0, -inf, 7.0], dtype=torch.bfloat16).reshape(3, 2),
        "f64": torch.tensor([1.0000000001, 1e300, -1e-50, 0.1, nan, 16777217.0], dtype=torch.float64),
        "i64": torch.tensor([0, -1, 2**24 + 1, 2**53, -(2**63), 2**63 - 1], dtype=torch.int64),
        "i32": torch.tensor([0, -1, 2**31 - 1, -(2**31), 16777217], dtype=torch.int32),
        "i16": torch.tensor([0, -1, 32767, -32768], dtype=torch.int16),
        "i8": torch.tensor([0, -1, 127, -128], dtype=torch.int8),
        "u8": torch.tensor([0, 1, 128, 255], dtype=torch.uint8),
        "u16": torch.tensor([0, 1, 65535], dtype=torch.uint16),
        "u32": torch.tensor([0, 1, 2**32 - 1], dtype=torch.uint32),
        "u64": torch.tensor([0, 1, 2**64 - 1], dtype=torch.uint64),
        "bool": torch.tensor([[True, False, True], [False, False, True]]),
        "f8_e4m3": torch.arange(256, dtype=torch.int32).to(torch.uint8).view(torch.float8_e4m3fn).reshape(16, 16),
        "f8_e5m2": torch.arange(256, dtype=torch.int32).to(torch.uint8).view(torch.float8_e5m2),
        "scalar": torch.tensor(3.5, dtype=torch.float32),
        "empty_f32": torch.zeros(0, 3, dtype=torch.float32),
        "empty_bf16": torch.zeros(2, 0, dtype=torch.bfloat16),
        "complex": torch.tensor([1 + 2j], dtype=torch.complex64),
    }
    metadata = {"format": "pt", "note": "every dtype"}
    path = os.path.join(OUT, "all_dtypes.safetensors")
    save_file(tensors, path, metadata=metadata)
    expected = {}
    for name, tensor in tensors.items():
        entry = {"shape": list(tensor.shape)}
        if tensor.dtype == torch.complex64:
            entry["dtype"] = "C64"
            entry["raw_bytes_hex"] = tensor.numpy().tobytes().hex()
        elif tensor.dtype in (torch.uint16, torch.uint32, torch.uint64):
            # Unsigned conversions through numpy, which rounds to nearest like PyTorch.
            entry["f32_bits"] = tensor.numpy().astype(np.float32).reshape(-1).view(np.uint32).tolist()
        else:
            entry["f32_bits"] = f32_bits(tensor)
        expected[name] = entry
    with safe_open(path, "pt") as f:
        for name in expected:
            expected[name]["dtype"] = f.get_slice(name).get_dtype()
    return {"file": "all_dtypes.safetensors", "metadata": metadata, "tensors": expected}


def rounding():
    """Float32 inputs and what PyTorch makes of them as BF16 and F16: ties, overflow,
    subnormals, signed zeros, infinities, NaN, and random values across magnitudes."""
    special = [
        1.0 + 2.0**-8, 1.0 + 3 * 2.0**-8, -(1.0 + 2.0**-8),  # BF16 ties to even (down, up)
        1.0 + 2.0**-11, 1.0 + 3 * 2.0**-11,  # F16 ties to even
        3.4028235e38, 3.3895314e38, 3.3961776e38,  # BF16 near overflow
        65504.0, 65519.0, 65520.0, 1e5,  # F16 max, below and at the overflow tie, beyond
        2.0**-24, 2.0**-25, 3 * 2.0**-26, 2.0**-14 - 2.0**-25, 1e-8,  # F16 subnormals and ties to zero
        1e-40, 1e-45, 9.2e-41,  # Float32 subnormals
        0.0, -0.0, float("inf"), float("-inf"), float("nan"),
        0.1, -0.1, 1.0 / 3.0, 123456.789, -7.0,
    ]
    generator = torch.Generator().manual_seed(1234)
    randoms = (torch.randn(400, generator=generator) * torch.exp2(torch.randint(-30, 30, (400,), generator=generator).float())).tolist()
    inputs = torch.tensor(special + randoms, dtype=torch.float32)
    return {
        "inputs_f32_bits": f32_bits(inputs),
        "bf16_bits": u16_bits(inputs.bfloat16()),
        "f16_bits": u16_bits(inputs.half()),
        "bf16_as_f32_bits": f32_bits(inputs.bfloat16()),
        "f16_as_f32_bits": f32_bits(inputs.half()),
    }


def writer_parity():
    """Tensors the Swift writer must reproduce byte for byte. No NaN in BF16: PyTorch's
    vectorised CPU path turns every NaN into 0xFFFF, its scalar path into 0x7FC0, and the
    Swift narrowing keeps the sign and payload; all are NaN, but the bytes differ."""
    generator = torch.Generator().manual_seed(7)
    specs = [
        ("weight", "F32", [3, 4]),
        ("bias", "F16", [4]),
        ("norm.scale", "BF16", [2, 2, 2]),
        ("alpha", "F32", []),
        ("empty", "BF16", [0, 5]),
        ("Zeta", "F16", [2, 3]),
        ("a\u00e9\"\\/\n\x01", "F32", [1]),  # escaping and UTF-8 in names
        ("emb.0", "BF16", [5]),
    ]
    dtypes = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
    inputs = {}
    tensors = {}
    for name, dtype, shape in specs:
        values = torch.randn(shape, generator=generator) * 3
        if name == "weight":
            values = values.reshape(-1)
            values[0], values[1], values[2] = float("inf"), float("nan"), -0.0
            values = values.reshape(shape)
        inputs[name] = values
        tensors[name] = values.to(dtypes[dtype])
    metadata = {"format": "pt"}
    save_file(tensors, os.path.join(OUT, "python_written.safetensors"), metadata=metadata)
    multi = {"format": "pt", "step": "1000", "ünïcode": "välue \"quoted\"\n"}
    save_file(tensors, os.path.join(OUT, "python_written_multi_metadata.safetensors"), metadata=multi)
    return {
        "file": "python_written.safetensors",
        "metadata": metadata,
        "multi_metadata_file": "python_written_multi_metadata.safetensors",
        "multi_metadata": multi,
        "tensors": [
            {
                "name": name,
                "dtype": dtype,
                "shape": shape,
                "input_f32_bits": f32_bits(inputs[name]),
                "stored_f32_bits": f32_bits(tensors[name]),
            }
            for name, dtype, shape in specs
        ],
    }


def sharded():
    """Diffusers-style sharded folders: a valid one and three broken variants, plus a folder
    with a plain and an fp16 variant checkpoint."""
    generator = torch.Generator().manual_seed(3)
    shard_a = {"down.0.weight": torch.randn(2, 3, generator=generator), "down.0.bias": torch.randn(2, generator=generator)}
    shard_b = {"up.0.weight": torch.randn(3, 2, generator=generator).bfloat16(), "up.0.bias": torch.randn(3, generator=generator)}
    names = ["diffusion_pytorch_model-00001-of-00002.safetensors", "diffusion_pytorch_model-00002-of-00002.safetensors"]
    index_name = "diffusion_pytorch_model.safetensors.index.json"

    def make(folder, shards, weight_map):
        directory = os.path.join(OUT, folder)
        os.makedirs(directory, exist_ok=True)
        for file_name, content in shards.items():
            save_file(content, os.path.join(directory, file_name), metadata={"format": "pt"})
        index = {"metadata": {"total_size": 60}, "weight_map": weight_map}
        with open(os.path.join(directory, index_name), "w") as f:
            json.dump(index, f, indent=2, sort_keys=True)

    weight_map = {**{k: names[0] for k in shard_a}, **{k: names[1] for k in shard_b}}
    make("sharded", {names[0]: shard_a, names[1]: shard_b}, weight_map)
    make("sharded_missing_shard", {names[0]: shard_a}, weight_map)
    make("sharded_missing_tensor", {names[0]: shard_a, names[1]: shard_b},
         {**weight_map, "mid.weight": names[1]})
    make("sharded_unindexed", {names[0]: {**shard_a, "extra.weight": torch.ones(2)}, names[1]: shard_b}, weight_map)

    variant = os.path.join(OUT, "variant")
    os.makedirs(variant, exist_ok=True)
    full = {"w": torch.tensor([1.0, 2.0, 3.0])}
    save_file(full, os.path.join(variant, "diffusion_pytorch_model.safetensors"))
    save_file({"w": full["w"].half()}, os.path.join(variant, "diffusion_pytorch_model.fp16.safetensors"))

    all_tensors = {**shard_a, **shard_b}
    return {
        "index": index_name,
        "tensors": {k: {"shape": list(v.shape), "f32_bits": f32_bits(v)} for k, v in all_tensors.items()},
        "missing_shard": names[1],
        "missing_tensor": "mid.weight",
        "unindexed": ["extra.weight"],
    }


def malformed():
    """One defect per file. Each entry: the Swift error case, the tensor it must name (or
    null), and Python's verdict."""
    directory = os.path.join(OUT, "malformed")
    os.makedirs(directory, exist_ok=True)

    def raw(header, data, length=None):
        header = header.encode() if isinstance(header, str) else header
        return struct.pack("<Q", len(header) if length is None else length) + header + data

    def info(dtype, shape, begin, end):
        return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}

    def js(obj):
        return json.dumps(obj, separators=(",", ":"))

    valid = save({"a": torch.arange(4, dtype=torch.float32), "b": torch.ones(3, dtype=torch.float32)})
    two = js({"a": info("F32", [2], 0, 8), "b": info("F32", [2], 8, 16)})
    cases = {
        "truncated": (valid[:-5], "dataOutOfRange", "b"),
        "file_too_small": (b"\x10\x00\x00", "fileTooSmall", None),
        "header_length_zero": (raw(b"", b""), "emptyHeader", None),
        "header_beyond_file": (raw(two, bytes(16), length=len(two) + 100), "headerBeyondFile", None),
        "header_too_large": (raw("{}", b"", length=100_000_001), "headerTooLarge", None),
        "offsets_out_of_range": (raw(js({"a": info("F32", [2], 0, 8), "b": info("F32", [1000], 8, 4008)}), bytes(16)),
                                 "dataOutOfRange", "b"),
        "overlapping_offsets": (raw(js({"a": info("F32", [2], 0, 8), "b": info("F32", [2], 4, 12)}), bytes(12)),
                                "overlappingData", "b"),
        "gap_between_tensors": (raw(js({"a": info("F32", [2], 0, 8), "b": info("F32", [2], 12, 20)}), bytes(20)),
                                "gapInData", "b"),
        "gap_at_start": (raw(js({"a": info("F32", [2], 4, 12)}), bytes(12)), "gapInData", "a"),
        "trailing_data": (raw(two, bytes(20)), "uncoveredData", None),
        "shape_mismatch": (raw(js({"a.weight": info("F32", [2, 2], 0, 10)}), bytes(10)), "sizeMismatch", "a.weight"),
        "reversed_offsets": (raw(js({"a": info("F32", [0], 8, 4)}), bytes(8)), "invalidOffsets", "a"),
        "three_offsets": (raw('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,4]}}', bytes(4)), "invalidOffsets", "a"),
        "shape_overflow": (raw(js({"a": info("F32", [2**32, 2**32], 0, 4)}), bytes(4)), "sizeOverflow", "a"),
        "misaligned_f4": (raw(js({"a": info("F4", [3], 0, 2)}), bytes(2)), "misalignedSubByte", "a"),
        "invalid_utf8": (raw(b'{"a\xff":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', bytes(4)), "invalidUTF8", None),
        "invalid_json": (raw('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}', bytes(4)), "invalidJSON", None),
        "trailing_garbage": (raw('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}x', bytes(4)), "invalidJSON", None),
        "leading_whitespace": (raw(' {"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', bytes(4)), "invalidJSON", None),
        "lone_surrogate": (raw('{"\\ud800":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', bytes(4)), "invalidJSON", None),
        "deep_nesting": (raw('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":' + "[" * 200 + "]" * 200 + "}}", bytes(4)),
                         "invalidJSON", None),
        "not_an_object": (raw("[]", b""), "invalidJSON", None),
        "unknown_dtype": (raw(js({"a": info("F31", [1], 0, 4)}), bytes(4)), "unknownDType", "a"),
        "duplicate_names": (raw('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                                '"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', bytes(8)), "duplicateName", "a"),
        "duplicate_names_same_offsets": (raw('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                                             '"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', bytes(4)),
                                         "duplicateName", "a"),
        "duplicate_escaped_names": (raw('{"\\u0061":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                                        '"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', bytes(8)), "duplicateName", "a"),
        "duplicate_metadata_key": (raw('{"__metadata__":{"k":"1","k":"2"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}',
                                       bytes(4)), "duplicateMetadataKey", None),
        "duplicate_field": (raw('{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}', bytes(4)),
                            "invalidHeader", "a"),
        "missing_field": (raw('{"a":{"dtype":"F32","shape":[1]}}', bytes(4)), "invalidHeader", "a"),
        "tensor_not_object": (raw('{"a":null}', b""), "invalidHeader", "a"),
        "metadata_not_string": (raw('{"__metadata__":{"k":1},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', bytes(4)),
                                "invalidHeader", None),
        "negative_shape": (raw(js({"a": info("F32", [-1], 0, 4)}), bytes(4)), "invalidShape", "a"),
        "fractional_shape": (raw('{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}', bytes(4)), "invalidShape", "a"),
        "huge_shape": (raw('{"a":{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,4]}}', bytes(4)),
                       "invalidShape", "a"),
    }
    expected = {}
    for name, (content, error, tensor) in cases.items():
        file_name = f"{name}.safetensors"
        path = os.path.join(directory, file_name)
        with open(path, "wb") as f:
            f.write(content)
        expected[name] = {"file": f"malformed/{file_name}", "error": error, "tensor": tensor,
                          "python": python_verdict(path)}
    return expected


def main():
    if os.path.isdir(OUT):
        # Only ever clear a previous fixture directory, never an arbitrary one passed by mistake.
        if os.listdir(OUT) and not os.path.exists(os.path.join(OUT, "expected.json")):
            sys.exit(f"{OUT} exists and is not a safetensors fixture directory; refusing to clear it")
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    expected = {
        "generator": f"safetensors {__import__('safetensors').__version__}, torch {torch.__version__}",
        "all_dtypes": all_dtypes(),
        "rounding": rounding(),
        "writer": writer_parity(),
        "sharded": sharded(),
        "malformed": malformed(),
    }
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True, ensure_ascii=True)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(OUT) for n in ns)
    print(f"wrote fixtures to {OUT} ({total} bytes)")
    for name, case in expected["malformed"].items():
        print(f"  {name:30} swift: {case['error']:20} python: {case['python'][:90]}")


if __name__ == "__main__":
    main()

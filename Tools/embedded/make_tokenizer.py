"""Builds the embedded model's tokenizer (Models/qwen-image-shapes/tokenizer): a Qwen2-format
byte-level BPE trained, like the test fixtures' one, on Qwen-Image's prompt template — so the
template's prefix is the same 34 tokens the pipeline drops — and here also on every caption of
the shapes world, so each word of a caption is one token (as "red" or "circle" are in the real
Qwen2 vocabulary). Its size stays within the text encoder's 441 embeddings.

Run from the repository root (needs tokenizers, transformers):
    python3 Tools/embedded/make_tokenizer.py
"""
import itertools
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
from qwen_image_fixtures import TEMPLATE, build_tokenizer  # noqa: E402

# The world of `diffsynth shapes` (Sources/Host/Demo/Shapes.swift).
KINDS = ["circle", "square", "triangle", "ring"]
COLORS = ["red", "green", "blue", "yellow", "purple", "orange", "white", "black"]
SIZES = ["small", "large"]
POSITIONS = ["in the center", "on the left", "on the right", "at the top", "at the bottom"]
CAPTIONS = [f"a {s} {c} {k} {p} on a {b} background"
            for k, c, b, s, p in itertools.product(KINDS, COLORS, COLORS, SIZES, POSITIONS) if b != c]
FOLDER = "Models/qwen-image-shapes/tokenizer"
EMBEDDINGS = 441

if __name__ == "__main__":
    tokenizer = build_tokenizer(FOLDER, corpus=[TEMPLATE.format(c) for c in CAPTIONS], vocab_size=EMBEDDINGS)
    prefix = tokenizer(TEMPLATE.format("x"))["input_ids"]
    words = sorted({w for c in CAPTIONS for w in c.split()})
    split = [w for w in words if len(tokenizer.tokenize(" " + w)) != 1]
    print(f"{len(tokenizer)} tokens; template prefix {prefix.index(tokenizer.convert_tokens_to_ids('x'))} tokens; "
          f"words spelled in pieces: {split or 'none'}")
    assert len(tokenizer) <= EMBEDDINGS and not split

"""Loads the embedded model's VAE with diffusers (the reference implementation) and measures how
well its reconstructions keep what the captions say — the ceiling of the teacher's prompt
adherence — with a Python copy of the reader in Sources/Host/Demo/Shapes.swift.

Run from the repository root after `diffsynth shapes --output_path DIR ...` (needs torch, diffusers):
    python3 Tools/embedded/check_vae.py DIR [COUNT]
"""
import csv
import sys
from collections import deque

import numpy as np
import torch
from diffusers import AutoencoderKLQwenImage
from PIL import Image

PALETTE = {"red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 80, 220), "yellow": (235, 210, 40),
           "purple": (140, 50, 170), "orange": (240, 120, 20), "white": (245, 245, 245), "black": (20, 20, 20)}


def read(image):
    """(colour, kind) of the object, as Shapes.read in Swift."""
    a = image.astype(int)
    h, w, _ = a.shape
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    background = np.array([sorted(border[:, c])[len(border) // 2] for c in range(3)])
    candidate = ((a - background) ** 2).sum(-1) > 45 * 45
    if candidate.sum() < 6:
        return ("none", None)
    estimate = np.array([sorted(a[candidate][:, c])[candidate.sum() // 2] for c in range(3)])
    body = candidate & (((a - estimate) ** 2).sum(-1) < ((a - background) ** 2).sum(-1))
    seen = np.zeros_like(body)
    largest = []
    for y in range(h):
        for x in range(w):
            if body[y, x] and not seen[y, x]:
                region, queue = [], deque([(y, x)])
                seen[y, x] = True
                while queue:
                    cy, cx = queue.popleft()
                    region.append((cy, cx))
                    for ny, nx in ((cy, cx - 1), (cy, cx + 1), (cy - 1, cx), (cy + 1, cx)):
                        if 0 <= ny < h and 0 <= nx < w and body[ny, nx] and not seen[ny, nx]:
                            seen[ny, nx] = True
                            queue.append((ny, nx))
                if len(region) > len(largest):
                    largest = region
    if len(largest) < 6:
        return ("none", None)
    ys, xs = np.array([p[0] for p in largest]), np.array([p[1] for p in largest])
    mean = a[ys, xs].sum(0) // len(largest)
    color = min(PALETTE, key=lambda k: ((np.array(PALETTE[k]) - mean) ** 2).sum())
    fill = len(largest) / ((xs.max() - xs.min() + 1) * (ys.max() - ys.min() + 1))
    above, below = (2 * ys < ys.min() + ys.max()).sum(), (2 * ys > ys.min() + ys.max()).sum()
    region = np.zeros_like(body)
    region[ys, xs] = True
    hollow = not region[(ys.min() + ys.max()) // 2, (xs.min() + xs.max()) // 2]
    kind = "ring" if hollow else "triangle" if above < 0.8 * max(below, 1) else "square" if fill > 0.86 else "circle"
    return (color, kind)


if __name__ == "__main__":
    data, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 400
    vae = AutoencoderKLQwenImage.from_pretrained("Models/qwen-image-shapes/vae").float().eval()
    rows = list(csv.DictReader(open(f"{data}/metadata.csv")))[:count]
    original = reconstructed = 0
    for row in rows:
        image = np.array(Image.open(f"{data}/{row['image']}").convert("RGB"))
        x = torch.tensor(image).permute(2, 0, 1)[None, :, None].float() / 127.5 - 1
        with torch.no_grad():
            y = vae.decode(vae.encode(x).latent_dist.mean).sample[0, :, 0].clamp(-1, 1)
        decoded = ((y.permute(1, 2, 0) + 1) * 127.5).round().byte().numpy()
        words = row["prompt"].split()
        want = (words[2], words[3])
        original += read(image) == want
        reconstructed += read(decoded) == want
    print(f"reader on the pictures: {original}/{len(rows)}; on the VAE's reconstructions: {reconstructed}/{len(rows)}")

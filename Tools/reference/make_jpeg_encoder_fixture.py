"""What `diffsynth dataset --image_format jpg` must write: PIL's `image.save("x.jpg")`.

DiffSynth-Studio's examples save dataset images with PIL's defaults (quality 75, 4:2:0). Writes
Tests/DiffSynthTests/Fixtures/images/jpeg_encoder/: source.rgb (a 45x29 photo-like RGB image, odd
in both sides so partial MCUs are covered) and PIL's JPEG of it at the default quality and at
quality 90 (pil_q75.jpg, pil_q90.jpg). Made with Pillow 13.0.0 (bundled libjpeg-turbo 3.x).
Run from the repository root: python3 Tools/reference/make_jpeg_encoder_fixture.py
"""
import io
import os

import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "DiffSynthTests", "Fixtures", "images", "jpeg_encoder")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(75)
h, w = 29, 45
y, x = np.mgrid[0:h, 0:w].astype(np.float64)
pixels = np.stack([128 + 90 * np.cos(x / 4.0) * np.sin(y / 6.0), 255 * y / h, 200 * ((x + y) % 11 < 5)], axis=-1)
pixels = np.clip(pixels + rng.normal(0, 8, size=(h, w, 3)), 0, 255).astype(np.uint8)
image = Image.fromarray(pixels, "RGB")
open(os.path.join(OUT, "source.rgb"), "wb").write(pixels.tobytes())
for name, options in [("pil_q75.jpg", {}), ("pil_q90.jpg", {"quality": 90})]:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **options)
    open(os.path.join(OUT, name), "wb").write(buffer.getvalue())
print(OUT, sorted(os.listdir(OUT)))

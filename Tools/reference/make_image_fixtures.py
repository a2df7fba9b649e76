"""Reference fixtures for the image I/O, resize and tensor-conversion code, made with PIL.

Writes Tests/DiffSynthTests/Fixtures/images/:
  * png/*.png and the PIL `convert("RGB")` bytes of each as png/*.rgb, listed in png_cases.json.
    The PNGs are written by a small encoder here (not PIL's) so that every colour type, bit
    depth, filter type (rows cycle through filters 0-4), Adam7 interlacing, stored/fixed/dynamic
    deflate blocks and split IDAT chunks are covered; one PNG is PIL's own output.
  * jpeg/*.jpg with the PIL `convert("RGB")` bytes (listed in jpeg_cases.json).
  * resize/*.rgb: sources and PIL `Image.resize(size, BILINEAR)` results (checked equal to
    torchvision's `functional.resize` on the PIL image, which is what DiffSynth calls), and
    DiffSynth `ImageCropAndResize` outputs; listed in resize_cases.json. Pillow 13 runs the
    vertical pass first when the height shrinks by more than twice as many pixels as the width
    (python-pillow/Pillow#9549); 37x23 -> 100x3 and 64x48 -> 60x10 take that path, the others the
    classic horizontal-first one. Older Pillow releases would give slightly different bytes for
    those two cases.
  * target_sizes.json: `ImageCropAndResize.get_height_width` for the spec's examples and more.
  * tensor_values.json: torch float32 bit patterns of `x * (2/255) - 1` for every byte, and
    `vae_output_to_image` / diffusers post-processing of assorted float32 values.

Made with Pillow 13.0.0, torch 2.15.0, torchvision 0.29.2. Run from the repository root:
    python3 Tools/reference/make_image_fixtures.py
"""
import io
import json
import os
import struct
import warnings
import zlib

import numpy as np
import torch
import torchvision
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "DiffSynthTests", "Fixtures", "images")
rng = np.random.default_rng(20240601)
# PIL warns that palette images with byte-string transparency should become RGBA; irrelevant here.
warnings.filterwarnings("ignore", message="Palette images with Transparency")


def write(rel, data):
    path = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


# ---------------------------------------------------------------------------------------------
# A minimal PNG writer that exercises every filter type (PIL's encoder only ever uses one).

def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def pack_rows(samples, bit_depth):
    h, w, c = samples.shape
    rows = []
    for y in range(h):
        vals = [int(v) for v in samples[y].reshape(-1)]
        if bit_depth == 16:
            rows.append(b"".join(struct.pack(">H", v) for v in vals))
        elif bit_depth == 8:
            rows.append(bytes(vals))
        else:
            per = 8 // bit_depth
            out = bytearray((len(vals) * bit_depth + 7) // 8)
            for i, v in enumerate(vals):
                out[i // per] |= v << (8 - bit_depth * (i % per + 1))
            rows.append(bytes(out))
    return rows


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_rows(rows, bpp):
    out = bytearray()
    prev = bytes(len(rows[0]))
    for i, r in enumerate(rows):
        kind = i % 5
        out.append(kind)
        for x in range(len(r)):
            a = r[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            pred = (0, a, b, (a + b) // 2, paeth(a, b, c))[kind]
            out.append((r[x] - pred) & 0xFF)
        prev = r
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def make_png(samples, color_type, bit_depth, palette=None, trns=None, interlace=False, level=9, idat_split=None):
    h, w, c = samples.shape
    bpp = max(1, c * bit_depth // 8)
    if interlace:
        raw = b""
        for (x0, y0, dx, dy) in ADAM7:
            sub = samples[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                raw += filter_rows(pack_rows(sub, bit_depth), bpp)
    else:
        raw = filter_rows(pack_rows(samples, bit_depth), bpp)
    z = zlib.compress(raw, level)
    out = b"\x89PNG\r\n\x1a\n"
    out += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 1 if interlace else 0))
    out += chunk(b"tEXt", b"Comment\x00fixture")  # an ancillary chunk the decoder must skip
    if palette is not None:
        out += chunk(b"PLTE", bytes(palette))
    if trns is not None:
        out += chunk(b"tRNS", trns)
    step = idat_split or len(z)
    for i in range(0, len(z), step):
        out += chunk(b"IDAT", z[i:i + step])
    return out + chunk(b"IEND", b"")


def samples(h, w, c, maximum):
    """Smooth ramps plus noise, so both filters and Huffman coding see realistic data."""
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([(x * 7 + y * 3 + k * 11) for k in range(c)], axis=-1).astype(np.float64)
    base = base / max(base.max(), 1) * maximum
    noise = rng.integers(-maximum // 8 - 1, maximum // 8 + 2, size=(h, w, c))
    return np.clip(base + noise, 0, maximum).astype(np.int64)


def palette_entries(n):
    return [int(v) for v in rng.integers(0, 256, size=3 * n)]


png_cases = []


def add_png(name, data):
    write(f"png/{name}.png", data)
    im = Image.open(io.BytesIO(data))
    rgb = im.convert("RGB")
    write(f"png/{name}.rgb", rgb.tobytes())
    png_cases.append({"name": name, "width": rgb.width, "height": rgb.height, "pilMode": im.mode})


def build_pngs():
    for depth in (1, 2, 4, 8):
        add_png(f"gray{depth}", make_png(samples(9, 13, 1, (1 << depth) - 1), 0, depth))
    # 16-bit grey: PIL opens it as I;16 and convert("RGB") clips to 255, so mix small and large values.
    g16 = samples(9, 13, 1, 600)
    g16[0, :4, 0] = [65535, 256, 255, 0]
    add_png("gray16", make_png(g16, 0, 16))
    add_png("gray8_trns", make_png(samples(6, 7, 1, 255), 0, 8, trns=b"\x00\x10"))
    add_png("graya8", make_png(samples(9, 13, 2, 255), 4, 8))
    add_png("graya16", make_png(samples(9, 13, 2, 65535), 4, 16))
    add_png("rgb8", make_png(samples(9, 13, 3, 255), 2, 8))
    add_png("rgb16", make_png(samples(9, 13, 3, 65535), 2, 16))
    add_png("rgb8_trns", make_png(samples(6, 7, 3, 255), 2, 8, trns=b"\x00\x01\x00\x02\x00\x03"))
    add_png("rgba8", make_png(samples(9, 13, 4, 255), 6, 8))
    add_png("rgba16", make_png(samples(9, 13, 4, 65535), 6, 16))
    for depth in (1, 2, 4, 8):
        n = 1 << depth
        idx = rng.integers(0, n, size=(9, 13, 1))
        add_png(f"pal{depth}", make_png(idx, 3, depth, palette=palette_entries(n)))
    # Short palette: indices past its end decode as black in PIL.
    idx = rng.integers(0, 12, size=(6, 7, 1))
    add_png("pal8_short_trns", make_png(idx, 3, 8, palette=palette_entries(5), trns=b"\x00\x80\xff"))
    # Adam7, including images so small that some passes are empty.
    add_png("rgb8_adam7", make_png(samples(9, 13, 3, 255), 2, 8, interlace=True))
    add_png("gray4_adam7", make_png(samples(7, 11, 1, 15), 0, 4, interlace=True))
    add_png("rgba16_adam7", make_png(samples(10, 6, 4, 65535), 6, 16, interlace=True))
    add_png("pal2_adam7_3x2", make_png(rng.integers(0, 4, size=(2, 3, 1)), 3, 2, palette=palette_entries(4), interlace=True))
    add_png("rgb8_adam7_1x1", make_png(samples(1, 1, 3, 255), 2, 8, interlace=True))
    # Deflate block kinds and chunking.
    add_png("rgb8_stored", make_png(samples(9, 13, 3, 255), 2, 8, level=0))
    add_png("rgb8_split_idat", make_png(samples(16, 20, 3, 255), 2, 8, idat_split=37))
    # PIL's own encoder (zlib dynamic Huffman blocks, single filter type).
    im = Image.fromarray(samples(30, 40, 3, 255).astype(np.uint8), "RGB")
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=True)
    add_png("rgb8_pil", buf.getvalue())


# ---------------------------------------------------------------------------------------------
# JPEG

def photo(h, w):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 128 + 100 * np.sin(x / 5.0) * np.cos(y / 7.0)
    g = 255 * x / w
    b = 255 * ((x - w / 2) ** 2 + (y - h / 2) ** 2 < (h / 3) ** 2)
    img = np.stack([r, g, b], axis=-1) + rng.normal(0, 6, size=(h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


jpeg_cases = []


def add_jpeg(name, im, **options):
    buf = io.BytesIO()
    im.save(buf, "JPEG", **options)
    data = buf.getvalue()
    write(f"jpeg/{name}.jpg", data)
    decoded = Image.open(io.BytesIO(data))
    rgb = decoded.convert("RGB")
    write(f"jpeg/{name}.rgb", rgb.tobytes())
    jpeg_cases.append({"name": name, "width": rgb.width, "height": rgb.height, "pilMode": decoded.mode})


def build_jpegs():
    base = Image.fromarray(photo(24, 32), "RGB")
    add_jpeg("rgb420", base, quality=90)
    add_jpeg("rgb444", base, quality=95, subsampling=0)
    add_jpeg("progressive", base, quality=85, progressive=True)
    add_jpeg("gray", base.convert("L"), quality=90)
    add_jpeg("cmyk", base.convert("CMYK"), quality=90)
    add_jpeg("odd_size", Image.fromarray(photo(13, 17), "RGB"), quality=80)


# ---------------------------------------------------------------------------------------------
# Resize and DiffSynth ImageCropAndResize

def crop_and_resize(image, target_height, target_width):
    # DiffSynth-Studio diffsynth/core/data/operators.py, ImageCropAndResize.crop_and_resize.
    width, height = image.size
    scale = max(target_width / width, target_height / height)
    image = torchvision.transforms.functional.resize(
        image, (round(height * scale), round(width * scale)),
        interpolation=torchvision.transforms.InterpolationMode.BILINEAR)
    return torchvision.transforms.functional.center_crop(image, (target_height, target_width))


def get_height_width(size, height, width, max_pixels, hf, wf):
    # DiffSynth-Studio ImageCropAndResize.get_height_width.
    if height is None or width is None:
        width, height = size
        if width * height > max_pixels:
            scale = (width * height / max_pixels) ** 0.5
            height, width = int(height / scale), int(width / scale)
        height = height // hf * hf
        width = width // wf * wf
    return height, width


resize_cases = []
crop_cases = []


def build_resize():
    sources = {}
    for (w, h) in ((37, 23), (64, 48), (15, 10)):
        arr = samples(h, w, 3, 255).astype(np.uint8)
        sources[(w, h)] = Image.fromarray(arr, "RGB")
        write(f"resize/src_{w}x{h}.rgb", arr.tobytes())
    for (sw, sh), (ow, oh) in [((37, 23), (16, 16)), ((64, 48), (20, 30)), ((15, 10), (40, 25)),
                               ((64, 48), (64, 20)), ((64, 48), (30, 48)), ((64, 48), (7, 5)),
                               ((37, 23), (100, 3)), ((64, 48), (60, 10)), ((15, 10), (15, 10)),
                               ((37, 23), (36, 22))]:
        src = sources[(sw, sh)]
        out = src.resize((ow, oh), Image.BILINEAR)
        via_tv = torchvision.transforms.functional.resize(
            src, [oh, ow], interpolation=torchvision.transforms.InterpolationMode.BILINEAR)
        assert out.tobytes() == via_tv.tobytes()
        name = f"resize/{sw}x{sh}_to_{ow}x{oh}.rgb"
        write(name, out.tobytes())
        resize_cases.append({"source": f"resize/src_{sw}x{sh}.rgb", "sourceWidth": sw, "sourceHeight": sh,
                             "width": ow, "height": oh, "expected": name})
    for (sw, sh), height, width, max_pixels, f in [((64, 48), 32, 32, None, 16), ((64, 48), None, None, 1000, 16),
                                                   ((37, 23), 24, 16, None, 16), ((15, 10), 60, 40, None, 16),
                                                   ((37, 23), 23, 37, None, 16), ((37, 23), None, None, 5000, 8),
                                                   ((37, 23), None, None, 10000, 4)]:
        src = sources[(sw, sh)]
        th, tw = get_height_width(src.size, height, width, max_pixels, f, f)
        out = crop_and_resize(src, th, tw)
        scale = max(tw / sw, th / sh)
        resized = (round(sh * scale), round(sw * scale)) != (sh, sw)
        name = f"resize/crop_{sw}x{sh}_{height}_{width}_{max_pixels}_{f}.rgb"
        write(name, out.tobytes())
        crop_cases.append({"source": f"resize/src_{sw}x{sh}.rgb", "sourceWidth": sw, "sourceHeight": sh,
                           "height": height, "width": width, "maxPixels": max_pixels, "divisor": f,
                           "targetWidth": tw, "targetHeight": th, "resized": resized, "expected": name})


def build_target_sizes():
    cases = []
    for (w, h) in ((1920, 1080), (1328, 1328), (1000, 700), (4000, 3000), (1024, 1024), (500, 300),
                   (1025, 1023), (3000, 4000), (17, 9), (1048577, 1), (12345, 678)):
        for f in (16, 32):
            th, tw = get_height_width((w, h), None, None, 1048576, f, f)
            cases.append({"width": w, "height": h, "maxPixels": 1048576, "divisor": f, "targetWidth": tw, "targetHeight": th})
    th, tw = get_height_width((4000, 3000), 1328, 1328, 1048576, 16, 16)
    cases.append({"width": 4000, "height": 3000, "fixedHeight": 1328, "fixedWidth": 1328, "maxPixels": 1048576,
                  "divisor": 16, "targetWidth": tw, "targetHeight": th})
    th, tw = get_height_width((4000, 3000), 1000, 700, 1048576, 16, 16)
    cases.append({"width": 4000, "height": 3000, "fixedHeight": 1000, "fixedWidth": 700, "maxPixels": 1048576,
                  "divisor": 16, "targetWidth": tw, "targetHeight": th})
    # Only one of height/width given: DiffSynth falls back to the dynamic rule.
    th, tw = get_height_width((1920, 1080), 512, None, 1048576, 16, 16)
    cases.append({"width": 1920, "height": 1080, "fixedHeight": 512, "maxPixels": 1048576,
                  "divisor": 16, "targetWidth": tw, "targetHeight": th})
    with open(os.path.join(OUT, "target_sizes.json"), "w") as f:
        json.dump(cases, f, indent=1)


def bits(t):
    return [int(v) for v in t.contiguous().view(torch.int32).reshape(-1).tolist()]


def build_tensor_values():
    x = torch.arange(256, dtype=torch.float32)
    preprocess = x * (2 / 255) - 1  # DiffSynth preprocess_image in float32
    special = [-1.0, 1.0, 0.0, -0.0, 1e-8, -1e-8, 0.99999, 1.00001, -1.00001, -0.99999, 5.0, -5.0,
               0.5, -0.5, 1 / 255, 2 / 255, -1 + 1 / 255, 0.0019607843, 0.0058823530, -0.0019607843]
    rand = torch.empty(150).uniform_(-1.2, 1.2, generator=torch.Generator().manual_seed(7)).tolist()
    values = torch.cat([preprocess, torch.tensor(special + rand, dtype=torch.float32)])
    diffsynth = ((values + 1) * 127.5).clip(0, 255).to(torch.uint8)
    diffusers = ((values / 2 + 0.5).clamp(0, 1).numpy() * 255).round().astype("uint8")
    with open(os.path.join(OUT, "tensor_values.json"), "w") as f:
        json.dump({"preprocessBits": bits(preprocess), "outputBits": bits(values),
                   "diffsynthBytes": diffsynth.tolist(), "diffusersBytes": diffusers.tolist()}, f)


if __name__ == "__main__":
    build_pngs()
    build_jpegs()
    build_resize()
    build_target_sizes()
    build_tensor_values()
    with open(os.path.join(OUT, "png_cases.json"), "w") as f:
        json.dump(png_cases, f, indent=1)
    with open(os.path.join(OUT, "jpeg_cases.json"), "w") as f:
        json.dump(jpeg_cases, f, indent=1)
    with open(os.path.join(OUT, "resize_cases.json"), "w") as f:
        json.dump({"resize": resize_cases, "cropAndResize": crop_cases}, f, indent=1)

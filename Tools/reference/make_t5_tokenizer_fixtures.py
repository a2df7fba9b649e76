#!/usr/bin/env python3
"""Golden fixtures for the Swift `T5Tokenizer` (FLUX.1's `tokenizer_2/`), made with transformers.

Where the vocabulary comes from: the Hugging Face Hub is not reachable here, and no PyPI package
we checked ships a real T5 `spiece.model` / `tokenizer.json` (T5 packages download theirs at run
time). So the script trains a small SentencePiece Unigram model (1,000 pieces) with the
`sentencepiece` library on a deterministic synthetic corpus (English prompt words, accented Latin,
Chinese, Japanese, Korean, Cyrillic, Greek, Arabic, Hebrew, emoji, digits, punctuation) with
T5's settings: `normalization_rule_name=nmt_nfkc` (the rule set of T5's `spiece.model`),
pad=0 `<pad>`, eos=1 `</s>`, unk=2 `<unk>`, no bos. Scripts it never saw (Devanagari, Thai,
hieroglyphs, runes) are unknown characters. transformers 5's `T5Tokenizer` then loads the
`spiece.model`-only folder (converting it with its `T5Converter`: the 100 `<extra_id_N>`
sentinels go after the pieces, `<extra_id_99>` first) and saves the `tokenizer.json` layout.

A Unigram vocabulary cannot be cut down without changing results (every piece competes in the
best path), so the whole trained vocabulary is committed. What is restricted is the nmt_nfkc
charsmap, 240 KB on its own: the committed model keeps only the rules whose source starts with
a character that occurs in a golden text. That cannot change the normalisation of those texts:
a rule is only ever looked up with the text's own characters as its first character (the
`Precompiled` normaliser searches prefixes of one grapheme cluster or one character), so every
rule that can match is kept, and Darts' prefix search finds the same first match. The script
verifies it anyway: the full model must give the same goldens.

Folders written (fixtures root `Tests/DiffSynthTests/Fixtures/tokenizers/`):

    t5/         tokenizer.json in the older transformers layout that Hub T5 files have
                (normalizer Sequence[Precompiled, Replace "  +" -> " "], pre-tokenizer
                Sequence[WhitespaceSplit, Metaspace add_prefix_space]), a FLUX-style
                tokenizer_config.json (added_tokens_decoder, 100 sentinels,
                clean_up_tokenization_spaces true, model_max_length 512) and special_tokens_map.json
    t5-json/    tokenizer.json and tokenizer_config.json exactly as transformers 5 saves them
    t5-spiece/  spiece.model only (the legacy layout transformers converts on load)
    t5.json     golden ids, padded/truncated ids and masks (max_length 16, 256 and 512), decoded
                text; and the content ids of 100 random texts over an alphabet of troublemakers

Golden ids come from transformers' `T5Tokenizer` (in transformers 5 `T5TokenizerFast` is the same
class), which must agree on all three folders, with the raw `tokenizers` pipeline loaded from
each `tokenizer.json`, and with the full (unrestricted) model. Padded goldens are stored compactly
for 256 and 512 (the attended ids; the script checks that transformers' output is exactly those
followed by `<pad>` with mask 0). The script also reports, without failing, where SentencePiece's
own `encode` differs from transformers (transformers splits at every Unicode white space, never
drops a space-only text's `▁`, keeps what `tokenizers`' Precompiled keeps, ...).

With `--real DIR` the unrestricted model (full nmt_nfkc charsmap) is written to DIR in the same
layout; point DIFFSYNTH_TOKENIZER_ROOT at DIR to run the Swift goldens against it:

    python3 Tools/reference/make_t5_tokenizer_fixtures.py --real /tmp/real-tokenizers
    DIFFSYNTH_TOKENIZER_ROOT=/tmp/real-tokenizers swift test -c release -Xswiftc -enable-testing \
        --filter T5Tokenizer

`--random-cases N` writes N random texts instead of 100 (a local stress run: 10,000 passed; commit
the default). `--check-only` recomputes the goldens from the committed folders without training or writing and
compares them with the committed t5.json. Training is deterministic for one sentencepiece
version (single thread); the committed model is the reference either way.

Run from the repository root: python3 Tools/reference/make_t5_tokenizer_fixtures.py
"""
import argparse
import base64
import json
import os
import random
import shutil
import struct
import sys
import tempfile

import sentencepiece
import tokenizers
import transformers
from sentencepiece import sentencepiece_model_pb2
from transformers import T5Tokenizer

try:  # transformers 4.x has a separate fast class; in 5.x the name is an alias.
    from transformers import T5TokenizerFast
except ImportError:  # pragma: no cover
    T5TokenizerFast = T5Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "DiffSynthTests", "Fixtures", "tokenizers")
VOCAB_SIZE = 1000
MAX_LENGTHS = (16, 256, 512)

# ---------------------------------------------------------------------------------------------
# The training corpus: deterministic, independent of the machine.

EN_WORDS = (
    "the a an of in on at with and or but for to from by as is are was were be been have has had do does did will "
    "would can could should may might must cat dog horse bird fish tree flower river mountain sky cloud sun moon star "
    "city street house window door table chair book lamp light shadow color red blue green yellow orange purple black "
    "white golden silver bright dark soft sharp detailed beautiful ancient modern quiet busy small large tall wide "
    "narrow warm cold morning evening night winter summer spring autumn rain snow wind painting photograph portrait "
    "landscape style artist camera lens focus texture pattern surface wooden stone glass metal fabric paper water fire "
    "earth air forest garden park bridge tower castle village market harbor ship boat train car bicycle road path "
    "journey story dream memory music song dance smile laughter friend family child woman man people crowd festival "
    "lantern candle mirror reflection horizon ocean wave beach sand holding sign says hello world photo astronaut "
    "riding mars masterpiece quality cinematic volumetric lighting highly resolution trending award winning "
    "photography dramatic composition foreground background sitting standing walking running flying looking viewer "
    "long hair eyes face hands wearing dress coat hat glasses reading writing playing under over between behind front "
    "next near far inside outside through across very really quite just only also still even ever never always "
    "sometimes one two three four five six seven eight nine ten hundred thousand first second last new old good great "
    "little big high low"
).split()
ACCENTED_WORDS = ("café naïve résumé Ångström crème brûlée Dvořák Øresund façade jalapeño São Paulo Zürich Müller "
                  "straße garçon déjà vu über coöperate élan").split()
CJK_WORDS = ["一只可爱的小猫坐在窗台上", "阳光洒在它的毛上", "宫崎骏风格的城市夜景", "霓虹灯超高清电影感",
             "桜の木の下で猫が昼寝をしている", "カタカナとひらがな", "漢字", "서울의 밤거리", "네온사인이 빛나는 골목",
             "日本語", "世界", "你好", "中文文本"]
OTHER_WORDS = ["Привет мир", "москва", "Σίσυφος", "ΟΔΟΣ", "مرحبا بالعالم", "שלום עולם", "🍕", "🐱", "❤️", "👍", "😀", "🎨"]
PUNCTUATION = list(",.!?;:()-'\"/&%$#@*+=<>[]_")


def training_corpus(lines=30000, seed=5):
    rng = random.Random(seed)
    out = []
    for _ in range(lines):
        words = []
        for _ in range(rng.randrange(4, 20)):
            r = rng.random()
            if r < 0.78:
                word = rng.choice(EN_WORDS)
                if rng.random() < 0.1:
                    word = word.capitalize()
                if rng.random() < 0.02:
                    word = word.upper()
                if rng.random() < 0.1:
                    word += rng.choice(["s", "ed", "ing", "ly", "er", "'s"])
            elif r < 0.84:
                word = rng.choice(ACCENTED_WORDS)
            elif r < 0.90:
                word = rng.choice(CJK_WORDS)
            elif r < 0.93:
                word = rng.choice(OTHER_WORDS)
            elif r < 0.97:
                word = str(rng.randrange(0, 3000))
            else:
                word = rng.choice(PUNCTUATION)
            if rng.random() < 0.08:
                word += rng.choice(PUNCTUATION)
            words.append(word)
        out.append(" ".join(words))
    return out


# ---------------------------------------------------------------------------------------------
# Golden texts

LONG_PROMPT = (
    "masterpiece, best quality, ultra-detailed, a breathtaking panoramic landscape of snow-capped mountains at "
    "golden hour, a crystal clear alpine lake reflecting pink and orange clouds, pine forests, wildflowers in the "
    "foreground, a small wooden cabin with smoke rising from the chimney, a red canoe on the shore, dramatic "
    "volumetric light, god rays, cinematic composition, 35mm photograph, shot on kodak portra 400, film grain, "
    "sharp focus, highly detailed, 8k resolution, trending on artstation, award winning photography by ansel adams. "
)

TEXTS = [
    "",
    " ",
    "   ",
    "\n",
    "\t",
    "A cat holding a sign that says hello world",
    "a photo of an astronaut riding a horse on mars",
    "  leading and trailing spaces  ",
    "multiple   spaces   between    words",
    "tab\tseparated\t\tvalues\nnew\n\nlines\r\nwindows\r\n",
    " \t \n \r\n \t",
    "Ｆｕｌｌ－ｗｉｄｔｈ ＡＢＣ１２３！？　ｶﾀｶﾅ ｶﾞ",
    "\ufb01ne \ufb02ower \ufb00 \ufb03 \ufb05 ligatures",
    "①②③ ⑴ ㈱ ㎏ ™ ½ x² Ⅻ ℃",
    "Cafe\u0301 nai\u0308ve re\u0301sume\u0301 A\u030angstro\u0308m",
    "Café naïve résumé Ångström crème brûlée",
    "\uff21\u0301 \ufb01\u0301x e\u0301\u0302 \uff21\u0302\u0301",
    "𝔸𝕓𝒞 math ℌ ℍ ⅈ",
    "İstanbul Ǆ ǅ ǆ ß ẞ ſ",
    "一只可爱的小猫坐在窗台上，阳光洒在它的毛上。",
    "桜の木の下で猫が昼寝をしている。カタカナとひらがな、漢字。",
    "서울의 밤거리, 네온사인이 빛나는 골목 \u1100\u1161\u11a8",
    "Hello世界123abc日本語mixed",
    "I love pizza 🍕🍕 and 🐱!",
    "family: 👨‍👩‍👧‍👦, pride 🏳️‍🌈, thumbs 👍🏽 ❤️ ✔︎",
    "🇯🇵🇺🇸 flags 🎨😀",
    "Devanagari नमस्ते क्षत्रिय ड़ी दुख",
    "Thai สวัสดีชาวโลก and เขาไม่ได้พูดสักคำ",
    "ancient 𓀀𓁐 runes ᚠᚢᚦ ⵣ",
    "Привет мир Σίσυφος ΟΔΟΣ مرحبا بالعالم שלום עולם",
    "Hello<extra_id_3>world",
    "<extra_id_0> start and end <extra_id_99>",
    "a <extra_id_3> b<extra_id_4>c",
    "<extra_id_100> <EXTRA_ID_3> <extra_id_3 >",
    "x</s>y",
    "</s>",
    "text </s> more </s>",
    "<pad><unk> <s> not special",
    "a\u0000b\u001cc\u007fd\u200be\u200df\ufeffg",
    "zero\u00a0width\u2009thin\u3000ideographic\u2028line\u0085next",
    "\u2581already\u2581has\u2581metaspace \u2581 \u2581\u2581x \u2581",
    "McDonald's don't it's we're I'm they've",
    "Hello , world . it 's a test ! ok ? yes ' no",
    "In 2024, 3.14159 and 1,000,000 dollars; 007 at 10:30pm",
    "Wait... what?!?! (really) [yes] {no} <tag> --- *** ### @@@",
    "masterpiece, best quality, (ultra-detailed:1.2), 1girl, solo, long hair, looking at viewer",
    "https://example.com/path?query=1&x=y#frag def f(x): return x**2",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ============ !!!!!!!!",
    LONG_PROMPT * 3,
]


# Random texts over an alphabet of troublemakers, checked for content ids only: characters the
# charsmap rewrites, combining marks (so that clusters of every byte length occur), white space
# of every kind, the metaspace itself, unknown scripts, emoji parts and sentinel fragments.
RANDOM_ALPHABET = (
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,!?'-()<>/_")
    + list("éèêëàâäîïôöûüçñßøåæœÉÀÇÑÅ") + list("\u0300\u0301\u0302\u0303\u0308\u0327\u0323\u093c\u0e48")
    + list(" \t\n\r\u00a0\u2009\u3000\u2028\u0085\u200b\u200d\ufeff\u2581\u0000\u001f\u007f")
    + list("ＡＢＣａｂｃ１２３！？ｶﾀﾅﾞ\ufb01\ufb02\ufb00①②⑴㈱㎏™½²Ⅻ℃𝔸𝕓ǅİſ")
    + list("一只可爱的小猫坐在窗台上阳光桜木下昼寝서울의밤거리\u1100\u1161\u11a8")
    + list("नमस्तेक्षड़ीสวัสดีเขาไม่𓀀ᚠᚢⵣ") + list("🍕🐱❤👍🏽👨👩👧🏳🌈🇯🇵\ufe0f")
    + ["<extra_id_3>", "<extra_id_", "</s>", "<pad>", "<unk>", "</", "s>", "<extra_id_99>", "▁▁", "  ", "\n\n"]
)
RANDOM_CASES = 100  # --random-cases changes it for a local stress run


def random_texts(count=None, seed=51):
    count = RANDOM_CASES if count is None else count
    rng = random.Random(seed)
    return ["".join(rng.choice(RANDOM_ALPHABET) for _ in range(rng.randrange(1, 40))) for _ in range(count)]


# ---------------------------------------------------------------------------------------------
# The precompiled charsmap (a Darts double array + NUL-terminated replacements)


def charsmap_rules(blob):
    """Every (source, target) rule of a precompiled charsmap, by walking its Darts trie."""
    (size,) = struct.unpack_from("<I", blob, 0)
    units = struct.unpack_from(f"<{size // 4}I", blob, 4)
    normalized = blob[4 + size:]

    def offset(unit):
        return (unit >> 10) << ((unit & (1 << 9)) >> 6)

    def label(unit):
        return unit & ((1 << 31) | 0xFF)

    rules = []
    stack = [(offset(units[0]), b"")]
    while stack:
        base, prefix = stack.pop()
        for byte in range(1, 256):
            child = base ^ byte
            if child >= len(units) or label(units[child]) != byte:
                continue
            unit = units[child]
            key = prefix + bytes([byte])
            next_base = child ^ offset(unit)
            if (unit >> 8) & 1:
                value = units[next_base] & 0x7FFFFFFF
                rules.append((key.decode("utf-8"), normalized[value:normalized.index(b"\0", value)].decode("utf-8")))
            stack.append((next_base, key))
    return rules


def compile_rules(rules, workdir):
    """Compiles rules into a charsmap with sentencepiece's own builder (by training a throwaway model)."""
    tsv = os.path.join(workdir, "rules.tsv")
    with open(tsv, "w", encoding="utf-8") as f:
        for source, target in sorted(rules):
            f.write(" ".join(f"{ord(c):X}" for c in source) + "\t" + " ".join(f"{ord(c):X}" for c in target) + "\n")
    corpus = os.path.join(workdir, "throwaway.txt")
    with open(corpus, "w", encoding="utf-8") as f:
        f.write("hello world this is a test of the abcdefghijklmnopqrstuvwxyz alphabet\n" * 50)
    sentencepiece.SentencePieceTrainer.train(
        input=corpus, model_prefix=os.path.join(workdir, "throwaway"), vocab_size=40, model_type="unigram",
        normalization_rule_tsv=tsv, hard_vocab_limit=False, minloglevel=2, num_threads=1)
    return load_proto(os.path.join(workdir, "throwaway.model")).normalizer_spec.precompiled_charsmap


def load_proto(path):
    proto = sentencepiece_model_pb2.ModelProto()
    with open(path, "rb") as f:
        proto.ParseFromString(f.read())
    return proto


# ---------------------------------------------------------------------------------------------
# Folders


def train_full_model(workdir):
    corpus = os.path.join(workdir, "corpus.txt")
    with open(corpus, "w", encoding="utf-8") as f:
        f.write("\n".join(training_corpus()) + "\n")
    prefix = os.path.join(workdir, "full")
    sentencepiece.SentencePieceTrainer.train(
        input=corpus, model_prefix=prefix, vocab_size=VOCAB_SIZE, model_type="unigram",
        normalization_rule_name="nmt_nfkc", pad_id=0, eos_id=1, unk_id=2, bos_id=-1,
        pad_piece="<pad>", eos_piece="</s>", unk_piece="<unk>", character_coverage=0.9995,
        num_threads=1, minloglevel=2)
    # The trainer spec records the (temporary) paths; keep the file the same from run to run.
    proto = load_proto(prefix + ".model")
    del proto.trainer_spec.input[:]
    proto.trainer_spec.input.append("corpus.txt")
    proto.trainer_spec.model_prefix = "spiece"
    with open(prefix + ".model", "wb") as f:
        f.write(proto.SerializeToString())
    return prefix + ".model"


def restricted_model(full_path, out_path, workdir):
    """The full model with its charsmap cut to the rules the golden texts can reach."""
    proto = load_proto(full_path)
    used = {c for text in TEXTS + RANDOM_ALPHABET for c in text}
    rules = [(s, t) for s, t in charsmap_rules(proto.normalizer_spec.precompiled_charsmap) if s[0] in used]
    proto.normalizer_spec.precompiled_charsmap = compile_rules(rules, workdir)
    proto.normalizer_spec.name = "nmt_nfkc (restricted to the rules the golden texts reach)"
    with open(out_path, "wb") as f:
        f.write(proto.SerializeToString())
    return len(rules)


def flux_config(tokenizer):
    """tokenizer_config.json as FLUX.1's tokenizer_2/ has it (written by transformers 4.x)."""
    def token(content):
        return {"content": content, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True}

    decoder = {str(i): token(t) for i, t in ((0, "<pad>"), (1, "</s>"), (2, "<unk>"))}
    for i in range(100):
        decoder[str(tokenizer.convert_tokens_to_ids(f"<extra_id_{i}>"))] = token(f"<extra_id_{i}>")
    decoder = dict(sorted(decoder.items(), key=lambda item: int(item[0])))
    return {
        "add_prefix_space": True,
        "added_tokens_decoder": decoder,
        "additional_special_tokens": [f"<extra_id_{i}>" for i in range(100)],
        "clean_up_tokenization_spaces": True,
        "eos_token": "</s>",
        "extra_ids": 100,
        "legacy": True,
        "model_max_length": 512,
        "pad_token": "<pad>",
        "sp_model_kwargs": {},
        "tokenizer_class": "T5Tokenizer",
        "unk_token": "<unk>",
    }


def write_json(path, value, indent=2):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, indent=indent)
        f.write("\n")


def make_folders(model_path, out, workdir):
    """t5-spiece/, t5-json/ (transformers 5's own save) and t5/ (older layout, FLUX config) from a model."""
    for name in ("t5", "t5-json", "t5-spiece"):
        shutil.rmtree(os.path.join(out, name), ignore_errors=True)
        os.makedirs(os.path.join(out, name))
    shutil.copy(model_path, os.path.join(out, "t5-spiece", "spiece.model"))
    tokenizer = T5Tokenizer.from_pretrained(os.path.join(out, "t5-spiece"))
    saved = os.path.join(workdir, "saved")
    shutil.rmtree(saved, ignore_errors=True)
    tokenizer.save_pretrained(saved)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        if name == "tokenizer.json":
            with open(os.path.join(saved, name), encoding="utf-8") as f:
                write_json(os.path.join(out, "t5-json", name), json.load(f), indent=None)
        else:
            shutil.copy(os.path.join(saved, name), os.path.join(out, "t5-json", name))

    with open(os.path.join(saved, "tokenizer.json"), encoding="utf-8") as f:
        data = json.load(f)
    data["normalizer"] = {"type": "Sequence", "normalizers": [
        data["normalizer"], {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]}
    data["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "WhitespaceSplit"}, {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True}]}
    data["decoder"] = {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True}
    write_json(os.path.join(out, "t5", "tokenizer.json"), data, indent=None)
    write_json(os.path.join(out, "t5", "tokenizer_config.json"), flux_config(tokenizer))
    def special(content):
        return {"content": content, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False}
    write_json(os.path.join(out, "t5", "special_tokens_map.json"), {
        "additional_special_tokens": [f"<extra_id_{i}>" for i in range(100)],
        "eos_token": special("</s>"), "pad_token": special("<pad>"), "unk_token": special("<unk>")})


# ---------------------------------------------------------------------------------------------
# Goldens


def check_equal(what, got, expected):
    if got != expected:
        sys.exit(f"mismatch: {what}:\n  got      {got}\n  expected {expected}")


def goldens(root, model_path=None):
    """Golden cases from transformers on the three folders, cross-checked with raw tokenizers."""
    flux = T5Tokenizer.from_pretrained(os.path.join(root, "t5"))
    saved = T5TokenizerFast.from_pretrained(os.path.join(root, "t5-json"))
    legacy = T5Tokenizer.from_pretrained(os.path.join(root, "t5-spiece"))
    raw = [tokenizers.Tokenizer.from_file(os.path.join(root, name, "tokenizer.json")) for name in ("t5", "t5-json")]
    check_equal("flux clean-up flag", flux.clean_up_tokenization_spaces, True)
    for tokenizer in (flux, saved, legacy):
        check_equal("len", len(tokenizer), VOCAB_SIZE + 100)
        check_equal("special ids", [tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id], [0, 1, 2])
    cases = []
    for text in TEXTS:
        ids = saved(text, add_special_tokens=False)["input_ids"]
        for name, tokenizer in (("t5", flux), ("t5-spiece", legacy)):
            check_equal(f"{name} {text[:50]!r}", tokenizer(text, add_special_tokens=False)["input_ids"], ids)
        for encoder in raw:
            check_equal(f"raw tokenizers {text[:50]!r}", encoder.encode(text, add_special_tokens=False).ids, ids)
            check_equal(f"raw tokenizers with </s> {text[:50]!r}", encoder.encode(text).ids, ids + [1])
        case = {"text": text, "ids": ids}
        for length in MAX_LENGTHS:
            out = saved(text, padding="max_length", max_length=length, truncation=True)
            for tokenizer in (flux, legacy):
                check_equal(f"padded {length} {text[:50]!r}",
                            tokenizer(text, padding="max_length", max_length=length, truncation=True)["input_ids"], out["input_ids"])
            attended = sum(out["attention_mask"])
            check_equal("mask shape", out["attention_mask"], [1] * attended + [0] * (length - attended))
            check_equal("padding", out["input_ids"][attended:], [0] * (length - attended))
            check_equal("ends with </s>", out["input_ids"][attended - 1], 1)
            if length == 16:
                case["padded_16"] = {"ids": out["input_ids"], "attention_mask": out["attention_mask"]}
            else:
                case[f"attended_{length}"] = out["input_ids"][:attended]
        with_eos = ids + [1]
        case["decoded"] = saved.decode(with_eos)
        case["decoded_skipping_special"] = saved.decode(with_eos, skip_special_tokens=True)
        case["decoded_cleaned"] = flux.decode(with_eos)
        case["decoded_cleaned_skipping_special"] = flux.decode(with_eos, skip_special_tokens=True)
        check_equal("raw decode", raw[1].decode(with_eos, skip_special_tokens=False), case["decoded"])
        cases.append(case)
    return cases


def random_goldens(root):
    """Content ids of the random texts, the same from every folder and from raw tokenizers."""
    folders = [T5Tokenizer.from_pretrained(os.path.join(root, name)) for name in ("t5", "t5-json", "t5-spiece")]
    raw = tokenizers.Tokenizer.from_file(os.path.join(root, "t5-json", "tokenizer.json"))
    cases = []
    for text in random_texts():
        ids = folders[0](text, add_special_tokens=False)["input_ids"]
        for tokenizer in folders[1:]:
            check_equal(f"random {text!r}", tokenizer(text, add_special_tokens=False)["input_ids"], ids)
        check_equal(f"raw random {text!r}", raw.encode(text, add_special_tokens=False).ids, ids)
        cases.append({"text": text, "ids": ids})
    return cases


def sentencepiece_differences(model_path):
    """Texts on which SentencePiece's own encoder differs from transformers (reported, not fatal)."""
    processor = sentencepiece.SentencePieceProcessor(model_file=model_path)
    folder = tempfile.mkdtemp()
    shutil.copy(model_path, os.path.join(folder, "spiece.model"))
    tokenizer = T5Tokenizer.from_pretrained(folder)
    differences = []
    for text in TEXTS:
        if "<" in text:  # SentencePiece has no added tokens
            continue
        if processor.encode(text) != tokenizer(text, add_special_tokens=False)["input_ids"]:
            differences.append(text)
    return differences


def write_goldens(path, header, cases, random_cases):
    """One case per line, every non-ASCII character escaped (so odd spaces and NFD text stay visible)."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(header, ensure_ascii=True)[:-1] + ', "cases": [\n')
        f.write(",\n".join(json.dumps(case, ensure_ascii=True) for case in cases))
        f.write('\n], "random_cases": [\n')
        f.write(",\n".join(json.dumps(case, ensure_ascii=True) for case in random_cases))
        f.write("\n]}\n")


def main():
    global RANDOM_CASES
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--real", help="also write the unrestricted model's folders here (for DIFFSYNTH_TOKENIZER_ROOT)")
    parser.add_argument("--check-only", action="store_true", help="recompute from the committed folders, write nothing")
    parser.add_argument("--random-cases", type=int, default=RANDOM_CASES,
                        help="how many random texts to write (more for a local stress run of the Swift tests; "
                             "commit the default)")
    args = parser.parse_args()
    RANDOM_CASES = args.random_cases

    if args.check_only:
        cases = goldens(OUT)
        random_cases = random_goldens(OUT)
        with open(os.path.join(OUT, "t5.json"), encoding="utf-8") as f:
            committed = json.load(f)
        old = committed["cases"]
        differences = [new["text"][:60] for old_case, new in zip(old, cases) if old_case != new]
        differences += [new["text"][:60] for old_case, new in zip(committed["random_cases"], random_cases) if old_case != new]
        if len(old) != len(cases):
            differences.append(f"{len(old)} committed cases, {len(cases)} now")
        print(f"check-only: {len(cases)} T5 cases, {len(differences)} differences from the committed goldens")
        for line in differences:
            print(f"  {line!r}")
        sys.exit(1 if differences else 0)

    with tempfile.TemporaryDirectory() as tmp:
        full = train_full_model(tmp)
        committed_model = os.path.join(tmp, "spiece.model")
        kept = restricted_model(full, committed_model, tmp)
        total = len(charsmap_rules(load_proto(full).normalizer_spec.precompiled_charsmap))
        real = os.path.abspath(args.real) if args.real else os.path.join(tmp, "real")
        os.makedirs(real, exist_ok=True)
        make_folders(full, real, tmp)
        full_cases = goldens(real)
        make_folders(committed_model, OUT, tmp)
        full_random = random_goldens(real)
        cases = goldens(OUT)
        random_cases = random_goldens(OUT)
        check_equal("restricted charsmap goldens", cases, full_cases)
        check_equal("restricted charsmap random goldens", random_cases, full_random)
        differences = sentencepiece_differences(committed_model)
        header = {"source": {
            "transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
            "sentencepiece": sentencepiece.__version__,
            "vocabulary": f"SentencePiece Unigram, {VOCAB_SIZE} pieces, trained by this script (nmt_nfkc, pad 0, eos 1, unk 2)",
            "charsmap_rules": f"{kept} of {total} nmt_nfkc rules",
        }, "max_lengths": list(MAX_LENGTHS)}
        write_goldens(os.path.join(OUT, "t5.json"), header, cases, random_cases)
        print(f"T5: {len(cases)} cases + {len(random_cases)} random texts, {VOCAB_SIZE} + 100 ids, "
              f"charsmap {kept} of {total} rules")
        print(f"SentencePiece's own encoder differs from transformers on {len(differences)} texts, e.g.:")
        for text in differences[:12]:
            print(f"  {text[:70]!r}")
        if args.real:
            print(f"full folders in {real}: DIFFSYNTH_TOKENIZER_ROOT={real}")


if __name__ == "__main__":
    main()

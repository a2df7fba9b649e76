"""Lists every flag of DiffSynth-Studio's training parsers for the built-in families.

Usage: python Tools/reference/dump_diffsynth_train_flags.py PATH/TO/DiffSynth-Studio
Writes Tests/HostTests/Fixtures/diffsynth_train_flags.json: for each family, each flag with
whether it takes a value, its type and default — taken from DiffSynth's own parser functions
(`diffsynth/diffusion/parsers.py` and each family's `examples/*/model_training/train.py`), which
are executed unchanged. Only argparse is needed (the train scripts' torch imports are skipped by
extracting just the parser function from each script).
"""
import argparse
import ast
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1])
namespace = {}
exec(compile((root / "diffsynth/diffusion/parsers.py").read_text(), "parsers.py", "exec"), namespace)

families = {
    "qwen-image": ("examples/qwen_image/model_training/train.py", "qwen_image_parser"),
    "sdxl": ("examples/stable_diffusion_xl/model_training/train.py", "parser"),
}
result = {}
for family, (script, function) in families.items():
    tree = ast.parse((root / script).read_text())
    definition = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)
    local = dict(namespace)
    exec(compile(ast.Module(body=[definition], type_ignores=[]), script, "exec"), local)
    parser = local[function]()
    flags = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        flags.append({
            "flag": action.option_strings[0],
            "takes_value": action.nargs != 0,
            "type": getattr(action.type, "__name__", "str") if action.nargs != 0 else "flag",
            "default": action.default,
        })
    result[family] = flags

out = pathlib.Path(__file__).resolve().parents[2] / "Tests/HostTests/Fixtures/diffsynth_train_flags.json"
out.write_text(json.dumps({"source": "DiffSynth-Studio " + (sys.argv[2] if len(sys.argv) > 2 else ""), "families": result}, indent=1) + "\n")
print(out, {k: len(v) for k, v in result.items()})

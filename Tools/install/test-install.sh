#!/bin/sh
# The install test (part of make test, so CI runs it): make install into a temporary prefix that
# already holds files of its own, run the installed command from another folder with a bare
# environment, check completions, man page and the plugin refusal, then make uninstall and check
# that exactly the prefix's own files are left.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
fail() { echo "test-install: FAILED: $*" >&2; exit 1; }

mkdir -p "$prefix/bin" "$prefix/share/man"
echo keep > "$prefix/bin/other-tool"
echo keep > "$prefix/share/man/notes.txt"
before=$(cd "$prefix" && find . | sort)

${MAKE:-make} --no-print-directory -C "$here" install PREFIX="$prefix"
bin="$prefix/bin/diffsynth"
[ -x "$bin" ] || fail "$bin was not installed"
if ldd "$bin" | grep -q 'libswift\|libFoundation'; then fail "the installed binary links the toolchain's Swift runtime: $(ldd "$bin" | grep swift)"; fi

# From another folder, with nothing of the toolchain or the checkout in the environment.
mkdir "$work/elsewhere"
cd "$work/elsewhere"
env -i PATH=/usr/bin:/bin HOME="$work" "$bin" generate --prompt "a large red ring on the left on a blue background" \
	--num_inference_steps 4 --cfg_scale 4 --output ring.png 2> generate.log || { cat generate.log; fail "generate failed"; }
grep -q "using the embedded default model, $prefix/share/diffsynth/qwen-image-shapes" generate.log \
	|| { cat generate.log; fail "generate did not say it used the installed embedded model"; }
# A 64x64 PNG: signature, then IHDR's width and height (big-endian) at bytes 16-23.
[ "$(od -An -tx1 -N8 ring.png | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "ring.png is not a PNG"
[ "$(od -An -tu1 -j16 -N8 ring.png | tr -s ' ' | sed 's/^ //')" = "0 0 0 64 0 0 0 64" ] || fail "ring.png is not 64x64"

# Completions load, the man page renders.
bash -c ". '$prefix/share/bash-completion/completions/diffsynth' && complete -p diffsynth" >/dev/null || fail "bash completion does not load"
grep -q '#compdef diffsynth' "$prefix/share/zsh/site-functions/_diffsynth" || fail "zsh completion"
grep -q "complete -c 'diffsynth'" "$prefix/share/fish/vendor_completions.d/diffsynth.fish" || fail "fish completion"
grep -q '^\.Dt DIFFSYNTH 1' "$prefix/share/man/man1/diffsynth.1" || fail "man page"
if command -v man >/dev/null 2>&1; then
	MANWIDTH=80 man -l "$prefix/share/man/man1/diffsynth.1" 2>/dev/null | grep -q "dataset_metadata_path" || fail "man page does not render"
fi

# Plugins need the toolchain's shared runtime: the installed binary refuses them by name.
plugin="$here/plugins/ExampleAdapter/.build/release/libExampleAdapter.so"
if [ -f "$plugin" ]; then
	if "$bin" adapters --plugin "$plugin" > plugin.log 2>&1; then fail "a plugin was loaded into the static binary"; fi
	grep -q "carries the Swift runtime inside it" plugin.log || { cat plugin.log; fail "plugin refusal message"; }
fi

cd "$here"
${MAKE:-make} --no-print-directory -C "$here" uninstall PREFIX="$prefix"
after=$(cd "$prefix" && find . | sort)
[ "$before" = "$after" ] || fail "uninstall left or removed something: $(echo "$after" | tr '\n' ' ')"
echo "test-install: passed (installed, generated from another folder, uninstalled to the prefix's own files)"

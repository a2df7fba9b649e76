#!/bin/sh
# Installs diffsynth under a prefix: `make install PREFIX=...` runs it after building the binary
# with the Swift runtime linked in statically (--static-swift-stdlib), so the installed command
# needs only the system libraries it dlopens or links (libopenblas0, libjpeg62-turbo) and works
# from any folder.
#
#   Tools/install/install.sh ROOT BINARY
#
# ROOT is $(DESTDIR)$(PREFIX). Writes:
#   ROOT/bin/diffsynth
#   ROOT/share/diffsynth/qwen-image-shapes/...           the embedded default model
#   ROOT/share/bash-completion/completions/diffsynth     bash completion
#   ROOT/share/zsh/site-functions/_diffsynth             zsh completion
#   ROOT/share/fish/vendor_completions.d/diffsynth.fish  fish completion
#   ROOT/share/man/man1/diffsynth.1                      man page, generated from the --help texts
#   ROOT/share/diffsynth/install-manifest.txt            every file and created folder, for uninstall
# Everything is generated into a staging folder first: a failure leaves ROOT as it was.
set -eu
root=$1
binary=$2
manual_tool=${3:-}
here=$(cd "$(dirname "$0")/../.." && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage/bin" "$stage/share/diffsynth" "$stage/share/bash-completion/completions" \
	"$stage/share/zsh/site-functions" "$stage/share/fish/vendor_completions.d" "$stage/share/man/man1"
cp "$binary" "$stage/bin/diffsynth"
chmod 755 "$stage/bin/diffsynth"
# The model without its training notes' pictures is still the model; ship the folder as committed.
cp -R "$here/Models/qwen-image-shapes" "$stage/share/diffsynth/qwen-image-shapes"
"$stage/bin/diffsynth" --generate-completion-script bash > "$stage/share/bash-completion/completions/diffsynth"
"$stage/bin/diffsynth" --generate-completion-script zsh > "$stage/share/zsh/site-functions/_diffsynth"
"$stage/bin/diffsynth" --generate-completion-script fish > "$stage/share/fish/vendor_completions.d/diffsynth.fish"
if [ -n "$manual_tool" ]; then
	# swift-argument-parser's generate-manual reads the command tree (--experimental-dump-help)
	# and writes one mdoc page for the tool and its subcommands.
	"$manual_tool" "$stage/bin/diffsynth" --output-directory "$stage/share/man/man1" \
		--authors "the DiffSynth for Swift developers" --section 1 >/dev/null
fi
[ -s "$stage/share/man/man1/diffsynth.1" ] || { echo "install: the man page was not generated" >&2; exit 1; }

# Copy, recording each file, and each folder this install creates (uninstall removes only those).
manifest="$stage/manifest"
: > "$manifest"
(cd "$stage" && find bin share -type d | sort) | while read -r dir; do
	if [ ! -d "$root/$dir" ]; then
		mkdir -p "$root/$dir"
		echo "dir $dir" >> "$manifest"
	fi
done
(cd "$stage" && find bin share -type f | sort) | while read -r file; do
	mode=644
	[ "$file" = bin/diffsynth ] && mode=755
	install -m "$mode" "$stage/$file" "$root/$file"
	echo "file $file" >> "$manifest"
done
# A reinstall keeps the folders the first install created on record.
old="$root/share/diffsynth/install-manifest.txt"
if [ -f "$old" ]; then grep '^dir ' "$old" >> "$manifest" || true; fi
echo "file share/diffsynth/install-manifest.txt" >> "$manifest"
sort -u "$manifest" > "$manifest.sorted"
install -m 644 "$manifest.sorted" "$root/share/diffsynth/install-manifest.txt.tmp"
mv "$root/share/diffsynth/install-manifest.txt.tmp" "$old"
echo "installed diffsynth into $root ($(grep -c '^file ' "$old") files; make uninstall PREFIX=... removes them)"

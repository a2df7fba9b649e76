#!/bin/sh
# Removes exactly what Tools/install/install.sh put under ROOT: the files and the folders its
# manifest lists (folders only when empty, so nothing that was there before goes).
#
#   Tools/install/uninstall.sh ROOT
set -eu
root=$1
manifest="$root/share/diffsynth/install-manifest.txt"
[ -f "$manifest" ] || { echo "uninstall: $manifest not found: nothing of diffsynth is installed under $root" >&2; exit 1; }
list=$(mktemp)
trap 'rm -f "$list"' EXIT
cp "$manifest" "$list"
grep '^file ' "$list" | cut -c6- | while read -r file; do rm -f "$root/$file"; done
# Deepest folders first.
grep '^dir ' "$list" | cut -c5- | awk '{ print length($0) " " $0 }' | sort -rn | cut -d' ' -f2- | while read -r dir; do
	rmdir "$root/$dir" 2>/dev/null || true
done
echo "removed diffsynth from $root ($(grep -c '^file ' "$list") files)"

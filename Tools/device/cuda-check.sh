#!/usr/bin/env bash
# The CUDA backend's check on a lent GPU machine (which has the NVIDIA driver, CUDA libraries and
# PyTorch, but no Swift). Two steps:
#
#   Tools/device/cuda-check.sh prepare     # here: builds diffsynth with the Swift runtime linked in,
#                                          # strips and compresses it with the image libraries it links
#                                          # into .build-device/ (well under the 64 MiB a run may carry)
#   Tools/device/cuda-check.sh run         # there (the device tool runs it in the checkout, carrying
#                                          # .build-device): diffsynth cuda-check --require_gpu, with its
#                                          # CSV, nvidia-smi and PyTorch's view of the GPU under $OUT
#
# e.g. run(command: "Tools/device/cuda-check.sh run", carry: [".build-device"], timeout_s: 300).
# What it checks so far: the libraries found (driver, cuBLAS, cuBLASLt, NVRTC from the system or
# pip's nvidia/*/lib), every kernel compiled by NVRTC for the GPU's own architecture, and each
# kernel and cuBLAS's sgemm against the CPU engine (1e-4 relative in Float32; BF16 widening bit-exact).
set -euo pipefail
cd "$(dirname "$0")/../.."
bundle=.build-device

case "${1:-}" in
prepare)
    swift build -c release --static-swift-stdlib --scratch-path .build-install --product diffsynth
    rm -rf "$bundle" && mkdir -p "$bundle/lib"
    cp .build-install/release/diffsynth "$bundle/diffsynth"
    strip "$bundle/diffsynth"
    gzip -9 "$bundle/diffsynth"
    # The shared libraries it links that a bare machine may lack (not libc, libm, libstdc++, libgcc_s).
    ldd .build-install/release/diffsynth | awk '$3 ~ /^\// { print $3 }' | grep -E 'lib(png16|jpeg|z)\.so' | xargs -r -I{} cp -L {} "$bundle/lib/"
    du -sh "$bundle"; ls -la "$bundle" "$bundle/lib"
    ;;
run)
    [ -f "$bundle/diffsynth.gz" ] || { echo "no $bundle/diffsynth.gz: run '$0 prepare' first and carry $bundle"; exit 2; }
    out=${OUT:-$(mktemp -d)}
    work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
    gunzip -c "$bundle/diffsynth.gz" > "$work/diffsynth" && chmod +x "$work/diffsynth"
    export LD_LIBRARY_PATH="$PWD/$bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export DIFFSYNTH_CACHE_DIR="$work/cache"
    { nvidia-smi || true; } > "$out/nvidia-smi.txt" 2>&1
    python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(),
                torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")' > "$out/torch.txt" 2>&1 || true
    cat "$out/torch.txt"
    status=0
    "$work/diffsynth" cuda-check --require_gpu --output "$out/cuda-check.csv" || status=$?
    # Twice: the second start must find every kernel in the PTX cache.
    "$work/diffsynth" cuda-check --require_gpu | grep -c "(cached)" > "$out/cached-units.txt" || true
    echo "units served from the PTX cache on the second start: $(cat "$out/cached-units.txt")"
    exit $status
    ;;
*)
    echo "usage: $0 prepare | run"; exit 2
    ;;
esac

#!/usr/bin/env bash
# Direct Distillation of FLUX through the unchanged host, with the plugin loaded by --plugin:
#   1. a tiny FLUX.1-dev teacher (28-step default replaced by 8, embedded guidance 3.5) writes a
#      DiffSynth dataset; a FLUX student distils it to 2 steps (LoRA on diffusers' default targets);
#   2. cross-model, both directions: FLUX teacher → Qwen-Image student, Qwen-Image teacher → FLUX student,
#      and online (the FLUX teacher sampled during training, --teacher_embedded_guidance);
#   3. eval compares the FLUX student before/after against the teacher;
#   4. generate's --embedded_guidance reaches dev's guidance embedding, and Qwen-Image refuses it.
# Each training run must lower its loss (mean of the last 8 steps below the mean of the first 8).
# Usage: distill-through-host.sh DIFFSYNTH_BINARY LIBFLUX_SO
set -euo pipefail
diffsynth=$(realpath "$1"); plugin=$(realpath "$2")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
printf 'a red circle\na blue square\na green triangle\n' > prompts.txt
run() { "$diffsynth" "$@" --plugin "$plugin" > "$work/last.log" 2>&1 || { cat "$work/last.log"; echo "FAILED: diffsynth $*"; exit 1; }; }

dataset() {  # family output
    run dataset --tiny "$1" --prompts prompts.txt --output_path "$2" --height 32 --width 32 --teacher_steps 8 \
        --teacher_cfg_scale "$3" --num_inference_steps 2
    rows=$(($(wc -l < "$2/metadata.csv") - 1))
    [ "$rows" = 3 ] || { echo "FAILED: $2/metadata.csv has $rows rows"; exit 1; }
}
train() {  # student dataset output
    run train --tiny "$1" --dataset_base_path "$2" --dataset_metadata_path "$2/metadata.csv" --data_file_keys image \
        --extra_inputs seed,rand_device,num_inference_steps,cfg_scale --height 32 --width 32 --dataset_repeat 8 --num_epochs 2 \
        --learning_rate 1e-2 --lora_base_model dit --lora_target_modules "" --lora_rank 4 --task direct_distill \
        --output_path "$3" --save_steps 48 --seed 1
    awk -F, -v name="$3" '$2 == "loss" { v[++n] = $3 }
        END {
            if (n != 48) { print "FAILED: " name ": " n " loss rows, expected 48"; exit 1 }
            for (i = 1; i <= 8; i++) { first += v[i]; last += v[n - 8 + i] }
            printf "%s: loss %.3g → %.3g (mean of the first and last 8 of %d steps)\n", name, first / 8, last / 8, n
            if (!(last < first)) { print "FAILED: " name ": the loss did not fall"; exit 1 }
        }' "$3/loss.csv"
    [ -f "$3/step-48.safetensors" ] || { echo "FAILED: $3/step-48.safetensors missing"; exit 1; }
}

dataset flux flux-data 1            # FLUX.1-dev guides by its embedding: no second pass (cfg 1)
dataset qwen-image qwen-data 3
train flux flux-data flux-from-flux
train qwen-image flux-data qwen-from-flux
train flux qwen-data flux-from-qwen

# Online: a FLUX.1-dev teacher sampled during training (its embedded guidance set to 2) teaches Qwen-Image.
run train --tiny qwen-image --task direct_distill_online --teacher_tiny flux --teacher_steps 4 --teacher_embedded_guidance 2 \
    --dataset_base_path flux-data --dataset_metadata_path flux-data/metadata.csv --extra_inputs seed,rand_device,num_inference_steps,cfg_scale \
    --height 32 --width 32 --lora_base_model dit --lora_target_modules "" --output_path online --save_steps 3
[ -f online/step-3.safetensors ] && [ -d online/teacher_cache ] || { echo "FAILED: online distillation wrote no step-3 LoRA or teacher cache"; exit 1; }
echo "online: FLUX teacher (embedded guidance 2) → Qwen-Image student, 3 steps"

run eval --tiny flux --lora_path "$work/flux-from-flux/step-48.safetensors" --prompts prompts.txt --steps 1,2 --teacher_steps 8 \
    --grid_steps 2 --height 32 --width 32 --output_path eval
variants=$(cut -d, -f1 eval/summary.csv | tr '\n' ' ')
[ -f eval/grid.png ] && [ "$(wc -l < eval/summary.csv)" = 7 ] || { echo "FAILED: eval/summary.csv: $variants"; cat eval/summary.csv; exit 1; }
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    { printf "eval %-16s steps %-2s psnr %s\n", $col["variant"], $col["steps"], $col["psnr"] }' eval/summary.csv

# --embedded_guidance reaches FLUX.1-dev's guidance embedding: 3.5 is the default, 1.5 changes the image.
gen() { run generate --tiny flux --prompt "a cat" --height 32 --width 32 --num_inference_steps 3 --output "$1" "${@:2}"; }
gen default.png; gen explicit.png --embedded_guidance 3.5; gen other.png --embedded_guidance 1.5
cmp -s default.png explicit.png || { echo "FAILED: --embedded_guidance 3.5 is not the default"; exit 1; }
! cmp -s default.png other.png || { echo "FAILED: --embedded_guidance 1.5 changed nothing"; exit 1; }
if "$diffsynth" generate --plugin "$plugin" --tiny qwen-image --prompt x --height 32 --width 32 --embedded_guidance 2 \
        --output refused.png > refused.log 2>&1; then
    echo "FAILED: qwen-image accepted --embedded_guidance"; exit 1
fi
grep -q "has no guidance embedding" refused.log || { cat refused.log; echo "FAILED: no named error for qwen-image"; exit 1; }
echo "FLUX through the host: dataset, same-family and cross-model distillation, eval, --embedded_guidance: ok"

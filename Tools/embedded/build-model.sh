#!/bin/sh
# Builds the embedded default model, Models/qwen-image-shapes, from nothing but this repository:
# the Qwen-Image architecture at a small configuration (the configs in that folder), trained with
# this project's own `diffsynth train` on the synthetic shapes dataset.
#
#   1. shapes        4,000 captioned 64×64 pictures of one coloured shape (deterministic)
#   2. init-weights  seeded random weights for every component (bf16)
#   3. autoencoder   the VAE trained to reconstruct the pictures (--task autoencoder --trainable_models vae),
#                    12,000 steps at lr 1e-3 then 8,000 more at lr 5e-4
#   4. calibrate-vae latents_mean/latents_std from the trained VAE's latents
#   5. sft           the transformer trained with flow matching on the captions (--task sft --trainable_models dit),
#                    with 10 % of the samples on the empty prompt so classifier-free guidance has an unconditional
#                    branch: 140,000 steps at lr 5e-4 (in four runs), then 20,000 at lr 1e-4
#
# The tokenizer is an input, made by Tools/embedded/make_tokenizer.py (every caption word one token).
# The text encoder stays at its seeded random initialisation: a frozen random transformer still
# maps different captions to different features, which is all the DiT needs to learn from.
# Training curves are kept next to the weights (Models/qwen-image-shapes/training/*.csv).
# About 85 minutes on 2 cores.
set -eu
cd "$(dirname "$0")/../.."
D=.build/release/diffsynth
M=Models/qwen-image-shapes
W=${WORK:-out/embedded-build}
VAE_STEPS=12000
VAE_MORE_STEPS=8000
# The transformer's runs (steps:learning rate:seed), each starting from the previous one's weights.
DIT_RUNS="20000:5e-4:0 60000:5e-4:1 40000:5e-4:2 20000:5e-4:3 20000:1e-4:4"
# Each stage is skipped when its output already exists in $W, so an interrupted build resumes
# (delete $W to start over).
stage() { [ -f "$1" ] && echo "have $1" || return 1; }
swift build -c release --product diffsynth
mkdir -p "$W" "$M/training"
stage "$W/shapes/metadata.csv" || $D shapes --output_path "$W/shapes" --count 4000 --side 64 --seed 0 > /dev/null
DATA="--dataset_base_path $W/shapes --dataset_metadata_path $W/shapes/metadata.csv --data_file_keys image --height 64 --width 64"
CALIBRATE="--dataset_base_path $W/shapes --dataset_metadata_path $W/shapes/metadata.csv --count 1000"
if ! stage "$W/vae/step-$VAE_STEPS.safetensors"; then
    $D calibrate-vae --model "$M" --reset
    $D init-weights --model "$M" --seed 0 --save_dtype bf16
    $D train --model "$M" $DATA --task autoencoder --trainable_models vae --learning_rate 1e-3 \
        --dataset_repeat $((VAE_STEPS / 4000)) --save_steps "$VAE_STEPS" --save_dtype bf16 --output_path "$W/vae"
fi
if ! stage "$W/vae2/step-$VAE_MORE_STEPS.safetensors"; then
    cp "$W/vae/step-$VAE_STEPS.safetensors" "$M/vae/diffusion_pytorch_model.safetensors"
    $D calibrate-vae --model "$M" $CALIBRATE
    $D train --model "$M" $DATA --task autoencoder --trainable_models vae --learning_rate 5e-4 --seed 1 \
        --dataset_repeat $((VAE_MORE_STEPS / 4000)) --save_steps "$VAE_MORE_STEPS" --save_dtype bf16 --output_path "$W/vae2"
fi
previous=""; n=0; offset=0; curves=""
for run in $DIT_RUNS; do
    steps=${run%%:*}; rest=${run#*:}; lr=${rest%%:*}; seed=${rest#*:}
    n=$((n + 1)); out="$W/dit$n"
    if ! stage "$out/step-$steps.safetensors"; then
        if [ -z "$previous" ]; then
            cp "$W/vae2/step-$VAE_MORE_STEPS.safetensors" "$M/vae/diffusion_pytorch_model.safetensors"
            $D calibrate-vae --model "$M" $CALIBRATE
        else
            cp "$previous" "$M/transformer/diffusion_pytorch_model.safetensors"
        fi
        $D train --model "$M" $DATA --task sft --trainable_models dit --learning_rate "$lr" --prompt_dropout 0.1 --seed "$seed" \
            --dataset_repeat $((steps / 4000)) --save_steps 10000 --save_dtype bf16 --output_path "$out"
    fi
    previous="$out/step-$steps.safetensors"
    curves="$curves $out/loss.csv $offset"; offset=$((offset + steps))
done
cp "$previous" "$M/transformer/diffusion_pytorch_model.safetensors"

# Training curves: the mean loss of every 100 steps (per-step losses of batch-1 training are mostly
# noise), later runs' steps continuing the count.
curve() { # output, then pairs of (loss.csv, steps before it)
    output=$1; shift
    echo "step,key,value" > "$output"
    while [ $# -gt 0 ]; do
        awk -F, -v OFS=, -v offset="$2" '$2 == "loss" { sum += $3; n++; if ($1 % 100 == 0) { print $1 + offset, "loss", sum / n; sum = 0; n = 0 } }' "$1" >> "$output"
        shift 2
    done
}
curve "$M/training/vae-loss.csv" "$W/vae/loss.csv" 0 "$W/vae2/loss.csv" "$VAE_STEPS"
# shellcheck disable=SC2086
curve "$M/training/transformer-loss.csv" $curves
du -sh "$M"

# DiffSynth for Swift — the two commands README promises, plus their shared setup.
#   make demo    the main job: Direct Distillation end to end on the embedded default model (out/demo/)
#   make bench   the engine benchmark
#   make bench-compare   the engine against PyTorch on the same CPU (needs torch, diffusers, transformers, peft)
#   make test    the test suite, in release mode (numeric Swift is 10–50× slower in debug)
#   make install PREFIX=/usr/local, make uninstall   the command, its embedded model, completions, man page

SYSTEM_PACKAGES := libopenblas-dev libjpeg-dev libpng-dev zlib1g-dev libffi-dev
# Only the tests need MPI (the binary opens it at run time, when mpirun started it).
TEST_PACKAGES := openmpi-bin libopenmpi-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps test-deps install-packages test test-install bench bench-compare demo install uninstall

# Installs the system libraries the build links against, only when one is missing.
deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(SYSTEM_PACKAGES)"
test-deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(SYSTEM_PACKAGES) $(TEST_PACKAGES)"
install-packages:
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

PLUGIN := plugins/ExampleAdapter/.build/release/libExampleAdapter.so
FLUX_PLUGIN := plugins/Flux/.build/release/libFlux.so
FLUX_BUILD := -c release -Xswiftc -enable-testing --package-path plugins/Flux
# Tests build with -enable-testing in their own scratch folder, so switching between `make test`
# and `make demo` never recompiles the other's build.
TESTING := -c release -Xswiftc -enable-testing --scratch-path .build-testing

# The binary first (the MPI tests launch it under mpirun), the package's tests, then the plugins,
# each built out of tree, loaded by the host and put through the adapter conformance kit next to the
# built-in families: the example adapter, and FLUX.1 with its diffusers parity tests.
test: test-deps
	swift build $(TESTING) --product diffsynth
	swift test $(TESTING)
	@# SwiftPM caches the file list of a path dependency (the framework, ../..): after files are
	@# added or removed there, an incremental plugin build fails; it is then rebuilt from scratch.
	swift build -c release --package-path plugins/ExampleAdapter \
		|| { rm -rf plugins/ExampleAdapter/.build && swift build -c release --package-path plugins/ExampleAdapter; }
	.build-testing/release/diffsynth conformance --plugin $(PLUGIN)
	@# FLUX.1, the out-of-tree family: its parity suite, then the kit on the library that build made.
	swift build $(FLUX_BUILD) --build-tests \
		|| { rm -rf plugins/Flux/.build && swift build $(FLUX_BUILD) --build-tests; }
	swift test $(FLUX_BUILD) --skip-build
	.build-testing/release/diffsynth conformance --plugin $(FLUX_PLUGIN)
	plugins/Flux/Tests/Host/distill-through-host.sh .build-testing/release/diffsynth $(FLUX_PLUGIN)
	Tools/install/test-install.sh

# make install PREFIX=/usr/local (the default; DESTDIR is honoured for packaging): the binary with
# the Swift runtime linked in (--static-swift-stdlib: it runs on a machine without Swift, needing
# only libopenblas0 and libjpeg62-turbo), the embedded model under share/diffsynth, bash/zsh/fish
# completions and a man page made from the --help texts by swift-argument-parser's generate-manual.
# Its own build folder, so the demo's and the tests' builds are never recompiled.
# make uninstall PREFIX=... removes exactly what the install recorded in share/diffsynth/install-manifest.txt.
PREFIX ?= /usr/local
INSTALL_BUILD := -c release --static-swift-stdlib --scratch-path .build-install
install: deps
	swift build $(INSTALL_BUILD) --product diffsynth
	swift build $(INSTALL_BUILD) --product generate-manual
	Tools/install/install.sh "$(DESTDIR)$(PREFIX)" .build-install/release/diffsynth .build-install/release/generate-manual
uninstall:
	Tools/install/uninstall.sh "$(DESTDIR)$(PREFIX)"

# Installs into a temporary prefix, runs the installed command from another folder, uninstalls.
test-install:
	Tools/install/test-install.sh

bench: deps
	swift run -c release diffsynth-bench

# Direct Distillation steps and sampling, ours (the release binary) against PyTorch + diffusers on
# the same folders, inputs and threads; CASES=a,b and ROUNDS=N narrow or lengthen it. Local only.
ROUNDS := 3
bench-compare: deps
	swift build -c release --product diffsynth
	python3 Benchmarks/Compare/bench_compare.py --rounds $(ROUNDS) $(if $(CASES),--cases $(CASES))


# Direct Distillation end to end on the embedded default (Models/qwen-image-shapes, a small
# Qwen-Image trained here on synthetic shapes): the teacher draws PROMPTS training prompts at
# 50 steps / CFG 4 (images and final latents); CFG-1 students are distilled from it over REPEAT
# epochs — "image": DiffSynth-Studio's target (the VAE encoding of the teacher image), 4 steps;
# "latents": the teacher's own latents, 4 steps (the winner on dev prompts); "all-steps": the
# latents target with one student for STUDENT_STEPS; TRAJECTORY=1 adds trajectory imitation at
# 4 steps — and all are compared with the teacher on 16 held-out prompts and seeds.
# FULL=1 fine-tunes the whole transformer instead of a LoRA.
DEMO := out/demo
MODEL := Models/qwen-image-shapes
DIFFSYNTH := .build/release/diffsynth
PROMPTS := 384
REPEAT := 3
STUDENT_STEPS := 1,2,4,8
STEPS := $(shell echo $$(( $(PROMPTS) * $(REPEAT) )))
TRAINABLE := $(if $(FULL),--trainable_models dit --learning_rate 2e-4,--lora_base_model dit --lora_target_modules "" --lora_rank 16 --learning_rate 1e-3)
STUDENT = $(if $(FULL),--student_checkpoint,--lora_path) $(1)=$(DEMO)/$(1)/step-$(STEPS).safetensors
STUDENTS := image latents all-steps $(if $(TRAJECTORY),trajectory)
TRAIN := $(DIFFSYNTH) train --model $(MODEL) --dataset_base_path $(DEMO)/data --dataset_metadata_path $(DEMO)/data/metadata.csv \
	--data_file_keys image --extra_inputs seed,rand_device,num_inference_steps,cfg_scale --height 64 --width 64 \
	--dataset_repeat $(REPEAT) $(TRAINABLE) --use_gradient_checkpointing --save_steps $(STEPS)
demo: deps
	swift build -c release --product diffsynth
	rm -rf $(DEMO)
	$(DIFFSYNTH) shapes --output_path $(DEMO)/prompts --count $(PROMPTS) --seed 1 --prompts_only
	$(DIFFSYNTH) shapes --output_path $(DEMO)/heldout --count 16 --seed 2 --prompts_only
	$(DIFFSYNTH) dataset --model $(MODEL) --prompts $(DEMO)/prompts/prompts.csv --output_path $(DEMO)/data --height 64 --width 64 \
		--teacher_steps 50 --teacher_cfg_scale 4 --num_inference_steps 4 --cfg_scale 1
	@# The three students train side by side, one thread each: on a 2-core machine that is 1.8x faster
	@# than one after the other (the results are bit-identical either way). Progress shows for one.
	@echo "training the image, latents and all-steps students side by side (logs: $(DEMO)/<student>/train.log)"
	@mkdir -p $(DEMO)/image $(DEMO)/all-steps
	@set -e; export DIFFSYNTH_NUM_THREADS=1; \
	$(TRAIN) --task direct_distill --distill_target image --output_path $(DEMO)/image 2> $(DEMO)/image/train.log & image=$$!; \
	$(TRAIN) --task direct_distill --distill_target latents --student_steps $(STUDENT_STEPS) --output_path $(DEMO)/all-steps \
		2> $(DEMO)/all-steps/train.log & all=$$!; \
	$(TRAIN) --task direct_distill --distill_target latents --output_path $(DEMO)/latents; \
	wait $$image || { tail -n 3 $(DEMO)/image/train.log; exit 1; }; \
	wait $$all || { tail -n 3 $(DEMO)/all-steps/train.log; exit 1; }
	$(if $(TRAJECTORY),$(TRAIN) --task trajectory_imitation --teacher_steps 50 --teacher_cfg_scale 4 --output_path $(DEMO)/trajectory)
	$(DIFFSYNTH) plot-loss --csv $(DEMO)/latents/loss.csv --output $(DEMO)/loss.png
	$(DIFFSYNTH) eval --model $(MODEL) $(foreach s,$(STUDENTS),$(call STUDENT,$(s))) \
		--prompts $(DEMO)/heldout/prompts.csv --steps 1,2,4,8 --baseline_teacher_steps 4,8 --teacher_steps 50 --teacher_cfg_scale 4 \
		--grid_steps 4 --height 64 --width 64 --adherence shapes --output_path $(DEMO)
	cp $(DEMO)/latents/loss.csv $(DEMO)/loss.csv

# DiffSynth for Swift — the two commands README promises, plus their shared setup.
#   make bench   the main job (until the embedded default model exists: the engine benchmark)
#   make test    the test suite, in release mode (numeric Swift is 10–50× slower in debug)

SYSTEM_PACKAGES := libopenblas-dev libjpeg-dev libffi-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps test bench

# Installs the system libraries the build links against, only when one is missing.
deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

PLUGIN := plugins/ExampleAdapter/.build/release/libExampleAdapter.so

# The package's tests, then the example plugin: built out of tree, loaded by the host,
# and put through the adapter conformance kit next to the built-in families.
test: deps
	swift test -c release -Xswiftc -enable-testing
	swift build -c release --package-path plugins/ExampleAdapter
	swift build -c release -Xswiftc -enable-testing --product diffsynth
	.build/release/diffsynth conformance --plugin $(PLUGIN)

bench: deps
	swift run -c release diffsynth-bench


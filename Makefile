# OpenGrid: `make` builds everything into build/bin, `make test` runs every test,
# `make demo` runs the main job on a local mesh. Each installs what it needs first.
BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?=
CHAIN ?= embedded

.PHONY: all deps configure build fuzz test demo demo-train demo-image demo-ai images bench clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

configure: deps $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j$(JOBS)

# The libFuzzer targets (tests/fuzz) need clang++: a build of their own, run by `make test`.
fuzz: deps
	cmake -S . -B $(BUILD)/fuzz -DOG_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Fuzz $(CMAKE_FLAGS)
	cmake --build $(BUILD)/fuzz -j$(JOBS)

test: build fuzz
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 300

# CHAIN=evm: the same demo settling on a local chain (anvil).
demo: build
	CHAIN=$(CHAIN) scripts/demo.sh $(BUILD)/bin

# The training workload: og-train on 2 ranks × 2 replicas (MODEL=cnn EPOCHS=N to vary).
demo-train: build
	scripts/demo-train.sh $(BUILD)/bin

# A job in an OCI image from a local registry, with a data set (needs the Debian package
# registry to build the image).
demo-image: build
	scripts/demo-image.sh $(BUILD)/bin

# The four AI workloads (LLM inference, PyTorch training, image generation, Blender) in
# their images on a local mesh with a registry; results in ./ai-demo.
demo-ai: build
	scripts/demo-ai.sh $(BUILD)/bin

# The example images (images/) built from Debian packages, pushed to $$OG_REGISTRY.
images: deps
	scripts/build-images.sh

bench: build
	bench/run.sh $(BUILD)/bin
	bench/scheduling.sh $(BUILD)/bin
	bench/sandbox.sh $(BUILD)/bin
	bench/train.sh $(BUILD)/bin
	bench/vs-slurm.sh $(BUILD)/bin
	bench/load.sh $(BUILD)/bin

clean:
	rm -rf $(BUILD)

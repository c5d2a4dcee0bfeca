#!/usr/bin/env bash
# Installs the Debian packages OpenGrid builds and tests with, when any is missing.
# As root it runs apt-get itself; otherwise it prints the exact command and fails.
set -euo pipefail

packages=(
  g++ make cmake pkg-config
  libboost1.81-dev        # Asio + Beast (1.81: the default 1.74 lacks what we use)
  nlohmann-json3-dev      # the one JSON library
  libssl-dev libsqlite3-dev
  libsodium-dev           # Ed25519, randomness, SHA-256 for commands that must start fast
  libhdf5-dev             # fuzzy verification of HDF5 outputs (and checkpoints)
  libpng-dev              # --verify=image: PNG outputs compared by their pixels
  libgtest-dev googletest libbenchmark-dev
  procps                  # ps/kill used by og-mesh and the tests
  python3                 # the containment tests' attacks (ctypes, termios)
  libseccomp-dev          # og-jail's system-call filter (linked statically)
  openmpi-bin libopenmpi-dev  # multi-rank jobs (mpirun inside the jail; the trainer)
  nodejs npm              # the contracts' toolchain: forge, anvil, cast and solc-js from npm
  libsecp256k1-dev libcurl4-openssl-dev  # the EVM ledger backend: signing, JSON-RPC
  zlib1g-dev dataset-fashion-mnist        # the training workload's input (idx .gz files)
  libopenblas-dev                         # the trainer's matrix products
  python3-torch python3-sentencepiece python3-numpy python3-pil  # the AI examples (examples/ai) and their tests
  blender                 # the render farm example and its test (Cycles on the CPU)
  slurm-wlm slurmrestd slurm-wlm-jwt-plugin munge  # the slurm backend's tests: a one-host Slurm
  chromium                # the dashboard's browser test (driven by npm playwright-core)
  clang libclang-rt-14-dev  # the fuzz targets: clang++ with libFuzzer and the sanitizers
  libarchive-dev          # og-worker unpacks image layers (tar, gzip, zstd)
  docker-registry         # the OCI registry of og-mesh up --registry and the image tests
  skopeo umoci mmdebstrap # make images (Debian roots pushed as images); the pull benchmark's anchor
)

missing=()
for p in "${packages[@]}"; do
  # node and npm may come from elsewhere (NodeSource bundles npm in its nodejs): a working
  # command is enough.
  [[ $p == nodejs ]] && command -v node >/dev/null && continue
  [[ $p == npm ]] && command -v npm >/dev/null && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "OpenGrid needs these Debian packages: ${missing[*]}" >&2
    echo "Install them as root with:" >&2
    echo "  $cmd" >&2
    exit 1
  fi
  echo "Installing Debian packages: ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# npm packages pinned by lock files, installed again only when a lock file changed: the
# contracts' toolchain (Foundry's native binaries, solc-js) and the dashboard's browser
# test driver (playwright-core, which uses Debian's chromium).
for project in contracts web; do
  dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../$project" && pwd)
  if [[ ! -f $dir/node_modules/.package-lock.json || $dir/package-lock.json -nt $dir/node_modules/.package-lock.json ]]; then
    echo "Installing $project's npm packages ($project/package-lock.json)" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
done

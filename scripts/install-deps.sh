#!/usr/bin/env bash
# Installs the Debian packages OpenGrid builds and tests with, when any is missing.
# As root it runs apt-get itself; otherwise it prints the exact command and fails.
set -euo pipefail

packages=(
  g++ make cmake pkg-config
  libboost1.81-dev        # Asio + Beast (1.81: the default 1.74 lacks what we use)
  nlohmann-json3-dev      # the one JSON library
  libssl-dev libsqlite3-dev
  libhdf5-dev             # fuzzy verification of HDF5 outputs (and checkpoints)
  libgtest-dev googletest libbenchmark-dev
  procps                  # ps/kill used by og-mesh and the tests
  openmpi-bin libopenmpi-dev  # multi-rank jobs (mpirun inside the jail; the trainer)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

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

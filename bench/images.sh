#!/usr/bin/env bash
# Images (issue 21): what a cached image adds to a jailed job's start, and a cold pull of a
# ~500 MB image from a loopback registry by og-worker's code against skopeo copy + umoci
# unpack of the same image, in the same run. Needs root (the jail; unpacking as root).
set -euo pipefail
bin=$(cd "${1:-build/bin}" && pwd)
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH=$bin:$PATH
work=$(mktemp -d /tmp/opengrid-bench-images.XXXXXX)
trap '"$src/scripts/registry-local.sh" stop "$work/registry" 2>/dev/null; rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r)"
[[ $(id -u) -eq 0 ]] || { echo "bench/images.sh: SKIPPED: needs root"; exit 0; }

# 1. Launch: `true` jailed on the host's /usr against jailed in a cached image (interleaved).
python3 "$src/tests/integration/make_image_layer.py" "$work/small.tar.gz" base 42
mkdir -p "$work/small/rootfs" && tar -xzf "$work/small.tar.gz" -C "$work/small/rootfs"
cp /usr/bin/true "$work/small/rootfs/usr/bin/true"
og-bench-launch 200 loopback "$work/small/rootfs"

# 2. A cold pull of a ~500 MB one-layer image (system libraries), both ways, same registry.
eval "$("$src/scripts/registry-local.sh" start "$work/registry")"
find /usr/lib/x86_64-linux-gnu -type f -links 1 -printf '%s usr/lib/x86_64-linux-gnu/%P\n' | sort -k2 |
  awk '{ if (total + $1 <= 500 * 1048576) { total += $1; print $2 } }' >"$work/files"
tar -czf "$work/big.tar.gz" -C / -T "$work/files"
echo "layer: $(du -m "$work/big.tar.gz" | cut -f1) MB compressed, $(tar -tvzf "$work/big.tar.gz" | awk '{s += $3} END {printf "%d", s / 1048576}') MB of files"
skopeo copy --quiet --dest-tls-verify=false "tarball:$work/big.tar.gz" "docker://$OG_REGISTRY/bench/big:1"
sync
og-bench-pull "$OG_REGISTRY/bench/big:1" "$work/og-cache"
start=$(date +%s.%N)
skopeo copy --quiet --src-tls-verify=false "docker://$OG_REGISTRY/bench/big:1" "oci:$work/skopeo:1"
umoci unpack --image "$work/skopeo:1" "$work/bundle" >/dev/null
end=$(date +%s.%N)
echo "skopeo_umoci_s=$(echo "$end - $start" | bc)"

#!/usr/bin/env bash
# make images: builds the images under images/ (or those named) from Debian packages and
# pushes them to $OG_REGISTRY/og/NAME:1. Needs the Debian package registry (network),
# mmdebstrap, skopeo and umoci (scripts/install-deps.sh), and root.
#   eval "$(scripts/registry-local.sh start /tmp/registry)"; scripts/build-images.sh [NAME...]
set -euo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[[ -n ${OG_REGISTRY:-} ]] || { echo "build-images: set OG_REGISTRY (eval \"\$(scripts/registry-local.sh start DIR)\")" >&2; exit 2; }
names=("$@")
[[ ${#names[@]} -gt 0 ]] || names=($(cd "$src/images" && ls -d */ | tr -d /))
out=${OG_IMAGE_BUILD_DIR:-$src/build/images}
mkdir -p "$out"
case $OG_REGISTRY in 127.0.0.1:* | localhost:*) tls=false ;; *) tls=true ;; esac
for name in "${names[@]}"; do
  recipe=$src/images/$name
  [[ -f $recipe/packages ]] || { echo "build-images: no recipe images/$name/packages" >&2; exit 2; }
  # An image built before from the same recipe is pushed again as it is (a rebuild would
  # give the same programs: the recipe names Debian 12 packages only).
  if [[ -f $out/$name.oci/index.json && $out/$name.oci/index.json -nt $recipe/packages && $out/$name.oci/index.json -nt $recipe/env ]]; then
    skopeo copy --quiet --dest-tls-verify=$tls "oci:$out/$name.oci:1" "docker://$OG_REGISTRY/og/$name:1"
    echo "build-images: pushed $OG_REGISTRY/og/$name:1 (built before in $out/$name.oci)" >&2
    continue
  fi
  packages=$(grep -v '^#' "$recipe/packages" | paste -sd, -)
  echo "build-images: $name: mmdebstrap bookworm + $packages" >&2
  mmdebstrap --quiet --variant=essential --include="$packages" --format=tar bookworm "$out/$name.tar"
  # One layer, its config's Env from the recipe: an OCI layout, then pushed by digest.
  rm -rf "$out/$name.oci" && umoci init --layout "$out/$name.oci" && umoci new --image "$out/$name.oci:1"
  rm -rf "$out/$name.bundle" && mkdir -p "$out/$name.bundle/rootfs"
  # Without the device nodes mmdebstrap makes: providers refuse them in layers (the jail
  # gives every job its own /dev).
  tar -xf "$out/$name.tar" -C "$out/$name.bundle/rootfs" --exclude='./dev/*'
  env_args=()
  while read -r kv; do [[ -n $kv ]] && env_args+=(--config.env "$kv"); done <"$recipe/env"
  umoci insert --image "$out/$name.oci:1" "$out/$name.bundle/rootfs" /
  umoci config --image "$out/$name.oci:1" "${env_args[@]}" --config.workingdir /
  skopeo copy --quiet --dest-tls-verify=$tls "oci:$out/$name.oci:1" "docker://$OG_REGISTRY/og/$name:1"
  rm -rf "$out/$name.bundle" "$out/$name.tar"
  echo "build-images: pushed $OG_REGISTRY/og/$name:1 ($(skopeo inspect --tls-verify=$tls --format '{{.Digest}}' "docker://$OG_REGISTRY/og/$name:1"))" >&2
done

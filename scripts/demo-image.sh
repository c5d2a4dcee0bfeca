#!/usr/bin/env bash
# make demo-image: a local mesh with a local OCI registry; the base image (images/base,
# built from Debian packages by scripts/build-images.sh) and a data set are pushed to it,
# and a job runs in the image on two providers, reading the data set, its replicas agreeing.
set -euo pipefail
bin=$(cd "${1:-build/bin}" && pwd)
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH=$bin:$PATH
work=$(mktemp -d /tmp/opengrid-demo-image.XXXXXX)
trap 'og-mesh down --dir "$work/mesh" 2>/dev/null || true' EXIT
. "$src/scripts/demo-common.sh"

step "Starting a local mesh with a registry: og-schedd, 2 og-workers, docker-registry"
eval "$(og-mesh up --workers 2 --cpus 1 --registry --dir "$work/mesh")"
echo "OG_REGISTRY=$OG_REGISTRY"

step "Building images/base from Debian packages and pushing it to $OG_REGISTRY/og/base:1"
OG_IMAGE_BUILD_DIR=$work/images "$src/scripts/build-images.sh" base

step "Pushing a data set with og-data"
mkdir -p "$work/words" && printf 'grid\n' >"$work/words/word.txt"
og-data push "$work/words" "$OG_REGISTRY/me/words:1"

step "A job in the image, reading the data set, on two providers"
mkdir -p "$work/submit" && cd "$work/submit"
cat >image-job.sh <<JOB
#!/bin/bash
#SBATCH --container-image=$OG_REGISTRY/og/base:1
#OG --data=words=$OG_REGISTRY/me/words:1
#SBATCH --replicas=2
figlet -f small "open \$(cat /data/words/word.txt)"   # figlet is in the image, not on the host
python3 -c 'import sys; print("python", sys.version.split()[0], "from the image")'
JOB
cat image-job.sh
out=$(og-sbatch --wait image-job.sh)
echo "$out"
id=$(echo "$out" | sed -n 's/^Submitted batch job \([0-9]*\).*/\1/p' | head -1)
cat "slurm-$id.out"
step "Its history: the pull and what it cost"
og-scontrol show job "$id" | grep -E 'JobState|ContainerImage|Data=|fetch|settled'
og-mesh down --dir "$work/mesh"

#!/usr/bin/env bash
# A local OCI registry for demos and tests: scripts/registry-local.sh start DIR | stop DIR.
# start: Debian's docker-registry (the CNCF distribution registry) on a free 127.0.0.1
# port, storing under DIR/data; prints `export OG_REGISTRY=127.0.0.1:PORT` for eval.
# Plain HTTP on loopback: og-sbatch and og-data speak HTTP to loopback registries, and an
# og-worker pulls from it once told so (--allow-registry http://127.0.0.1:PORT).
# stop: by recorded PID (the data stays in DIR).
set -euo pipefail
cmd=${1:-}
dir=${2:-}
[[ ($cmd == start || $cmd == stop) && -n $dir ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

if [[ $cmd == stop ]]; then
  [[ -s $dir/registry.pid ]] && kill "$(cat "$dir/registry.pid")" 2>/dev/null || true
  rm -f "$dir/registry.pid"
  echo "registry-local: stopped the registry in $dir" >&2
  exit 0
fi

command -v docker-registry >/dev/null || { echo "registry-local: docker-registry is missing: run scripts/install-deps.sh" >&2; exit 1; }
mkdir -p "$dir/data"
dir=$(cd "$dir" && pwd)
cat >"$dir/config.yml" <<CONFIG
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:0
  secret: $(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
CONFIG
docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
echo $! >"$dir/registry.pid"
addr=""
for _ in $(seq 200); do
  addr=$(sed -n 's/.*msg="listening on \([0-9.:]*\)".*/\1/p' "$dir/registry.log" | head -1)
  [[ -n $addr ]] && break
  kill -0 "$(cat "$dir/registry.pid")" 2>/dev/null || break
  sleep 0.05
done
[[ -n $addr ]] || { "$0" stop "$dir"; echo "registry-local: docker-registry did not start; see $dir/registry.log" >&2; exit 1; }
echo "registry-local: docker-registry at http://$addr, storing in $dir/data" >&2
echo "export OG_REGISTRY=$addr"

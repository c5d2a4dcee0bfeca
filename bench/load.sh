#!/usr/bin/env bash
# og-schedd under load (issue 9): 10,000 queued jobs, then 100 simulated workers draining
# them, on loopback; og-schedd's peak memory and CPU and the request latencies.
#   bench/load.sh BIN_DIR [--tls] [--jobs N] [--workers N]
# The state directory lives on tmpfs (/dev/shm) when there is one, as a production
# og-schedd would keep its SQLite file on a fast disk.
set -euo pipefail
bin=$(cd "${1:?usage: load.sh BIN_DIR [--tls] [--jobs N] [--workers N]}" && pwd); shift
tls=false jobs=10000 workers=100
while [[ $# -gt 0 ]]; do
  case $1 in
    --tls) tls=true; shift ;;
    --jobs) jobs=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    *) echo "load.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
base=/tmp; [[ -d /dev/shm && -w /dev/shm ]] && base=/dev/shm
dir=$(mktemp -d "$base/og-load.XXXXXX")
pid=""
trap '[[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
scheme=http tls_opts=() ca_opts=()
if $tls; then
  "$bin/og-tls-ca" "$dir/tls"
  scheme=https tls_opts=(--tls-cert "$dir/tls/server.pem" --tls-key "$dir/tls/server.key")
  ca_opts=(--ca-file "$dir/tls/ca.pem")
fi
# Workers that report nothing for a while are not what is measured: the default timeouts.
"$bin/og-schedd" --state "$dir/state" --listen 127.0.0.1:0 --port-file "$dir/port" --allow-unsigned --quiet --faucet 1000000 --max-connections-per-address 1024 \
  "${tls_opts[@]}" >"$dir/schedd.log" 2>&1 &
pid=$!
for _ in $(seq 100); do [[ -s $dir/port ]] && break; sleep 0.1; done
[[ -s $dir/port ]] || { cat "$dir/schedd.log" >&2; exit 1; }
echo "og-schedd ($scheme, state on $base) pid $pid, $(nproc) CPUs, $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo '?')"
"$bin/og-bench-load" --url "$scheme://127.0.0.1:$(cat "$dir/port")" --admin-token-file "$dir/state/admin.token" \
  --schedd-pid "$pid" --jobs "$jobs" --workers "$workers" "${ca_opts[@]}"

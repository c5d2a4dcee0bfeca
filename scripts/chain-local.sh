#!/usr/bin/env bash
# A local chain for demos and tests: scripts/chain-local.sh start DIR | stop DIR.
# start: anvil on a free 127.0.0.1 port, the contracts built by forge and deployed with
# og-chain, the settlement key being anvil's first well-known test account (test money
# only; real keys come from a file or $OG_CHAIN_KEY). Prints `export OG_CHAIN_RPC=...`
# and `export OG_CHAIN_DEPLOYMENT=DIR/deployment.json` for eval. stop: by recorded PID.
set -euo pipefail
cmd=${1:-}
dir=${2:-}
[[ ($cmd == start || $cmd == stop) && -n $dir ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${OG_BIN:-$root/build/bin}
tools=$root/contracts/node_modules/@foundry-rs

if [[ $cmd == stop ]]; then
  [[ -s $dir/anvil.pid ]] && kill "$(cat "$dir/anvil.pid")" 2>/dev/null || true
  rm -f "$dir/anvil.pid"
  echo "chain-local: stopped the chain in $dir" >&2
  exit 0
fi

[[ -x $tools/anvil-linux-amd64/bin/anvil ]] || { echo "chain-local: anvil is missing: run scripts/install-deps.sh" >&2; exit 1; }
mkdir -p "$dir"
"$tools/anvil-linux-amd64/bin/anvil" --host 127.0.0.1 --port 0 >"$dir/anvil.log" 2>&1 &
echo $! >"$dir/anvil.pid"
for _ in $(seq 100); do
  grep -q '^Listening on ' "$dir/anvil.log" && break
  sleep 0.05
done
url="http://$(sed -n 's/^Listening on //p' "$dir/anvil.log" | head -1)"
[[ $url != "http://" ]] || { "$0" stop "$dir"; echo "chain-local: anvil did not start; see $dir/anvil.log" >&2; exit 1; }

(cd "$root/contracts" && "$tools/forge-linux-amd64/bin/forge" build --out "$dir/out" --cache-path "$dir/cache" \
  --skip test --quiet) >"$dir/forge.log" 2>&1 || { "$0" stop "$dir"; echo "chain-local: forge build failed; see $dir/forge.log" >&2; exit 1; }
(umask 077; echo ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80 >"$dir/settlement.key")
"$bin/og-chain" deploy --rpc "$url" --key-file "$dir/settlement.key" --artifacts "$dir/out" \
  --out "$dir/deployment.json" >/dev/null
echo "chain-local: anvil at $url, contracts in $dir/deployment.json" >&2
echo "export OG_CHAIN_RPC=$url"
echo "export OG_CHAIN_DEPLOYMENT=$dir/deployment.json"

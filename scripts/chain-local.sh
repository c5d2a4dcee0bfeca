#!/usr/bin/env bash
# A local chain for demos and tests: scripts/chain-local.sh start DIR | stop DIR.
# start: anvil on a free 127.0.0.1 port, the contracts built by forge and deployed with
# og-chain, the settlement key being anvil's first well-known test account (test money
# only; real keys come from a file or $OG_CHAIN_KEY). Prints `export OG_CHAIN_RPC=...`,
# `export OG_CHAIN_DEPLOYMENT=DIR/deployment.json` and `export OG_CHAIN_TEST_KEYS=DIR/keys`
# (anvil's test accounts 0-9 as key files, N.key: 0 settles, the others are for demo
# users and providers) for eval. stop: by recorded PID.
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
# anvil's well-known test accounts (mnemonic "test test ... junk"): test money only.
mkdir -p "$dir/keys"
i=0
for key in ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80 \
  59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d \
  5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a \
  7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6 \
  47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a \
  8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba \
  92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e \
  4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356 \
  dbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97 \
  2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6; do
  (umask 077; echo "$key" >"$dir/keys/$i.key")
  i=$((i + 1))
done
cp "$dir/keys/0.key" "$dir/settlement.key"
"$bin/og-chain" deploy --rpc "$url" --key-file "$dir/settlement.key" --artifacts "$dir/out" \
  --out "$dir/deployment.json" >/dev/null
echo "chain-local: anvil at $url, contracts in $dir/deployment.json" >&2
echo "export OG_CHAIN_RPC=$url"
echo "export OG_CHAIN_DEPLOYMENT=$dir/deployment.json"
echo "export OG_CHAIN_TEST_KEYS=$dir/keys"

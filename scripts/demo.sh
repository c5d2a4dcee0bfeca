#!/usr/bin/env bash
# make demo: a local mesh of three workers runs the hello job on three providers, the
# quorum of their output hashes decides the result, and the escrow pays the providers
# that agreed (less the 1% protocol fee) and refunds the rest. Exits non-zero on any failure.
# CHAIN=evm (make demo CHAIN=evm): the same on a local chain — anvil with OpenGrid's
# contracts, budgets committed and payments settled on chain, balances read back from it.
set -euo pipefail

bin=$(cd "${1:-build/bin}" && pwd)
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH=$bin:$PATH
work=$(mktemp -d /tmp/opengrid-demo.XXXXXX)
chain=${CHAIN:-embedded}
[[ $chain == embedded || $chain == evm ]] || { echo "demo: CHAIN is embedded or evm, not $chain" >&2; exit 2; }
trap 'og-mesh down --dir "$work/mesh" 2>/dev/null || true; [[ $chain == evm ]] && "$src/scripts/chain-local.sh" stop "$work/chain" 2>/dev/null || true' EXIT

. "$src/scripts/demo-common.sh"

if [[ $chain == evm ]]; then
  step "Starting a local chain: anvil with TestStablecoin, ProviderRegistry and JobEscrow deployed"
  eval "$(OG_BIN=$bin "$src/scripts/chain-local.sh" start "$work/chain")"
  cat "$OG_CHAIN_DEPLOYMENT"
fi
step "Starting a local mesh: og-schedd ($chain ledger) + 3 og-workers asking 0.05 per CPU-hour (state in $work/mesh)"
eval "$(og-mesh up --workers 3 --cpus 2 --dir "$work/mesh" --ledger "$chain" --worker-opt "--price 0.05")"
og-sinfo
if [[ $chain == evm ]]; then
  step "Wallets: you and each worker linked an anvil test account and committed a budget on chain; workers bonded 10.00"
else
  step "Wallets: the faucet funded you; each worker posted a 10.00 bond to register"
fi
og-wallet balance
for w in 1 2 3; do og-wallet --token-file "$work/mesh/worker-$w.token" balance; done

step "Submitting jobscripts/examples/hello.sh with --replicas=3 and waiting for it"
mkdir -p "$work/submit"
cd "$work/submit"
cp "$src/jobscripts/examples/hello.sh" .
out=$(og-sbatch --wait hello.sh)
echo "$out"
job=${out##* }

await_replicas_done "$job" 3

step "og-squeue -j $job"
og-squeue -j "$job"
step "og-sacct -j $job"
og-sacct -j "$job"
step "How it ran: jailed (as root, workers contain each job), signed by your key"
og-sacct -j "$job" --trust

step "The job's output, brought back into the submit directory"
ls -l
cat "hello-$job.out"

step "The three replicas and their output hashes (Merkle roots of their manifests)"
og-scontrol show job "$job" | tee "$work/job.txt"
roots=$(grep -o 'Lease=.* Root=[0-9a-f]*' "$work/job.txt" | sed 's/.*Root=//' | sort -u)
replicas=$(grep -c 'State=DONE' "$work/job.txt")
state=$(grep -o 'JobState=[A-Z_]*' "$work/job.txt")

step "Payment: once every replica has reported, the escrow settles"
await_settled "$job"
og-sacct -j "$job" --payment
og-wallet history -n 3
for w in 1 2 3; do og-wallet --token-file "$work/mesh/worker-$w.token" balance; done
paid=$(og-sacct -j "$job" --payment -n | awk '{print $(NF - 1)}')  # PaidTo: before Canonical, the last

on_chain=ok
if [[ $chain == evm ]]; then
  step "On chain: the payments went out in a settleBatch transaction; balances read back from JobEscrow"
  for _ in $(seq 100); do
    og-wallet balance --json | grep -q '"payments_pending": 0' && break
    sleep 0.1
  done
  for w in 1 2 3; do
    address=$(og-chain address --key-file "$OG_CHAIN_TEST_KEYS/$((w + 1)).key")
    earned=$(og-chain credits "$address")
    echo "worker-$w ($address): earnings in JobEscrow $earned"
    [[ $paid != *worker-$w* || $earned != 0.000000 ]] || on_chain="worker-$w was paid in the book but not on chain"
  done
  treasury=$(sed -n 's/.*"treasury": "\(0x[0-9a-fA-F]*\)".*/\1/p' "$OG_CHAIN_DEPLOYMENT")
  echo "treasury ($treasury): fees in JobEscrow $(og-chain credits "$treasury")"
  og-wallet balance
fi

step "Verdict"
if [[ $state == JobState=COMPLETED && $replicas -eq 3 && $(echo "$roots" | wc -l) -eq 1 &&
      $paid == worker-*,worker-*,worker-* && $on_chain == ok ]]; then
  echo "COMPLETED: 3 providers agree on $roots; paid: $paid${OG_CHAIN_RPC:+ (settled on chain)}"
else
  echo "demo FAILED: $state, $replicas replicas reported, roots: $roots, paid: $paid, chain: $on_chain" >&2
  exit 1
fi

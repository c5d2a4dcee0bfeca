#!/usr/bin/env bash
# make demo: a local mesh of three workers runs the hello job on three providers, the
# quorum of their output hashes decides the result, and the escrow pays the providers
# that agreed (less the 1% protocol fee) and refunds the rest. Exits non-zero on any failure.
set -euo pipefail

bin=$(cd "${1:-build/bin}" && pwd)
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH=$bin:$PATH
work=$(mktemp -d /tmp/opengrid-demo.XXXXXX)
trap 'og-mesh down --dir "$work/mesh" 2>/dev/null || true' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Starting a local mesh: og-schedd + 3 og-workers asking 0.05 per CPU-hour (state in $work/mesh)"
eval "$(og-mesh up --workers 3 --cpus 2 --dir "$work/mesh" --worker-opt "--price 0.05")"
og-sinfo
step "Wallets: the faucet funded you; each worker posted a 10.00 bond to register"
og-wallet balance
for w in 1 2 3; do og-wallet --token-file "$work/mesh/worker-$w.token" balance; done

step "Submitting jobscripts/examples/hello.sh with --replicas=3 and waiting for it"
mkdir -p "$work/submit"
cd "$work/submit"
cp "$src/jobscripts/examples/hello.sh" .
out=$(og-sbatch --wait hello.sh)
echo "$out"
job=${out##* }

# The job is accepted at quorum; wait until the third replica has reported too.
for _ in $(seq 100); do
  [[ $(og-scontrol show job "$job" | grep -c 'State=DONE') -eq 3 ]] && break
  sleep 0.1
done

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
for _ in $(seq 100); do
  og-sacct -j "$job" --payment -n | grep -qv pending && break
  sleep 0.1
done
og-sacct -j "$job" --payment
og-wallet history -n 3
for w in 1 2 3; do og-wallet --token-file "$work/mesh/worker-$w.token" balance; done
paid=$(og-sacct -j "$job" --payment -n | awk '{print $6}')

step "Verdict"
if [[ $state == JobState=COMPLETED && $replicas -eq 3 && $(echo "$roots" | wc -l) -eq 1 &&
      $paid == worker-*,worker-*,worker-* ]]; then
  echo "COMPLETED: 3 providers agree on $roots; paid: $paid"
else
  echo "demo FAILED: $state, $replicas replicas reported, roots: $roots, paid: $paid" >&2
  exit 1
fi

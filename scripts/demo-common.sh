# Helpers the demo scripts share (sourced, not run).

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# A job is accepted at quorum; wait (up to 10 s) until all $2 of its replicas have reported.
await_replicas_done() {
  for _ in $(seq 100); do
    [[ $(og-scontrol show job "$1" | grep -c 'State=DONE') -eq $2 ]] && return 0
    sleep 0.1
  done
}

# Once every replica has reported the escrow settles; wait (up to 10 s) for it.
await_settled() {
  for _ in $(seq 100); do
    og-sacct -j "$1" --payment -n | grep -qv pending && return 0
    sleep 0.1
  done
}

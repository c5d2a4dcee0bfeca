#!/usr/bin/env bash
# The contracts' Foundry tests (unit, fuzz, invariants, gas), offline: forge from the
# pinned npm packages in contracts/ compiles with solc-js through contracts/tools/solc.
# `make test` runs it (scripts/install-deps.sh installs node, npm and the packages).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../contracts"
forge=node_modules/@foundry-rs/forge-linux-amd64/bin/forge
if [[ ! -x $forge ]]; then
  echo "forge-test: $PWD/$forge is missing: run scripts/install-deps.sh (npm ci in contracts/)" >&2
  exit 1
fi
# The native forge binary exits non-zero when a test fails (the npm wrapper would not).
exec "$forge" test "$@"

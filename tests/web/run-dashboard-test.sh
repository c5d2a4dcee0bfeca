#!/usr/bin/env bash
# Runs the dashboard's browser test against a fresh local mesh (og-mesh up, 2 workers and a
# validator):
#   tests/web/run-dashboard-test.sh BIN_DIR ARTIFACT_DIR
set -euo pipefail
bin=$1 artifacts=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
modules=$here/../../web/node_modules/playwright-core
[[ -d $modules ]] || { echo "playwright-core is not installed: run scripts/install-deps.sh (npm ci in web/)" >&2; exit 1; }
command -v chromium >/dev/null || { echo "chromium is not installed: run scripts/install-deps.sh" >&2; exit 1; }
mesh=$(mktemp -d /tmp/og-dashboard-test.XXXXXX)
trap '"$bin/og-mesh" down --dir "$mesh" 2>/dev/null; rm -rf "$mesh"' EXIT
eval "$("$bin/og-mesh" up --dir "$mesh" --workers 2 --validators 1 --cpus 1 --worker-opt "--price 36")"
OG_BIN=$bin OG_PLAYWRIGHT=$modules OG_ARTIFACT_DIR=$artifacts OG_WORKER_TOKEN_FILE=$mesh/worker-1.token node "$here/dashboard.test.mjs"

#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time over its committed seed corpus:
#   tests/fuzz/run-fuzzer.sh FUZZ_BUILD_DIR NAME SECONDS
# New inputs it finds go to FUZZ_BUILD_DIR/corpus/NAME (not the repository); a crash
# leaves its input in FUZZ_BUILD_DIR/artifacts and fails (add it to the seed corpus once
# fixed).
set -euo pipefail
build=$1 name=$2 seconds=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
target=$build/bin/fuzz_$name
[[ -x $target ]] || { echo "$target is missing: build the fuzz targets with 'make fuzz'" >&2; exit 1; }
mkdir -p "$build/corpus/$name" "$build/artifacts"
# -rss_limit_mb and -timeout turn a blow-up or a hang into a failure with its input kept.
dict=()
[[ -f $here/$name.dict ]] && dict=(-dict="$here/$name.dict")
exec "$target" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$build/artifacts/$name-" "$build/corpus/$name" "$here/corpus/$name"

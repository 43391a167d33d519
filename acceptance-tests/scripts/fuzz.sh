#!/usr/bin/env bash
# Runs each fuzz target for a bounded time and prints how many inputs it tried.
# usage: acceptance-tests/scripts/fuzz.sh [seconds per target, default 60]
# Needs cargo-fuzz (installed here if missing). libFuzzer wants nightly-only flags;
# RUSTC_BOOTSTRAP lets the stable toolchain accept them for this build only.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-60}
fuzz_dir="$root/acceptance-tests/fuzz"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
cd "$root"
for target in msgpack_decode json_decode plan_rules; do
  corpus="$fuzz_dir/corpus/$target"
  mkdir -p "$corpus"
  log=$(mktemp)
  if ! cargo fuzz run --fuzz-dir "$fuzz_dir" "$target" "$corpus" -- \
      -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "fuzz: $target FAILED; the crashing input is under $fuzz_dir/artifacts/$target" >&2
    exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  echo "fuzz: $target ran $runs inputs in ${seconds}s without a failure"
  rm -f "$log"
done

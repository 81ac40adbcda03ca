#!/usr/bin/env bash
# Fuzz throughput of gup_vs_zap against the ceiling, in one run on the same machine:
#   1. ptfuzz_fuzzer on the gup_vs_zap seeds (fixed variant, so nothing stops the run), pinned in
#      turn to each memory model (SC, TSO, relaxed; the seeds rewritten to that model),
#   2. ptfuzz_empty_fuzzer, an empty libFuzzer target,
# each for the same wall time with a fixed -seed, printing libFuzzer's average exec/s (libFuzzer
# divides by whole seconds, so short runs are imprecise: keep SECONDS >= 10).
# Usage: bench/fuzz_exec_rate.sh [BUILD_DIR] [SECONDS]   (a Release build without sanitizers)
# Environment: SCENARIO (default gup_vs_zap): whose seeds, variant fixed, to run; for
# gup_vs_madv_free the relaxed run uses arm64 primitives (ARCH=arm64 overrides for every model).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
secs=${2:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/empty"
rate() { grep -o 'average_exec_per_sec: *[0-9]*' | grep -o '[0-9]*$'; }
empty=$("$build/ptfuzz_empty_fuzzer" -max_total_time="$secs" -seed=1 -print_final_stats=1 "$work/empty" 2>&1 | rate)
scenario=${SCENARIO:-gup_vs_zap}
for model in sc tso relaxed; do
  upper=$(echo "$model" | tr a-z A-Z)
  mkdir -p "$work/$model"
  # The text seeds (all variant fixed), as format-2 schedules of this memory model; the pins
  # below rewrite what else differs (memory_model, arch) in whatever the mutator makes.
  for f in corpus/"$scenario"/seed/*.textproto; do
    sed -e 's/^format_version: 1$/format_version: 2/' \
        -e '/^  memory_model:/d' -e '/^  arch:/d' \
        -e "s/^scenario {\$/scenario {\n  memory_model: MEMORY_MODEL_$upper/" "$f" > "$work/$model/$(basename "$f")"
  done
  arch=${ARCH:-}
  if [ -z "$arch" ] && [ "$scenario" = gup_vs_madv_free ] && [ "$model" = relaxed ]; then arch=arm64; fi
  if [ -n "$arch" ]; then
    sed -i -e '/^  tlb_flush:/d' \
      -e "s/^scenario {\$/scenario {\n  arch: ARCH_$(echo "$arch" | tr a-z A-Z)\n  tlb_flush: TLB_FLUSH_BROADCAST/" \
      "$work/$model"/*.textproto
  fi
  target=$(env PTFUZZ_SCENARIO="$scenario" PTFUZZ_VARIANT=fixed PTFUZZ_MEMORY_MODEL="$model" \
    ${arch:+PTFUZZ_ARCH=$arch} "$build/ptfuzz_fuzzer" \
    -max_total_time="$secs" -seed=1 -print_final_stats=1 "$work/$model" 2>&1 | rate)
  echo "$scenario fuzz target, $model${arch:+ ($arch)}: $target exec/s (${secs}s), $(awk -v a="$target" -v b="$empty" 'BEGIN { printf "%.1f%%", 100 * a / b }') of the ceiling"
done
echo "empty libFuzzer target: $empty exec/s (${secs}s)"

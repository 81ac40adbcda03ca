#!/usr/bin/env bash
# Fuzz throughput per scenario beside the ceiling, in one run: `ptfuzz fuzz` on each scenario's
# seeds (variant fixed, so nothing stops it; pinned to SC unless MODEL says otherwise) for
# SECONDS with -seed=1, then the empty libFuzzer target for as long. Prints one Markdown row per
# scenario with libFuzzer's average exec/s, the median over the scenarios, and the empty target.
# Usage: bench/exec_rate_all.sh [BUILD_DIR] [SECONDS]   (Release, no sanitizers; a quiet machine)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
secs=${2:-10}
model=${MODEL:-sc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rate() { grep -o 'average_exec_per_sec: *[0-9]*' | grep -o '[0-9]*$' | tail -1; }
echo "| scenario | exec/s ($model, ${secs} s) |"
echo "|---|---|"
rates=()
for scenario in $("$build/ptfuzz" scenarios | grep -E '^[a-z0-9_]+( |$)' | awk '{print $1}'); do
  "$build/ptfuzz" fuzz --scenario="$scenario" --variant=fixed --memory-model="$model" \
    --max-time="$secs" --seed=1 --no-merge --out="$work/$scenario" > /dev/null 2>&1 || true
  r=$(cat "$work/$scenario"/logs/fuzzer-*.log | rate || true)
  echo "| $scenario | ${r:-?} |"
  [ -n "$r" ] && rates+=("$r")
done
median=$(printf '%s\n' "${rates[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
mkdir -p "$work/empty"
empty=$("$build/ptfuzz_empty_fuzzer" -max_total_time="$secs" -seed=1 -print_final_stats=1 \
  "$work/empty" 2>&1 | rate)
echo "| **median over ${#rates[@]} scenarios** | **$median** |"
echo "| empty libFuzzer target (the ceiling) | $empty |"

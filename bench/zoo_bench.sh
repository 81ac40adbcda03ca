#!/usr/bin/env bash
# The zoo benchmark of docs/BENCHMARKS.md in one command: `ptfuzz bench` over every buggy
# variant, split over JOBS processes (default: the number of cores), then the report
# (bench/zoo_bench_report.py): OUT/zoo.csv (one row per trial), OUT/zoo.md (the tables),
# OUT/zoo.svg (the plot).
# Usage: bench/zoo_bench.sh BUILD_DIR OUT_DIR [ptfuzz bench flags...]
#   e.g. bench/zoo_bench.sh build out/bench --trials=10 --budget=200000 --max-time=60
#        bench/zoo_bench.sh build out/scale --background=0,2,6,12 --strategies=pct,fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
build=$1
out=$2
shift 2
jobs=${JOBS:-$(nproc)}
budget=200000
for a in "$@"; do
  case $a in --budget=*) budget=${a#--budget=} ;; esac
done
mkdir -p "$out"
pids=()
for i in $(seq 0 $((jobs - 1))); do
  "$build/ptfuzz" bench "$@" --shard="$i/$jobs" --csv="$out/shard-$i.csv" \
    2> "$out/shard-$i.log" &
  pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
if [ "$status" -ne 0 ]; then
  echo "bench/zoo_bench.sh: a shard failed; see $out/shard-*.log" >&2
  grep -h "ptfuzz" "$out"/shard-*.log | grep -v "ptfuzz bench: \[" | head >&2 || true
  exit 1
fi
{
  head -1 "$out/shard-0.csv"
  for i in $(seq 0 $((jobs - 1))); do tail -n +2 "$out/shard-$i.csv"; done
} > "$out/zoo.csv"
python3 bench/zoo_bench_report.py --budget="$budget" --md "$out/zoo.md" --svg "$out/zoo.svg" \
  "$out/zoo.csv"
echo "bench/zoo_bench.sh: $(($(wc -l < "$out/zoo.csv") - 1)) trials; $out/zoo.md, $out/zoo.svg"

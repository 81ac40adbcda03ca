#!/usr/bin/env bash
# The minimizer against the bug zoo's hand-reasoned minimal preemptions: for each buggy variant
# (`ptfuzz bench --list`, or the scenarios named), a fuzzer campaign (--seed=1, 60 s) finds a crash,
# then `ptfuzz minimize` shrinks the raw crash file, timed. One Markdown row per entry: preemptions
# and context switches before -> after, reordered accesses left (stale loads, buffered stores),
# minimization wall seconds, and the zoo's estimate (the bug zoo's "Min preemptions" column).
# Usage: bench/minimize_table.sh BUILD_DIR [SCENARIO,...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=$1
filter=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
declare -A zoo_estimate=([Z01]=2 [Z02]=1 [Z03]=1 [Z04]=0 [Z05]=0 [Z06]=1 [Z07]=1 [Z08]=2 [Z09]=1
  [Z10]=1 [Z11]=1 [Z12]="0-1" [Z13]="0 + 1 delayed store" [Z14]=1 [Z15]=1 [Z16]=1 [Z17]="2?"
  [Z18]=1 [Z19]=1 [Z20]=1)
echo "| zoo | scenario / variant | config | preemptions | context switches | stale loads + buffered stores | minimize s | zoo estimate |"
echo "|---|---|---|---|---|---|---|---|"
"$build/ptfuzz" bench --list ${filter:+--scenario="$filter"} |
while read -r zoo scenario variant flush arch model expected; do
  out="$work/$scenario-$variant"
  rc=0
  "$build/ptfuzz" fuzz --scenario="$scenario" --variant="$variant" --tlb-flush="$flush" \
    --arch="$arch" --memory-model="$model" --seed=1 --max-time=60 --out="$out" \
    > "$out.log" 2>&1 || rc=$?
  crash=$(ls "$out"/findings/*/crash-* 2>/dev/null | head -1 || true)
  if [ "$rc" -ne 1 ] || [ -z "$crash" ]; then
    echo "| $zoo | $scenario / $variant | $flush, $arch, $model | not found in 60 s | | | | ${zoo_estimate[$zoo]:--} |"
    continue
  fi
  start=$(date +%s.%N)
  "$build/ptfuzz" minimize "$crash" -o "$out/min.textproto" > "$out.min" 2>&1
  end=$(date +%s.%N)
  pre=$(grep -o 'preemptions [0-9]* -> [0-9]*' "$out.min" | head -1 | cut -d' ' -f2-)
  cs=$(grep -o 'context switches [0-9]* -> [0-9]*' "$out.min" | head -1 | cut -d' ' -f3-)
  stale=$(grep -o '[0-9]* stale loads' "$out.min" | tr -dc 0-9)
  buf=$(grep -o '[0-9]* buffered stores' "$out.min" | tr -dc 0-9)
  printf '| %s | %s / %s | %s, %s, %s | %s | %s | %s | %.2f | %s |\n' "$zoo" "$scenario" "$variant" \
    "$flush" "$arch" "$model" "$pre" "$cs" "$((stale + buf))" \
    "$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')" "${zoo_estimate[$zoo]:--}"
done

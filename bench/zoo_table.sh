#!/usr/bin/env bash
# The bug-zoo table of docs/BENCHMARKS.md: for each configuration, `ptfuzz fuzz` with seeds
# 1..K, one core each, and the figures the table reports.
#   found:  median and worst wall seconds and executions to the first violation over the K seeds
#           (the seed corpus included), and the preemptions and reordered accesses (stale loads
#           under the relaxed model, buffered stores under TSO) of the first seed's minimized
#           schedule; "-" for a seed that found nothing within MAX_TIME.
#   clean:  with K=1 and a long MAX_TIME, the executions of a campaign that found nothing.
# Usage: bench/zoo_table.sh BUILD_DIR SEEDS MAX_TIME CASE...
#   CASE = scenario:variant:flush:arch:model[:violation]   (violation: fuzz --violation=KIND;
#   flush "any": not pinned, the fuzzer explores every flush mode the architecture allows)
# Prints one Markdown row per case.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$1
seeds=$2
max_time=$3
shift 3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) print "-"; else print a[int((NR+1)/2)]}'; }
worst() { sort -n | tail -1; }
echo "| scenario | variant | flush | arch | model | found | median s | worst s | median execs | worst execs | preemptions | reordered |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for case in "$@"; do
  IFS=: read -r scenario variant flush arch model violation <<< "$case"
  secs=()
  execs=()
  found=0
  errors=0
  sig="-"
  pre="-"
  reord="-"
  for seed in $(seq 1 "$seeds"); do
    out="$work/$scenario-$variant-$flush-$arch-$model-$seed"
    start=$(date +%s.%N)
    flush_flag=()
    [ "$flush" = any ] || flush_flag=(--tlb-flush="$flush")
    rc=0
    "$build/ptfuzz" fuzz --scenario="$scenario" --variant="$variant" "${flush_flag[@]}" \
      --arch="$arch" --memory-model="$model" --seed="$seed" --max-time="$max_time" \
      ${violation:+--violation="$violation"} --out="$out" > "$out.log" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
      # Not a verdict: the campaign itself failed (a ptfuzz internal bug, a usage error).
      echo "bench/zoo_table.sh: $scenario:$variant seed $seed: ptfuzz fuzz exited $rc" >&2
      grep -m3 -E 'internal bug|ptfuzz:' "$out.log" >&2 || true
      errors=$((errors + 1))
      continue
    fi
    end=$(date +%s.%N)
    n=$(cat "$out"/logs/fuzzer-*.log 2>/dev/null | grep -o 'stat::number_of_executed_units: *[0-9]*' | grep -o '[0-9]*$' | head -1 || true)
    if grep -q 'ptfuzz: found' "$out.log"; then
      found=$((found + 1))
      secs+=("$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.3f", b - a}')")
      execs+=("${n:-0}")
      if [ "$sig" = "-" ]; then
        sig=$(grep -o 'ptfuzz: found [^ ]*' "$out.log" | head -1 | cut -d' ' -f3 | tr -d .)
        pre=$(grep -o '([0-9]* preemptions)' "$out.log" | head -1 | tr -dc 0-9)
        stale=$(grep -o '[0-9]* stale loads' "$out.log" | head -1 | tr -dc 0-9)
        buf=$(grep -o '[0-9]* buffered stores' "$out.log" | head -1 | tr -dc 0-9)
        reord=$((stale + buf))
      fi
    else
      execs_clean=${n:-?}
    fi
  done
  if [ "$errors" -gt 0 ] && [ "$found" -eq 0 ]; then
    printf '| %s | %s | %s | %s | %s | ERROR: %d run(s) failed | | | | | | |\n' "$scenario" \
      "$variant" "$flush" "$arch" "$model" "$errors"
  elif [ "$found" -eq 0 ]; then
    printf '| %s | %s | %s | %s | %s | clean (%s s) | | | %s | | | |\n' "$scenario" "$variant" \
      "$flush" "$arch" "$model" "$max_time" "${execs_clean:-?}"
  else
    printf '| %s | %s | %s | %s | %s | %s %d/%d | %.2f | %.2f | %s | %s | %s | %s |\n' \
      "$scenario" "$variant" "$flush" "$arch" "$model" "$sig" "$found" "$seeds" \
      "$(printf '%s\n' "${secs[@]}" | median)" "$(printf '%s\n' "${secs[@]}" | worst)" \
      "$(printf '%s\n' "${execs[@]}" | median)" "$(printf '%s\n' "${execs[@]}" | worst)" \
      "$pre" "$reord"
  fi
done

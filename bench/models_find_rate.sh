#!/usr/bin/env bash
# Executions to the first violation for every buggy gup_vs_zap variant under every memory model:
# `ptfuzz fuzz` pinned to the variant, the flush mode where the variant's bug shows, and the model,
# with seeds 1..K. Prints one row per (variant, flush, model): the executions libFuzzer reports
# for each seed (the seed corpus included) and the signatures found ("-" when nothing was found
# within the time limit: expected where the variant is clean under that model).
# Usage: bench/models_find_rate.sh [BUILD_DIR] [SEEDS] [MAX_TIME]
# Environment: SCENARIO (default gup_vs_zap), CASES (space-separated variant:flush[:arch] entries;
# defaults to gup_vs_zap's buggy variants), MODELS (default "sc tso relaxed"), CORPUS (a seed
# directory; default the scenario's corpus/<scenario>/seed; an empty directory starts from the
# scenario's default configuration alone).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
seeds=${2:-3}
max_time=${3:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
scenario=${SCENARIO:-gup_vs_zap}
cases=${CASES:-"no_pte_recheck:ipi no_pte_recheck:broadcast ref_add_not_try:ipi ref_add_not_try:broadcast free_before_flush:ipi"}
models=${MODELS:-"sc tso relaxed"}
printf '%-18s %-9s %-7s %-8s %-28s %s\n' variant flush arch model "executions per seed" found
for case in $cases; do
  IFS=: read -r variant flush arch <<< "$case"
  arch=${arch:-x86_64}
  for model in $models; do
    execs=()
    found=()
    for seed in $(seq 1 "$seeds"); do
      out="$work/$variant-$flush-$arch-$model-$seed"
      "$build/ptfuzz" fuzz --scenario="$scenario" --variant="$variant" --tlb-flush="$flush" \
        --arch="$arch" --memory-model="$model" --seed="$seed" --max-time="$max_time" \
        ${CORPUS:+--corpus="$CORPUS"} --out="$out" > "$out.log" 2>&1 || true
      n=$(cat "$out"/logs/fuzzer-*.log 2>/dev/null | grep -o 'stat::number_of_executed_units: *[0-9]*' | grep -o '[0-9]*$' | head -1 || true)
      sig=$(grep -o 'ptfuzz: found [^ ]*' "$out.log" | head -1 | cut -d' ' -f3 | tr -d . || true)
      execs+=("${n:-?}")
      found+=("${sig:--}")
    done
    printf '%-18s %-9s %-7s %-8s %-28s %s\n' "$variant" "$flush" "$arch" "$model" "${execs[*]}" \
      "$(printf '%s\n' "${found[@]}" | sort -u | tr '\n' ' ')"
  done
done

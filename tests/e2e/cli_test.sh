#!/usr/bin/env bash
# End-to-end checks of the ptfuzz CLI as a user runs it: determinism across processes, exit
# codes, and error messages for bad input. Usage: cli_test.sh PTFUZZ SOURCE_DIR
set -u
ptfuzz=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
check() {  # check NAME EXPECTED_EXIT COMMAND...
  local name=$1 want=$2
  shift 2
  "$@" > "$tmp/out" 2> "$tmp/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL $name: exit $got, expected $want"; sed 's/^/  | /' "$tmp/err" | head -5
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}
expect_in() {  # expect_in NAME FILE TEXT
  if grep -qF -- "$3" "$2"; then echo "ok   $1"; else
    echo "FAIL $1: '$3' not in output"; sed 's/^/  | /' "$2" | head -5; failures=$((failures + 1)); fi
}

seed="$src/corpus/gup_vs_zap/seed/refault_same_page.textproto"

# Replaying a file twice, in two processes, prints byte-identical output.
"$ptfuzz" replay "$seed" > "$tmp/r1" 2>&1
"$ptfuzz" replay "$seed" > "$tmp/r2" 2>&1
if cmp -s "$tmp/r1" "$tmp/r2"; then echo "ok   replay deterministic across processes"; else
  echo "FAIL replay output differs between processes"; failures=$((failures + 1)); fi
"$ptfuzz" replay --json "$seed" > "$tmp/j1" 2>&1
"$ptfuzz" replay --json "$seed" > "$tmp/j2" 2>&1
cmp -s "$tmp/j1" "$tmp/j2" && echo "ok   json replay deterministic" || { echo "FAIL json differs"; failures=$((failures + 1)); }
expect_in "json has verdict" "$tmp/j1" '"verdict":"clean"'

check "clean replay exits 0" 0 "$ptfuzz" replay "$seed"
expect_in "timeline names kernel functions" "$tmp/out" "gup_fast_pte_range"

# Bad input: exit 2, the file named, what is wrong said.
check "missing file exits 2" 2 "$ptfuzz" replay "$tmp/nope.textproto"
expect_in "missing file named" "$tmp/err" "$tmp/nope.textproto: cannot open"
printf '\x08\x01\x12\x40\x0a\x0a' > "$tmp/truncated.bin"
check "truncated binary exits 2" 2 "$ptfuzz" replay "$tmp/truncated.bin"
expect_in "truncated binary explained" "$tmp/err" "truncated"
printf 'format_version: 1\nscenario { name: "gup_vs_zap" num_cpus: x }\n' > "$tmp/syntax.textproto"
check "syntax error exits 2" 2 "$ptfuzz" replay "$tmp/syntax.textproto"
expect_in "syntax error has line" "$tmp/err" "syntax.textproto: text format: line 2"
sed 's/name: "gup_vs_zap"/name: "gup_vs_nothing"/' "$seed" > "$tmp/unknown.textproto"
check "unknown scenario exits 2" 2 "$ptfuzz" replay "$tmp/unknown.textproto"
expect_in "unknown scenario named" "$tmp/err" 'unknown scenario "gup_vs_nothing"'
sed 's/format_version: 1/format_version: 99/' "$seed" > "$tmp/version.textproto"
check "other format version exits 2" 2 "$ptfuzz" replay "$tmp/version.textproto"
expect_in "format version explained" "$tmp/err" "format_version is 99"

# A canonical file whose tape no longer fits: divergence, exit 2.
reg=$(ls "$src"/corpus/gup_vs_zap/regression/*.textproto | head -1)
sed '0,/num_options: 3/s//num_options: 2/' "$reg" > "$tmp/diverged.textproto"
check "diverging canonical tape exits 2" 2 "$ptfuzz" replay "$tmp/diverged.textproto"
expect_in "divergence names the decision" "$tmp/err" "replay diverged at decision"

# A violating schedule: exit 1; minimize keeps the violation.
cat > "$tmp/buggy.textproto" <<'TEXT'
format_version: 1
scenario {
  name: "gup_vs_zap" variant: "no_pte_recheck" num_cpus: 4 tlb_flush: TLB_FLUSH_BROADCAST
  num_frames: 12
  mappings { vaddr: 0x7f0000000000 tlb_cpus: 5 }
  actors { kind: ACTOR_GUP_FAST cpu: 0 vaddr: 0x7f0000000000 }
  actors { kind: ACTOR_ZAP cpu: 1 vaddr: 0x7f0000000000 }
  actors { kind: ACTOR_ANON_FAULT cpu: 2 vaddr: 0x7f0000001000 }
}
raw_tape: [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 1]
TEXT
check "violation exits 1" 1 "$ptfuzz" replay "$tmp/buggy.textproto"
expect_in "violation report" "$tmp/out" "VIOLATION pinned_page_not_mapped"
check "minimize exits 0" 0 "$ptfuzz" minimize "$tmp/buggy.textproto" -o "$tmp/min.textproto"
expect_in "minimize reports context switches" "$tmp/out" "context switches remain"
expect_in "minimize reports preemptions before and after" "$tmp/out" "preemptions 1 -> 1, context switches"
check "minimized file replays to the violation" 1 "$ptfuzz" replay "$tmp/min.textproto"
expect_in "minimized file is canonical" "$tmp/min.textproto" "canonical: true"
check "minimize of a clean file exits 1" 1 "$ptfuzz" minimize "$seed" -o "$tmp/x.textproto"
check "minimize without -o exits 2" 2 "$ptfuzz" minimize "$seed"

check "scenarios exits 0" 0 "$ptfuzz" scenarios
expect_in "scenarios lists variants with verdicts" "$tmp/out" "pinned_page_not_mapped"
check "scenarios --json exits 0" 0 "$ptfuzz" scenarios --json
expect_in "scenarios json" "$tmp/out" '"name":"gup_vs_zap"'
check "--help exits 0" 0 "$ptfuzz" --help
check "no command exits 2" 2 "$ptfuzz"
check "unknown command exits 2" 2 "$ptfuzz" frobnicate
check "unknown flag exits 2" 2 "$ptfuzz" replay --frob "$seed"
check "replay --help exits 0" 0 "$ptfuzz" replay --help
check "fuzz --help exits 0" 0 "$ptfuzz" fuzz --help
check "fuzz with unknown variant exits 2" 2 "$ptfuzz" fuzz --variant=nope --out="$tmp/f"
check "fuzz with unknown memory model exits 2" 2 "$ptfuzz" fuzz --memory-model=psc --out="$tmp/f"
expect_in "unknown memory model named" "$tmp/err" 'unknown memory model "psc"'
check "fuzz arm64 with IPI flushes exits 2" 2 "$ptfuzz" fuzz --arch=arm64 --tlb-flush=ipi --out="$tmp/f"

# Memory models: the same file under TSO and relaxed; version-1 files read as SC.
sed -e 's/^format_version: 1$/format_version: 2/' \
    -e 's/^scenario {$/scenario {\n  memory_model: MEMORY_MODEL_TSO/' "$seed" > "$tmp/tso.textproto"
check "TSO replay exits 0" 0 "$ptfuzz" replay "$tmp/tso.textproto"
expect_in "TSO header" "$tmp/out" "memory model tso"
expect_in "TSO drains in the timeline" "$tmp/out" "store_buffer"
"$ptfuzz" replay "$tmp/tso.textproto" > "$tmp/t2" 2>&1
cmp -s "$tmp/out" "$tmp/t2" && echo "ok   TSO replay deterministic" || { echo "FAIL TSO replay differs"; failures=$((failures + 1)); }
check "version-1 replay is SC" 0 "$ptfuzz" replay "$seed"
expect_in "version-1 header" "$tmp/out" "memory model sc"
sed 's/memory_model: MEMORY_MODEL_TSO/memory_model: MEMORY_MODEL_BOGUS/' "$tmp/tso.textproto" > "$tmp/bogus.textproto"
check "unknown memory model in a file exits 2" 2 "$ptfuzz" replay "$tmp/bogus.textproto"
check "relaxed stale read replays clean" 0 "$ptfuzz" replay "$src/corpus/gup_vs_zap/regression/fixed_broadcast_arm64_relaxed_stale_recheck.textproto"
expect_in "stale read in the timeline" "$tmp/out" "[stale:"

# Split entries and contpte: the scenarios name their zoo entries and architecture; flags are
# checked before anything runs; a torn-entry report names the store each half came from.
check "scenarios names zoo entries" 0 "$ptfuzz" scenarios
expect_in "PAE scenario listed" "$tmp/out" "pae_gup_vs_refault  [bug zoo Z08]  (ARCH_X86_PAE only)"
expect_in "contpte scenario listed" "$tmp/out" "contpte_lockless_read  [bug zoo Z20]  (ARCH_ARM64 only)"
check "fuzz with unknown violation kind exits 2" 2 "$ptfuzz" fuzz --violation=torn --out="$tmp/f"
expect_in "unknown violation named" "$tmp/err" 'unknown violation kind "torn"'
check "fuzz PAE scenario on arm64 exits 2" 2 "$ptfuzz" fuzz --scenario=pae_gup_vs_refault --arch=arm64 --out="$tmp/f"
expect_in "needed architecture named" "$tmp/err" "needs --arch=x86_pae"
check "fuzz with unknown flush mode exits 2" 2 "$ptfuzz" fuzz --tlb-flush=hypercall --out="$tmp/f"
check "torn PTE replays to its violation" 1 "$ptfuzz" replay "$src/corpus/pae_gup_vs_refault/regression/recheck_low_word_sc_torn.textproto"
expect_in "torn report names the clearing store" "$tmp/out" "high half 0 was written by native_ptep_get_and_clear on cpu 1"
expect_in "torn report names the ABA" "$tmp/out" "the same low word, another page"
sed 's/arch: ARCH_X86_PAE/arch: ARCH_X86_64/' "$src/corpus/pae_fault_vs_fault/seed/default_ipi.textproto" > "$tmp/pae64.textproto"
check "PAE scenario with x86-64 exits 2" 2 "$ptfuzz" replay "$tmp/pae64.textproto"
expect_in "PAE requirement explained" "$tmp/err" "needs ARCH_X86_PAE"
if [ -x "$(dirname "$ptfuzz")/ptfuzz_fuzzer" ]; then
  check "fuzz hunts torn_entry_used past shallower findings" 1 "$ptfuzz" fuzz \
    --scenario=pae_gup_vs_refault --variant=recheck_low_word --arch=x86_pae --memory-model=sc \
    --violation=torn_entry_used --seed=1 --max-time=60 --out="$tmp/torn"
  expect_in "the hunted kind is what was found" "$tmp/out" "ptfuzz: found torn_entry_used@"
fi

# explore: a baseline scheduler finds Z03's one-preemption bug, and what it saved replays.
check "explore finds a buggy variant" 1 "$ptfuzz" explore --scenario=gup_vs_split \
  --variant=no_folio_recheck --tlb-flush=broadcast --strategy=preempt --seed=1 --budget=100000 \
  --out="$tmp/explored.textproto"
expect_in "explore says what it found" "$tmp/out" "found ref_on_wrong_folio@gup_fast_pte_range after"
check "explored schedule replays to its violation" 1 "$ptfuzz" replay "$tmp/explored.textproto"
check "explore of a fixed variant within a budget exits 0" 0 "$ptfuzz" explore \
  --scenario=gup_vs_split --tlb-flush=broadcast --strategy=preempt --budget=2000
check "pct finds the buggy variant" 1 "$ptfuzz" explore --scenario=gup_vs_split \
  --variant=no_folio_recheck --tlb-flush=broadcast --strategy=pct --depth=3 --seed=1 \
  --budget=100000 --out="$tmp/pct.textproto"
check "pct's schedule replays to its violation" 1 "$ptfuzz" replay "$tmp/pct.textproto"
check "bounded dfs of a fixed variant exhausts its bound" 0 "$ptfuzz" explore \
  --scenario=gup_vs_split --tlb-flush=broadcast --strategy=dfs --bound=2
expect_in "dfs says it covered the bound" "$tmp/out" "every schedule within the bound"
for strategy in pctwm pos surw; do
  check "$strategy finds the buggy variant" 1 "$ptfuzz" explore --scenario=gup_vs_split \
    --variant=no_folio_recheck --tlb-flush=broadcast --strategy=$strategy --seed=1 \
    --budget=100000 --out="$tmp/$strategy.textproto"
  check "$strategy's schedule replays to its violation" 1 "$ptfuzz" replay "$tmp/$strategy.textproto"
done
check "explore on a busy machine finds the buggy variant" 1 "$ptfuzz" explore \
  --scenario=gup_vs_split --variant=no_folio_recheck --tlb-flush=broadcast --strategy=pct \
  --background=6 --seed=1 --budget=100000 --out="$tmp/busy.textproto"
check "its schedule replays with the background actors" 1 "$ptfuzz" replay "$tmp/busy.textproto"
expect_in "the replay shows a background actor" "$tmp/out" "cpu 7   ACTOR_ZAP at 0x7f0040a00000 (background)"
check "explore with too many background actors exits 2" 2 "$ptfuzz" explore --background=13
expect_in "background bound named" "$tmp/err" "--background must be between 0 and 12"
check "explore with an unknown strategy exits 2" 2 "$ptfuzz" explore --strategy=chess
expect_in "unknown strategy named" "$tmp/err" 'unknown strategy "chess"'
check "explore with a bad probability exits 2" 2 "$ptfuzz" explore --strategy=preempt --p=1.5
expect_in "bad probability named" "$tmp/err" '--p: "1.5" is not a probability'

# bench: the entries, and a small run of the in-process strategies with its CSV.
check "bench lists its entries" 0 "$ptfuzz" bench --list
expect_in "a zoo entry in its first buggy configuration" "$tmp/out" "gup_vs_split"
expect_in "no_folio_recheck is benchmarked under broadcast flushes" "$tmp/out" \
  "no_folio_recheck           broadcast"
check "bench runs the baselines" 0 "$ptfuzz" bench --scenario=gup_vs_split \
  --variant=no_folio_recheck --strategies=pct,dfs,random --trials=2 --budget=20000 \
  --csv="$tmp/bench.csv"
expect_in "bench csv has its header" "$tmp/bench.csv" \
  "entry,zoo,scenario,variant,tlb_flush,arch,memory_model,background,strategy,trial,found"
expect_in "pct found it in the csv" "$tmp/bench.csv" ",pct,1,1,ref_on_wrong_folio,"
expect_in "dfs names its bound" "$tmp/bench.csv" ",dfs,1,1,ref_on_wrong_folio,9,"
rows=$(grep -c "^[0-9]" "$tmp/bench.csv")
[ "$rows" -eq 5 ] && echo "ok   bench wrote 2 + 1 + 2 trial rows" || {
  echo "FAIL bench wrote $rows rows, expected 5"; failures=$((failures + 1)); }
if [ -x "$(dirname "$ptfuzz")/ptfuzz_fuzzer" ]; then
  check "bench runs the fuzzer" 0 "$ptfuzz" bench --scenario=gup_vs_split \
    --variant=no_folio_recheck --strategies=fuzz --trials=1 --budget=100000 --max-time=30 \
    --csv="$tmp/fuzz.csv"
  expect_in "the fuzzer trial found it" "$tmp/fuzz.csv" ",fuzz,1,1,ref_on_wrong_folio,"
fi
check "bench with a bad shard exits 2" 2 "$ptfuzz" bench --shard=2/2
expect_in "bad shard named" "$tmp/err" '--shard: "2/2" is not I/N'
check "bench with an unknown strategy exits 2" 2 "$ptfuzz" bench --strategies=pct,chess
expect_in "bench names the unknown strategy" "$tmp/err" 'unknown strategy "chess"'

echo "$failures failed"
[ "$failures" -eq 0 ]

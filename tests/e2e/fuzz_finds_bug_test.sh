#!/usr/bin/env bash
# End-to-end: a campaign with a fixed -seed and bounded -runs on the buggy variant finds the
# violation, minimizes it and stores a replayable reproducer. Usage: PTFUZZ SOURCE_DIR
set -u
ptfuzz=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$ptfuzz" fuzz --scenario=gup_vs_zap --variant=no_pte_recheck --tlb-flush=broadcast --seed=1 \
  --runs=300000 --max-time=300 --out="$tmp/out" > "$tmp/log" 2>&1
status=$?
if [ "$status" -ne 1 ]; then
  echo "FAIL: ptfuzz fuzz exited $status, expected 1 (violation found)"; tail -20 "$tmp/log"; exit 1
fi
# The variant's expected verdict with broadcast flushes, or the other one the same bug surfaces
# as (`ptfuzz scenarios`: "may also surface as"). Which comes first depends on the search, and so
# on the build's coverage instrumentation (a sanitizer build finds the other one).
repro=$(ls "$tmp"/out/findings/gup_vs_zap-no_pte_recheck-pinned_page_not_mapped@*/schedule.textproto \
           "$tmp"/out/findings/gup_vs_zap-no_pte_recheck-ref_taken_after_unmap@*/schedule.textproto 2>/dev/null | head -1)
if [ -z "$repro" ]; then echo "FAIL: no findings/gup_vs_zap-no_pte_recheck-{pinned_page_not_mapped,ref_taken_after_unmap}@*/schedule.textproto"; tail -20 "$tmp/log"; exit 1; fi
# The printed replay command runs as typed: the real binary and the stored file.
cmd=$(grep -o 'replay with: .*' "$tmp/log" | head -1 | cut -d' ' -f3-)
[ -n "$cmd" ] || { echo "FAIL: no replay command printed"; exit 1; }
$cmd > /dev/null 2>&1
[ $? -eq 1 ] || { echo "FAIL: the printed replay command ($cmd) does not replay the violation"; exit 1; }
# libFuzzer's own output is in the log file, not on the terminal.
grep -q "deadly signal" "$tmp/log" && { echo "FAIL: libFuzzer's crash output reached the terminal"; exit 1; }
grep -q "INITED\|Done [0-9]* runs\|deadly signal" "$tmp"/out/logs/fuzzer-0.log || { echo "FAIL: no libFuzzer log in out/logs"; exit 1; }
grep -qE "VIOLATION (pinned_page_not_mapped|ref_taken_after_unmap)" "$tmp/log" || { echo "FAIL: no replay printed"; exit 1; }
"$ptfuzz" replay "$repro" > /dev/null 2>&1
[ $? -eq 1 ] || { echo "FAIL: the stored reproducer does not replay to a violation"; exit 1; }
grep -E "ptfuzz: found" "$tmp/log" | tail -1
echo "ok: found, minimized and stored $repro"

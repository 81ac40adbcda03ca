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
repro=$(ls "$tmp"/out/crashing/pinned_page_not_mapped-*.textproto \
           "$tmp"/out/crashing/ref_taken_after_unmap-*.textproto 2>/dev/null | head -1)
if [ -z "$repro" ]; then echo "FAIL: no crashing/{pinned_page_not_mapped,ref_taken_after_unmap}-*.textproto"; tail -20 "$tmp/log"; exit 1; fi
grep -qE "VIOLATION (pinned_page_not_mapped|ref_taken_after_unmap)" "$tmp/log" || { echo "FAIL: no replay printed"; exit 1; }
"$ptfuzz" replay "$repro" > /dev/null 2>&1
[ $? -eq 1 ] || { echo "FAIL: the stored reproducer does not replay to a violation"; exit 1; }
grep -E "ptfuzz: found|Done [0-9]+ runs|#[0-9]+" "$tmp/log" | tail -3
echo "ok: found, minimized and stored $repro"

#!/usr/bin/env bash
# End-to-end: a campaign pinned to the relaxed model with arm64 primitives finds the
# store-buffering variant of gup_vs_madv_free (reclaim without its smp_mb()), and the same
# campaign under TSO, where x86's xchg is a full barrier, finds nothing in a bounded run.
# Usage: PTFUZZ SOURCE_DIR
set -u
ptfuzz=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$ptfuzz" fuzz --scenario=gup_vs_madv_free --variant=no_sb_mb --arch=arm64 --memory-model=relaxed \
  --seed=1 --runs=200000 --max-time=300 --out="$tmp/relaxed" > "$tmp/relaxed.log" 2>&1
status=$?
if [ "$status" -ne 1 ]; then
  echo "FAIL: relaxed arm64 campaign exited $status, expected 1"; tail -20 "$tmp/relaxed.log"; exit 1
fi
repro=$(ls "$tmp"/relaxed/findings/*-discarded_while_referenced@*/schedule.textproto 2>/dev/null | head -1)
[ -n "$repro" ] || { echo "FAIL: no discarded_while_referenced reproducer"; tail -20 "$tmp/relaxed.log"; exit 1; }
"$ptfuzz" replay "$repro" > "$tmp/replay" 2>&1
[ $? -eq 1 ] || { echo "FAIL: the reproducer does not replay to the violation"; exit 1; }
grep -q "memory model relaxed" "$tmp/replay" || { echo "FAIL: replay header lacks the model"; exit 1; }
"$ptfuzz" fuzz --scenario=gup_vs_madv_free --variant=no_sb_mb --memory-model=tso --seed=1 \
  --runs=50000 --max-time=300 --out="$tmp/tso" > "$tmp/tso.log" 2>&1
status=$?
if [ "$status" -ne 0 ]; then
  echo "FAIL: TSO campaign exited $status, expected 0 (nothing to find)"; tail -20 "$tmp/tso.log"; exit 1
fi
echo "ok: found under relaxed arm64 ($repro), clean under TSO"

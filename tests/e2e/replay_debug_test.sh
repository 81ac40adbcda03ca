#!/usr/bin/env bash
# `ptfuzz replay` for debuggers: --break-at-step (SIGTRAP before step N, or a note when the run
# ends first) and --rr / --rr-dir / --rr-dry-run (replay/rr.h). --rr records for real when this
# machine can (checked here independently of ptfuzz's own probe); otherwise the test checks that
# ptfuzz exits 2 with the reason this script predicts.
# Usage: replay_debug_test.sh PTFUZZ SOURCE_DIR
set -euo pipefail

ptfuzz=$(realpath "$1")
src=$2
file=$src/corpus/gup_vs_zap/regression/no_pte_recheck_ipi_held_off.textproto
stem=no_pte_recheck_ipi_held_off

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
# SIGTRAP's default action dumps core: none here.
ulimit -c 0

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Runs ptfuzz with the given arguments; sets rc, and out/err files.
run() {
  set +e
  "$ptfuzz" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  set -e
}

# The run's length, from the plain replay.
run replay "$file"
[ "$rc" -eq 1 ] || fail "plain replay exited $rc, expected 1"
steps=$(sed -n 's/^steps \([0-9]*\),.*/\1/p' "$tmp/out")
[ -n "$steps" ] && [ "$steps" -gt 6 ] || fail "could not read the step count: $(cat "$tmp/out")"

# --- --break-at-step ---
# No debugger: SIGTRAP ends the process (bash reports 128 + 5) before the report is printed.
for n in 5 $((steps - 1)); do
  run replay "$file" --break-at-step=$n
  [ "$rc" -eq 133 ] || fail "--break-at-step=$n exited $rc, expected 133 (SIGTRAP); $(cat "$tmp/err")"
  grep -q "raising SIGTRAP before step $n\$" "$tmp/err" || fail "stderr does not name step $n: $(cat "$tmp/err")"
  [ ! -s "$tmp/out" ] || fail "--break-at-step=$n printed a report: the run went past the break"
done
# At or past the end of the run: reported as usual, with the note.
for n in "$steps" 100000; do
  run replay "$file" --break-at-step=$n
  [ "$rc" -eq 1 ] || fail "--break-at-step=$n exited $rc, expected 1 (the violation)"
  grep -q "^VIOLATION ref_taken_after_unmap" "$tmp/out" || fail "--break-at-step=$n: no report"
  grep -q -- "--break-at-step=$n: never reached: the run ended after $steps steps" "$tmp/err" ||
    fail "--break-at-step=$n: no 'never reached' note: $(cat "$tmp/err")"
done
run replay "$file" --break-at-step=x
[ "$rc" -eq 2 ] || fail "--break-at-step=x exited $rc, expected 2"

# --- --rr-dry-run: the exact command lines, nothing run ---
rr_bin=$(command -v rr || echo rr)
run replay "$file" --json --rr-dry-run
[ "$rc" -eq 0 ] || fail "--rr-dry-run exited $rc: $(cat "$tmp/err")"
expected="$rr_bin record -o rr-trace-$stem $ptfuzz replay $file --json
$rr_bin pack rr-trace-$stem
$rr_bin replay rr-trace-$stem"
[ "$(cat "$tmp/out")" = "$expected" ] || fail "--rr-dry-run printed:
$(cat "$tmp/out")
expected:
$expected"
[ ! -e "rr-trace-$stem" ] || fail "--rr-dry-run created the trace directory"
run replay --rr-dir "$tmp/d" "$file" --rr-dry-run --no-trace
[ "$(head -1 "$tmp/out")" = "$rr_bin record -o $tmp/d $ptfuzz replay $file --no-trace" ] ||
  fail "--rr-dir: $(head -1 "$tmp/out")"
run replay "$file" --rr-dir=d
[ "$rc" -eq 2 ] || fail "--rr-dir without --rr exited $rc, expected 2"

# --- --rr without rr on PATH ---
set +e
PATH=/nonexistent "$ptfuzz" replay "$file" --rr >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "--rr without rr on PATH exited $rc, expected 2"
grep -q "rr is not on PATH" "$tmp/err" || fail "--rr without rr: $(cat "$tmp/err")"

# --- --rr on this machine ---
paranoid=$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo unreadable)
pmu=no
for d in /sys/bus/event_source/devices/cpu /sys/bus/event_source/devices/cpu_core \
  /sys/bus/event_source/devices/armv8_pmuv3*; do
  [ -d "$d" ] && pmu=yes
done
# perf_event_paranoid does not bind a process with CAP_PERFMON (38) or CAP_SYS_ADMIN (21).
capeff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
privileged=no
if [ -n "$capeff" ] && (((0x$capeff >> 38) & 1 || (0x$capeff >> 21) & 1)); then
  privileged=yes
fi
if [ "$rr_bin" = rr ]; then
  expect="rr is not on PATH"
elif [ "$privileged" = no ] && [ "$paranoid" != unreadable ] && [ "$paranoid" -gt 2 ]; then
  # Debian's level 3: no perf_event_open at all for an unprivileged process.
  expect="perf_event_paranoid is $paranoid "
elif [ "$pmu" = no ]; then
  expect="no hardware performance counters"
elif [ "$privileged" = no ] && [ "$paranoid" != unreadable ] && [ "$paranoid" -gt 1 ]; then
  expect="perf_event_paranoid is $paranoid "
else
  expect=""
fi
run replay "$file" --rr --rr-dir="$tmp/trace"
if [ -n "$expect" ]; then
  echo "this machine cannot record (predicted: $expect); checking ptfuzz says so"
  [ "$rc" -eq 2 ] || fail "--rr exited $rc, expected 2: $(cat "$tmp/err")"
  grep -q -- "rr cannot record on this machine: $expect" "$tmp/err" ||
    fail "--rr gave another reason than '$expect': $(cat "$tmp/err")"
  [ ! -e "$tmp/trace" ] || fail "--rr created a trace directory although it cannot record"
else
  echo "this machine can record: recording"
  [ "$rc" -eq 1 ] || fail "--rr exited $rc, expected the replay's 1: $(cat "$tmp/err")"
  [ -d "$tmp/trace" ] || fail "no trace directory after --rr"
  grep -q "replay it with:" "$tmp/err" || fail "--rr printed no replay hint: $(cat "$tmp/err")"
  grep -q "^VIOLATION ref_taken_after_unmap" "$tmp/out" || fail "the recorded replay printed no report"
fi
echo "PASS"

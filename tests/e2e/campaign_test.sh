#!/usr/bin/env bash
# End-to-end: `ptfuzz fuzz` as a campaign runner. Over every variant of two scenarios on two jobs
# it stores each bug once (deduplicated by signature, minimized, replayable by the printed
# command), reports no fixed variant, prints progress and a summary; a second runner on the same
# directory is refused; after `kill -9` a resumed campaign loses no corpus input and no finding,
# handles the crash files left behind and leaves no stray fuzzer running; Ctrl-C (SIGINT) stops
# it with a summary. Usage: PTFUZZ SOURCE_DIR
set -u
ptfuzz=$1
tmp=$(mktemp -d)
trap 'pkill -9 -f "$tmp/" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 1. A short campaign over every variant of gup_vs_zap and gup_vs_split, 8 s of each in turn.
"$ptfuzz" fuzz --scenario=gup_vs_zap,gup_vs_split --max-time=16 --slice=8 --jobs=2 --progress=2 \
  --out="$tmp/c" > "$tmp/c.out" 2> "$tmp/c.err"
status=$?
[ "$status" -eq 1 ] || { cat "$tmp/c.err"; fail "campaign exited $status, expected 1 (findings)"; }
grep -q '^\[0:00:0[0-9]\] .* execs .* signatures' "$tmp/c.err" || fail "no progress line"
grep -q "ptfuzz: campaign $tmp/c: 2 scenarios after" "$tmp/c.out" || fail "no summary"
n=$(ls -d "$tmp"/c/findings/*/ | wc -l)
[ "$n" -ge 2 ] || fail "only $n findings in 10 s"
[ "$(wc -l < "$tmp/c/findings/signatures.txt")" -eq "$n" ] || fail "signatures.txt does not list every finding"
# A fixed variant may show only an outcome `ptfuzz scenarios` lists for it (the relaxed model's
# open questions), never an unexpected one.
for d in "$tmp"/c/findings/*-fixed-*/; do
  [ -d "$d" ] || continue
  grep -q "^documented: an open question of the fixed kernel" "$d/found.txt" ||
    fail "fixed variant reported: $(cat "$d/found.txt")"
done
grep -q "UNEXPECTED), " "$tmp/c.out" || fail "summary does not count unexpected findings"
grep -q "0 of them UNEXPECTED" "$tmp/c.out" || fail "an unexpected finding in a short campaign"
# Each finding once: every directory holds a different signature, and each stored schedule
# replays strictly to its expected verdict (regress checks `expect` and runs it twice).
[ "$(sort -u "$tmp"/c/findings/*/signature.txt | wc -l)" -eq "$n" ] || fail "duplicate signatures"
"$ptfuzz" regress "$tmp"/c/findings/*/schedule.textproto > "$tmp/regress" 2>&1 ||
  { cat "$tmp/regress"; fail "a stored finding does not replay to its verdict"; }
# The printed replay commands run as typed.
grep -o "$(dirname "$ptfuzz")/ptfuzz replay [^ ]*" "$tmp/c.out" | sort -u | while read -r cmd; do
  $cmd > /dev/null 2>&1
  [ $? -eq 1 ] || fail "printed command does not replay a violation: $cmd"
done
[ -z "$(ls "$tmp/c/artifacts")" ] || fail "crash files left unhandled in artifacts/"
[ -s "$tmp/c/logs/progress-0.tsv" ] || fail "no progress samples"
# Each scenario had its slice, with a corpus of its own.
grep -q '| gup_vs_zap$' "$tmp/c.err" && grep -q '| gup_vs_split$' "$tmp/c.err" ||
  fail "the progress line does not show both scenarios' slices"
[ -n "$(ls "$tmp/c/corpus/gup_vs_zap")" ] && [ -n "$(ls "$tmp/c/corpus/gup_vs_split")" ] ||
  fail "no corpus per scenario"
grep -q "set_cover_merge\|MERGE" "$tmp/c/logs/merge-0.log" || fail "corpus not merged"

# 2. Resume after kill -9: nothing lost, no stray processes.
"$ptfuzz" fuzz --scenario=all --max-time=120 --jobs=2 --out="$tmp/k" > "$tmp/k1.out" 2>&1 &
runner=$!
sleep 8
# A second runner on the same directory is refused while the first runs.
"$ptfuzz" fuzz --scenario=all --max-time=5 --out="$tmp/k" > "$tmp/second" 2>&1
[ $? -eq 2 ] || fail "a second runner on a running campaign was not refused"
grep -q "another \`ptfuzz fuzz\` is running" "$tmp/second" || fail "refusal does not say why"
kill -9 "$runner"
wait "$runner" 2>/dev/null
(cd "$tmp/k/corpus" && find . -type f) > "$tmp/corpus-before"
ls "$tmp"/k/findings | grep -v signatures.txt > "$tmp/findings-before"
[ -s "$tmp/corpus-before" ] || fail "no corpus after 8 s"
"$ptfuzz" fuzz --scenario=all --max-time=4 --jobs=2 --no-merge --out="$tmp/k" > "$tmp/k2.out" 2>&1
status=$?
[ "$status" -eq 0 ] || [ "$status" -eq 1 ] || { cat "$tmp/k2.out"; fail "resumed campaign exited $status"; }
while read -r f; do
  [ -e "$tmp/k/corpus/$f" ] || fail "corpus input $f lost after kill -9"
done < "$tmp/corpus-before"
while read -r f; do
  [ -e "$tmp/k/findings/$f/schedule.textproto" ] || fail "finding $f lost after kill -9"
done < "$tmp/findings-before"
[ -z "$(ls "$tmp/k/artifacts")" ] || fail "crash files left unhandled after resuming"
grep -q "2 sessions\|in 1 session" "$tmp/k2.out" || fail "no totals in the resumed summary"
sleep 1
pgrep -f "artifact_prefix=$tmp/k/" > /dev/null && fail "fuzzer processes still running after the campaign"

# 3. Ctrl-C stops with a summary.
"$ptfuzz" fuzz --scenario=zap_vs_zap --variant=all --max-time=120 --jobs=1 --out="$tmp/i" \
  > "$tmp/i.out" 2>&1 &
runner=$!
sleep 4
kill -INT "$runner"
wait "$runner"
status=$?
[ "$status" -eq 0 ] || [ "$status" -eq 1 ] || fail "interrupted campaign exited $status"
grep -q "(interrupted)" "$tmp/i.out" || { cat "$tmp/i.out"; fail "no 'interrupted' summary"; }
echo "ok: $n findings deduplicated and replayable; resume after kill -9 lost nothing; Ctrl-C summarized"

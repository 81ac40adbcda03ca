#!/usr/bin/env bash
# The README's main command prints what the README shows: runs the command exactly as README.md
# gives it (the `build/ptfuzz ...` part of its first `scripts/setup.sh && scripts/build.sh &&` line)
# in a scratch directory, and checks that every line of the sample output block that follows
# ("e.g. ...") appears in the output, in order; lines holding `...` are elisions and match
# anything. Usage: PTFUZZ SOURCE_DIR
set -u
ptfuzz=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cmd=$(grep -m1 '^scripts/setup.sh && scripts/build.sh && build/ptfuzz fuzz' "$src/README.md" |
      sed 's/^scripts\/setup.sh && scripts\/build.sh && build\/ptfuzz //')
[ -n "$cmd" ] || fail "no main command in README.md"
# The first fenced block after the paragraph that introduces the sample output.
awk '/tests\/e2e\/readme_test.sh/ {found = 1} found && /^```/ {n++; next} found && n == 1 {print}' \
  "$src/README.md" > "$tmp/sample"
[ -s "$tmp/sample" ] || fail "no sample output block in README.md"
mkdir "$tmp/work" && cd "$tmp/work"
# shellcheck disable=SC2086  # the README's arguments, split as a shell would
"$ptfuzz" $cmd > "$tmp/output.txt" 2>&1
status=$?
[ "$status" -eq 1 ] || { tail -5 "$tmp/output.txt"; fail "the main command exited $status, README says 1 (a violation found)"; }
python3 - "$tmp/sample" "$tmp/output.txt" <<'PY'
import sys
sample = [l.rstrip() for l in open(sys.argv[1])]
out = [l.rstrip() for l in open(sys.argv[2])]
pos = 0
for line in sample:
    if "..." in line:
        continue
    try:
        pos = out.index(line, pos) + 1
    except ValueError:
        print("FAIL: README sample line not in the output (in order):\n  " + line)
        print("--- output ---\n" + "\n".join(out))
        sys.exit(1)
print("ok: %d README sample lines found in order" % sum("..." not in l for l in sample))
PY

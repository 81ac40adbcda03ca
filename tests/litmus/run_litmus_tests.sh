#!/bin/bash
# The LKMM litmus suite: every tests/litmus/*.litmus under the three memory models.
#
# usage: run_litmus_tests.sh PTFUZZ_BINARY SOURCE_DIR
#
# For each file:
#  - relaxed: `ptfuzz litmus --expect` must agree with the file (its `ptfuzz:` line, else its
#    `Result:` line, which is the LKMM's answer). `--expect` tolerates Unsupported; here it is
#    accepted only where the file says `ptfuzz: Unsupported`, so a new limitation is noticed.
#  - tso and sc: `--expect` against `ptfuzz-tso:` / `ptfuzz-sc:` (else `Result:`), and never
#    Unsupported (the suite has no plain accesses).
#  - the models nest (SC executions are TSO executions, which the relaxed model also produces),
#    so a stronger model may only turn Sometimes into Never or Always: Never and Always must stay.
set -u
ptfuzz="$1"
dir="$2/tests/litmus"

failures=0
fail() {
  echo "FAIL  $1: $2"
  failures=$((failures + 1))
}

# The verdict word of `ptfuzz litmus` (the second field of its first line).
verdict_of() { head -n 1 <<<"$1" | awk '{print $2}'; }

# Whether verdict $2 of a stronger model is allowed given verdict $1 of a weaker one.
refines() {
  case "$1" in
    Never | Always) [[ "$2" == "$1" ]] ;;
    *) true ;;
  esac
}

files=("$dir"/*.litmus)
if [[ ${#files[@]} -eq 0 ]]; then
  echo "no litmus files in $dir"
  exit 1
fi

for f in "${files[@]}"; do
  name=$(basename "$f")
  declare -A verdict=()
  ok=1
  for model in relaxed tso sc; do
    out=$("$ptfuzz" litmus --model="$model" --expect "$f" 2>&1)
    rc=$?
    v=$(verdict_of "$out")
    verdict[$model]="$v"
    if [[ $rc -ne 0 ]]; then
      fail "$name" "$model: exit $rc"$'\n'"$out"
      ok=0
      continue
    fi
    if [[ "$v" == Unsupported ]]; then
      key="ptfuzz-$model"
      if ! grep -Eq "^[[:space:]*]*($key|$([[ $model == relaxed ]] && echo ptfuzz)):[[:space:]]*Unsupported" "$f"; then
        fail "$name" "$model: Unsupported, but the file does not say so"$'\n'"$out"
        ok=0
      fi
    fi
  done
  for pair in "relaxed tso" "tso sc"; do
    read -r weak strong <<<"$pair"
    [[ "${verdict[$weak]}" == Unsupported || "${verdict[$strong]}" == Unsupported ]] && continue
    if ! refines "${verdict[$weak]}" "${verdict[$strong]}"; then
      fail "$name" "$strong gives ${verdict[$strong]} where $weak gives ${verdict[$weak]}"
      ok=0
    fi
  done
  [[ $ok -eq 1 ]] && echo "ok    $name: relaxed ${verdict[relaxed]}, tso ${verdict[tso]}, sc ${verdict[sc]}"
  unset verdict
done

echo "${#files[@]} litmus files, $failures failures"
[[ $failures -eq 0 ]]

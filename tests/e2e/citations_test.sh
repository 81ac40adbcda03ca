#!/usr/bin/env bash
# User-facing text cites only what ships: README.md, docs/*.md, `ptfuzz scenarios` (text and
# --json), `ptfuzz --help` and every subcommand's --help, and replay reports of every corpus
# file must not send a user to a file the repository does not contain: the project's private
# reference notes (kernel-mm.md, bug-zoo.md, fuzzing-notes.md, STYLE.md, ../shared) or any
# path-like reference that does not exist. Kernel source paths and a few generated or
# placeholder paths are allowed (the allow-list below says why each one is).
# Usage: citations_test.sh PTFUZZ SOURCE_DIR
set -u
ptfuzz=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() {  # fail WHERE MESSAGE
  echo "FAIL $1: $2"
  failures=$((failures + 1))
}

# --- Collect the text: one file per source, and a label naming it for the messages. ---
declare -a texts labels dirs
add_text() {  # add_text LABEL FILE DIR_FOR_RELATIVE_LINKS
  texts+=("$2")
  labels+=("$1")
  dirs+=("$3")
}
add_text README.md "$src/README.md" "$src"
for doc in "$src"/docs/*.md; do
  add_text "docs/$(basename "$doc")" "$doc" "$src/docs"
done
n=0
run_cmd() {  # run_cmd ALLOWED_EXITS COMMAND... : captures stdout and stderr as one text
  local allowed=$1
  shift
  n=$((n + 1))
  local out="$tmp/cmd$n.txt" label="ptfuzz ${*:2}"
  label=${label//$src\//}
  "$@" > "$out" 2>&1
  local rc=$?
  if [[ " $allowed " != *" $rc "* ]]; then
    fail "$label" "exit $rc (expected one of: $allowed)"
    sed 's/^/  | /' "$out" | head -5
  fi
  add_text "$label" "$out" "$src"
}
run_cmd 0 "$ptfuzz" scenarios
run_cmd 0 "$ptfuzz" scenarios --json
run_cmd 0 "$ptfuzz" --help
# The subcommands, as `ptfuzz --help` lists them: the first word of each line of its
# "commands:" block.
subcommands=$("$ptfuzz" --help 2>&1 |
  awk '/^commands:/ {on = 1; next} on && /^$/ {on = 0} on && /^  [a-z]/ {print $1}')
if [ -z "$subcommands" ]; then
  fail "ptfuzz --help" "lists no subcommands under \"commands:\""
fi
for cmd in $subcommands; do
  run_cmd 0 "$ptfuzz" "$cmd" --help
done
# Replay reports (timeline, verdict, violation explanation) of every corpus file: exit 0 clean,
# 1 violation (2, a corpus file ptfuzz cannot load, fails here too; its message is still checked).
shopt -s nullglob
corpus_files=("$src"/corpus/*/seed/*.textproto "$src"/corpus/*/regression/*.textproto)
if [ ${#corpus_files[@]} -eq 0 ]; then
  fail "corpus" "no corpus/*/{seed,regression}/*.textproto to replay"
fi
for f in "${corpus_files[@]}"; do
  run_cmd "0 1" "$ptfuzz" replay "$f"
done
run_cmd "0 1" "$ptfuzz" replay "${corpus_files[0]}" --json

# --- 1. The private reference notes and the developers' shared directory, by name. ---
forbidden='kernel-mm\.md|bug-zoo\.md|fuzzing-notes|STYLE\.md|\.\./shared|/work/shared|shared/(reference|seeds)'
for i in "${!texts[@]}"; do
  while IFS= read -r hit; do
    fail "${labels[$i]}:${hit%%:*}" "cites a file users do not have: ${hit#*:}"
  done < <(grep -noE "$forbidden" "${texts[$i]}")
done

# --- 2. Path-like references must exist in the repository. ---
# Checked: a token with a slash whose last part has a file extension (core/world.cc), a token
# whose first part is a top-level directory of the repository (corpus/gup_vs_zap/seed/), and a
# bare Markdown file name (zoo.md). Other slashed words (A/D, I/O, unfold/refold) are prose.
repo_dirs=' bench core corpus docs fuzz proto replay scripts tests '
# The allow-list: references that are right although no such file is in the tree.
allowed_prefix=(
  # Linux kernel source, cited by file (mm/gup.c gup_fast_pte_range()); "linux/", "asm/" and
  # "asm-generic/" are #include paths (<linux/mm.h>).
  mm/ include/ arch/ kernel/ fs/ lib/ drivers/ virt/ init/ block/ net/ security/ tools/
  Documentation/ linux/ asm/ asm-generic/ uapi/
  # Directories the build and ptfuzz write: build/ (scripts/build.sh) and out/ (the default
  # of `ptfuzz fuzz --out` and `ptfuzz explore --out`, e.g. out/campaign/logs/fuzzer-0.log).
  build/ out/
  # Absolute system paths in examples and probes.
  /tmp/ /proc/ /sys/ /dev/ /usr/ /etc/
)
is_allowed() {  # is_allowed TOKEN
  local p
  for p in "${allowed_prefix[@]}"; do [[ $1 == "$p"* ]] && return 0; done
  # A placeholder in capitals (FILE, DIR, OUT) as the first part: DIR/corpus/, OUT/logs.
  [[ ${1%%/*} =~ ^[A-Z][A-Z_]*$ ]] && return 0
  return 1
}
exists_in_repo() {  # exists_in_repo TOKEN DIR: a glob, relative to the repository or DIR
  local base
  for base in "$src" "$2" "$src/docs"; do
    # Without the trailing slash: compgen -G echoes "x/" back whether or not x exists.
    compgen -G "$base/${1%/}" > /dev/null && return 0
  done
  # A program the build makes, named by its place in the build tree, which mirrors the source
  # tree: bench/sim_bench is build/bench/sim_bench, an add_executable of bench/CMakeLists.txt.
  local dir=${1%/*}
  [[ $1 == */* && -f $src/$dir/CMakeLists.txt ]] &&
    grep -q "add_executable(${1##*/}[ )]" "$src/$dir/CMakeLists.txt" && return 0
  return 1
}
path_re='(\.\.?/|/)?[A-Za-z0-9_.*+@-]+(/[A-Za-z0-9_.*+@-]*)+|[A-Za-z0-9_.-]+\.md'
for i in "${!texts[@]}"; do
  # <placeholder> and {a,b} become globs: corpus/<scenario>/{seed,regression}/ is
  # corpus/*/*/; URLs are not files of the repository.
  sed -E 's#https?://[^ )>"]*##g; s#<[A-Za-z_ -]+>#*#g; s#\{[^}/ ]*\}#*#g' "${texts[$i]}" \
    > "$tmp/flat"
  while IFS= read -r hit; do
    line=${hit%%:*}
    tok=${hit#*:}
    tok=${tok%%[.,:;]}
    tok=${tok%%[.,:;]}
    [ -n "$tok" ] || continue
    [[ $tok == */* || $tok == *.md ]] || continue
    first=${tok%%/*}
    last=${tok%/}
    last=${last##*/}
    if [[ $tok == */* && ! $last =~ \.[A-Za-z][A-Za-z0-9_]*$ && $repo_dirs != *" $first "* &&
      $first != .* ]]; then
      continue  # prose (A/D, I/O, pte_low/pte_high), not a path
    fi
    [[ $tok =~ $forbidden ]] && continue  # reported above
    is_allowed "$tok" && continue
    exists_in_repo "$tok" "${dirs[$i]}" && continue
    fail "${labels[$i]}:$line" "cites $tok, which is not in the repository"
  done < <(grep -noE "$path_re" "$tmp/flat" | awk '!seen[$0]++')
done

echo "checked ${#texts[@]} texts"
if [ "$failures" -ne 0 ]; then
  echo "$failures bad citation(s)"
  exit 1
fi
echo "all citations resolve"

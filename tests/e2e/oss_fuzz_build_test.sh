#!/usr/bin/env bash
# End-to-end: .clusterfuzzlite/build.sh as OSS-Fuzz runs it (libFuzzer engine, OSS-Fuzz's compile
# flags, $SRC/$OUT/$WORK), on a scratch copy of the source tree, then checks what it wrote to $OUT:
#   - one executable ptfuzz_<scenario>_fuzzer per scenario of `ptfuzz scenarios`, named
#     [A-Za-z0-9_-], its protobuf and Abseil libraries found in $OUT/lib;
#   - coverage instrumentation on the kernel model only (ptfuzz_core_cov), not the engine;
#   - each fuzzer's pins (printed at start-up) are ones under which the registry expects the
#     scenario's fixed variant to be clean: a finding on OSS-Fuzz is a real problem;
#   - <fuzzer>_seed_corpus.zip holds one file per corpus/<scenario>/seed/ file, each of which loads
#     (`ptfuzz replay`), carries the fuzzer's pins (the fuzzer would reject it unread otherwise)
#     and replays clean;
#   - <fuzzer>.options parses, has a [libfuzzer] section and no max_len; no .dict is shipped (the
#     fuzzers' custom mutator replaces libFuzzer's dictionary mutations), and one would have to
#     parse;
#   - each fuzzer runs -runs=200 over its unzipped seed corpus and exits 0, without a crash file.
# Without the sanitizers by default (a 2-core CI pays for every build); PTFUZZ_OSS_FUZZ_SANITIZER=
# address (or undefined) adds OSS-Fuzz's flags for one. Exit 77 (skipped) when a tool is missing.
# Usage: PTFUZZ SOURCE_DIR
set -u
ptfuzz=$1
src=$2
start=$(date +%s)

for tool in clang clang++ cmake ninja python3 ldd nm; do
  if ! command -v "$tool" > /dev/null 2>&1; then
    echo "SKIP: $tool not found (scripts/setup.sh installs it)"; exit 77
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# The source tree as the OSS-Fuzz Dockerfile copies it, without build directories or outputs.
mkdir -p "$tmp/src/ptfuzz" "$tmp/out" "$tmp/work"
tar -C "$src" --exclude=./build --exclude='./build-*' --exclude=./out --exclude=./.git -cf - . |
  tar -C "$tmp/src/ptfuzz" -xf - || fail "cannot copy $src"

# OSS-Fuzz's libFuzzer build environment (infra/base-images/base-clang and base-builder of
# google/oss-fuzz): -stdlib=libc++ included, which build.sh must take out for Debian's libraries.
export CC=clang CXX=clang++
export CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -fsanitize=fuzzer-no-link"
case "${PTFUZZ_OSS_FUZZ_SANITIZER:-}" in
  "") ;;
  address) CFLAGS="$CFLAGS -fsanitize=address -fsanitize-address-use-after-scope" ;;
  undefined) CFLAGS="$CFLAGS -fsanitize=array-bounds,bool,builtin,enum,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unreachable,vla-bound,vptr -fno-sanitize-recover=all" ;;
  *) fail "PTFUZZ_OSS_FUZZ_SANITIZER=$PTFUZZ_OSS_FUZZ_SANITIZER: expected address or undefined" ;;
esac
export CXXFLAGS="$CFLAGS -stdlib=libc++"
export LIB_FUZZING_ENGINE=-fsanitize=fuzzer
export SRC="$tmp/src" OUT="$tmp/out" WORK="$tmp/work"

bash "$SRC/ptfuzz/.clusterfuzzlite/build.sh" > "$tmp/build.log" 2>&1 ||
  { tail -40 "$tmp/build.log"; fail ".clusterfuzzlite/build.sh failed"; }
built=$(date +%s)

# Coverage instrumentation on the kernel model only: build.sh takes -fsanitize=fuzzer-no-link out
# of the global flags, and core/CMakeLists.txt gives it to ptfuzz_core_cov.
libs="$WORK/ptfuzz-build/core"
nm "$libs/libptfuzz_core_cov.a" 2> /dev/null | grep -q "__sancov_\|__sanitizer_cov_" ||
  fail "ptfuzz_core_cov (the kernel model) has no coverage instrumentation"
for lib in libptfuzz_engine.a libptfuzz_scenarios.a libptfuzz_schedule_io.a; do
  [ -f "$libs/$lib" ] || fail "$libs/$lib not built"
  if nm "$libs/$lib" | grep -q "__sancov_\|__sanitizer_cov_"; then
    fail "$lib is coverage-instrumented: the global -fsanitize=fuzzer-no-link reached it"
  fi
done

"$ptfuzz" scenarios --json > "$tmp/scenarios.json" || fail "ptfuzz scenarios --json"

# Everything but running the fuzzers, in one Python pass: prints one line per fuzzer,
# "NAME SCENARIO", for the runs below.
python3 - "$tmp" "$ptfuzz" "$src" > "$tmp/fuzzers" <<'PY' || exit 1
import configparser, json, os, re, subprocess, sys, zipfile

tmp, ptfuzz, src = sys.argv[1:]
out = os.path.join(tmp, "out")

def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)

scenarios = json.load(open(os.path.join(tmp, "scenarios.json")))
expected = {"ptfuzz_%s_fuzzer" % s["name"]: s for s in scenarios}
executables = {f for f in os.listdir(out)
               if os.path.isfile(os.path.join(out, f)) and os.access(os.path.join(out, f), os.X_OK)}
if executables != set(expected):
    fail("fuzzers in $OUT differ from the scenarios: missing %s, unexpected %s"
         % (sorted(set(expected) - executables), sorted(executables - set(expected))))

header = re.compile(r"^scenario (\S+), variant (\S+): \d+ cpus, tlb flush (\S+), \d+ frames, "
                    r"(\S+), memory model (\S+)$")
for name, spec in sorted(expected.items()):
    path = os.path.join(out, name)
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        fail("%s: not a name OSS-Fuzz accepts" % name)

    # Shared libraries: all found, protobuf and Abseil from $OUT/lib (the runner image has none).
    ldd = subprocess.run(["ldd", path], capture_output=True, text=True).stdout
    if "not found" in ldd:
        fail("%s: unresolved libraries:\n%s" % (name, ldd))
    for line in ldd.splitlines():
        m = re.match(r"\s*(lib(?:absl_|protobuf)\S*) => (\S+)", line)
        if m and os.path.dirname(m.group(2)) != os.path.join(out, "lib"):
            fail("%s: %s resolves to %s, not $OUT/lib" % (name, m.group(1), m.group(2)))
    if "libprotobuf" not in ldd:
        fail("%s: no libprotobuf in ldd output (check the test)" % name)

    # The pins, as the fuzzer announces them.
    empty = os.path.join(tmp, "empty")
    os.makedirs(empty, exist_ok=True)
    run = subprocess.run([path, "-runs=0", "-seed=1", empty], capture_output=True, text=True,
                         cwd=tmp)
    m = re.search(r"pinned scenario=(\S+) variant=(\S+) tlb_flush=(\S+) memory_model=(\S+) "
                  r"arch=(\S+)", run.stderr)
    if run.returncode != 0 or not m:
        fail("%s -runs=0 exited %d without its pins:\n%s" % (name, run.returncode, run.stderr[-2000:]))
    pin_scenario, pin_variant, pin_flush, pin_model, pin_arch = m.groups()
    if pin_scenario != spec["name"] or pin_variant != "fixed":
        fail("%s is pinned to %s/%s, not %s/fixed" % (name, pin_scenario, pin_variant, spec["name"]))
    fixed = [v for v in spec["variants"] if v["name"] == "fixed"]
    if not fixed:
        fail("%s: scenario has no fixed variant" % name)
    columns = ["ipi", "broadcast"] + (["relaxed", "relaxed_arm64"] if pin_model in ("*", "relaxed") else [])
    dirty = {c: fixed[0]["expected"][c] for c in columns if fixed[0]["expected"][c] != "clean"}
    if dirty:
        fail("%s (memory_model=%s): the fixed variant is expected to violate: %s; pin a memory "
             "model under which it is clean in .clusterfuzzlite/build.sh" % (name, pin_model, dirty))

    # The seed corpus: one pinned, loadable, clean file per corpus/<scenario>/seed file.
    zpath = os.path.join(out, name + "_seed_corpus.zip")
    if not zipfile.is_zipfile(zpath):
        fail("%s: not a zip file" % zpath)
    seed_dir = os.path.join(src, "corpus", spec["name"], "seed")
    want = sorted("seed-" + os.path.splitext(f)[0] for f in os.listdir(seed_dir))
    corpus = os.path.join(tmp, "corpus", name)
    with zipfile.ZipFile(zpath) as z:
        if sorted(z.namelist()) != want:
            fail("%s holds %s, expected %s" % (zpath, sorted(z.namelist()), want))
        z.extractall(corpus)
    for seed in want:
        f = os.path.join(corpus, seed)
        with open(f, "rb") as fh:
            if fh.read(1) in (b"#", b"f", b"s"):
                fail("%s/%s: text, expected binary (what the mutator writes)" % (name, seed))
        r = subprocess.run([ptfuzz, "replay", "--no-trace", f], capture_output=True, text=True)
        if r.returncode != 0:
            fail("%s/%s: ptfuzz replay exited %d (expected 0, clean):\n%s%s"
                 % (name, seed, r.returncode, r.stdout[-1500:], r.stderr[-500:]))
        h = header.match(r.stdout.splitlines()[0])
        if not h:
            fail("%s/%s: unexpected report header %r" % (name, seed, r.stdout.splitlines()[0]))
        got = dict(zip(["scenario", "variant", "flush", "arch", "model"], h.groups()))
        pins = {"scenario": pin_scenario, "variant": pin_variant, "flush": pin_flush,
                "arch": pin_arch, "model": pin_model}
        for k, v in pins.items():
            if v != "*" and got[k] != v:
                fail("%s/%s: %s is %s, but the fuzzer pins %s: it would reject the seed"
                     % (name, seed, k, got[k], v))

    # .options: a [libfuzzer] section, never max_len (it truncates stored inputs).
    opts = configparser.ConfigParser()
    if not opts.read(os.path.join(out, name + ".options")) or "libfuzzer" not in opts:
        fail("%s.options: missing or without a [libfuzzer] section" % name)
    if "max_len" in opts["libfuzzer"]:
        fail("%s.options sets max_len" % name)

    # No dictionary: libFuzzer uses a custom mutator in place of its dictionary mutations, which
    # only LLVMFuzzerMutate would reach. A .dict, if one is shipped later, must parse.
    symbols = subprocess.run(["nm", path], capture_output=True, text=True).stdout
    if not re.search(r" T LLVMFuzzerCustomMutator$", symbols, re.M):
        fail("%s defines no LLVMFuzzerCustomMutator: a .dict might help now" % name)
    if re.search(r" U LLVMFuzzerMutate$", symbols, re.M):
        fail("%s calls LLVMFuzzerMutate: a .dict might help now" % name)
    dpath = os.path.join(out, name + ".dict")
    if os.path.exists(dpath):
        for n, line in enumerate(open(dpath), 1):
            line = line.strip()
            if line and not line.startswith("#") and not re.fullmatch(r'(\w+=)?"([^"\\]|\\.)*"', line):
                fail("%s:%d: not a dictionary entry: %s" % (dpath, n, line))
    print(name, spec["name"])
PY

# Each fixed variant runs 200 inputs from its seeds without a finding.
n=0
while read -r fuzzer scenario; do
  corpus="$tmp/corpus/$fuzzer"
  (cd "$tmp/work" && "$OUT/$fuzzer" -runs=200 -seed=1 "$corpus") > "$tmp/$fuzzer.log" 2>&1
  status=$?
  if [ "$status" -ne 0 ] || ls "$tmp/work"/crash-* > /dev/null 2>&1; then
    tail -30 "$tmp/$fuzzer.log"; fail "$fuzzer -runs=200 exited $status (the fixed variant of $scenario)"
  fi
  grep -q "Done 200 runs" "$tmp/$fuzzer.log" || { tail -5 "$tmp/$fuzzer.log"; fail "$fuzzer did not run 200 inputs"; }
  n=$((n + 1))
done < "$tmp/fuzzers"
[ "$n" -gt 0 ] || fail "no fuzzer ran"
end=$(date +%s)
echo "ok: $n fuzzers built (build.sh $((built - start)) s), seeds pinned and clean, 200 runs each clean; total $((end - start)) s"

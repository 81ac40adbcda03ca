#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script for ptfuzz (docs/distributed.md).
#
# Honours the OSS-Fuzz build environment: $CC, $CXX, $CFLAGS, $CXXFLAGS, $LIB_FUZZING_ENGINE,
# $SRC (the repository is $SRC/ptfuzz), $OUT (where the fuzzers go) and $WORK (scratch space; the
# CMake build directory is $WORK/ptfuzz-build). Builds only the pinned fuzzers and writes to
# $OUT, for each ptfuzz_<scenario>_fuzzer:
#   ptfuzz_<scenario>_fuzzer             the binary (shared libraries it needs in $OUT/lib)
#   ptfuzz_<scenario>_fuzzer_seed_corpus.zip   corpus/<scenario>/seed/*, pinned, binary
#   ptfuzz_<scenario>_fuzzer.options     [libfuzzer] settings (never max_len: it truncates
#                                        stored inputs, docs/fuzzing.md)
# No .dict: the fuzzers define LLVMFuzzerCustomMutator and never call LLVMFuzzerMutate, so
# libFuzzer's dictionary mutations never run (its MutationDispatcher uses the custom mutator in
# place of all built-in mutations) and a dictionary would be read and ignored.
#
# Why one binary per scenario: OSS-Fuzz passes neither our flags nor environment variables, and
# a finding there must mean a real problem, so every fuzzer runs the scenario's fixed variant,
# pinned at build time (.clusterfuzzlite/default_pins.cc); the buggy variants are expected to
# crash. Where `ptfuzz scenarios` expects the fixed variant to violate under the relaxed memory
# model (an open question the relaxed model raises, docs/folios-and-fork.md), the fuzzer is also
# pinned to TSO, under which it must be clean. tests/e2e/oss_fuzz_build_test.sh checks this list
# against the registry: every scenario has a fuzzer, and every pin is one where the fixed variant
# is expected clean.
set -eu  # also when run as `bash build.sh` (OSS-Fuzz runs it with bash -eu)

fuzzers=(
  gup_vs_zap:fixed
  gup_vs_madv_free:fixed
  gup_pin_vs_swapout:fixed
  pae_fault_vs_fault:fixed
  pae_gup_vs_refault:fixed
  contpte_lockless_read:fixed
  gup_vs_thp_collapse:fixed
  pae_gup_vs_collapse:fixed
  collapse_vs_pt_reclaim:fixed
  gup_vs_collapse_table_free:fixed
  retract_vs_exit:fixed
  geometry_walk_arm64:fixed
  geometry_walk_s390:fixed
  gup_longterm_vs_truncate:fixed
  gup_vs_hugetlb_unshare:fixed
  tlb_remove_table_lazy:fixed
  zap_vs_zap:fixed
  gup_pin_vs_fork:fixed:tso  # relaxed: pin_lost_to_cow (docs/folios-and-fork.md)
  gup_vs_split:fixed:tso     # relaxed: ref_on_wrong_folio (docs/folios-and-fork.md)
  pfn_walker_vs_hvo:fixed
  pfn_walker_vs_compound_alloc:fixed
  migrate_vs_deferred_split:fixed
)

src_dir="$SRC/ptfuzz"
build_dir="${WORK:-/tmp}/ptfuzz-build"

# $CFLAGS and $CXXFLAGS are used as given (optimisation, debug info, sanitizers, the coverage
# build's profiling), with two flags taken out:
#  - -stdlib=libc++: Debian's and Ubuntu's protobuf and Abseil are built against libstdc++, whose
#    std::string their symbols take, so the link would fail;
#  - -fsanitize=fuzzer-no-link: libFuzzer's coverage instrumentation, which core/CMakeLists.txt
#    gives to the simulated kernel code alone (ptfuzz_core_cov, function counters). On every file
#    it would count edges of the engine, protobuf and the mutator too: noise that steers the
#    search away from kernel states, and about 2.8 times fewer executions per second
#    (docs/distributed.md).
strip_flags() {
  local f words out=()
  read -ra words <<< "$1"
  for f in "${words[@]}"; do
    case "$f" in -stdlib=libc++ | -fsanitize=fuzzer-no-link) ;; *) out+=("$f") ;; esac
  done
  echo "${out[*]}"
}
cflags=$(strip_flags "$CFLAGS")
cxxflags=$(strip_flags "$CXXFLAGS")

# CMAKE_BUILD_TYPE=None: no flags of a build type's own after $CFLAGS/$CXXFLAGS (Release would
# append -O3). $ORIGIN/lib: the shared libraries copied beside the fuzzers below (the OSS-Fuzz
# runner image has no protobuf or Abseil).
cmake -S "$src_dir" -B "$build_dir" -G Ninja \
  -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$cflags" -DCMAKE_CXX_FLAGS="$cxxflags" \
  -DCMAKE_EXE_LINKER_FLAGS="${LDFLAGS:-}" \
  -DCMAKE_BUILD_RPATH='$ORIGIN/lib' \
  -DPTFUZZ_FUZZING=ON \
  -DLIB_FUZZING_ENGINE="$LIB_FUZZING_ENGINE" \
  -DPTFUZZ_PINNED_FUZZERS="$(IFS=';'; echo "${fuzzers[*]}")"
cmake --build "$build_dir" --target ptfuzz_pinned_fuzzers

mkdir -p "$OUT/lib"
for entry in "${fuzzers[@]}"; do
  IFS=: read -r scenario variant model <<< "$entry"
  fuzzer="ptfuzz_${scenario}_fuzzer"
  cp "$build_dir/$fuzzer" "$OUT/"

  # The seeds as the fuzzer accepts them: with its pins (it rejects others unread), binary.
  seeds="$build_dir/seeds/$fuzzer"
  rm -rf "$seeds"
  "$build_dir/ptfuzz_pin_seeds" "$scenario" "$variant" "${model:-}" \
    "$src_dir/corpus/$scenario/seed" "$seeds"
  # python3's zipfile (zip may be absent); fixed timestamps so that the archive depends only on
  # the seeds.
  python3 - "$seeds" "$OUT/${fuzzer}_seed_corpus.zip" <<'PY'
import os, sys, zipfile
seed_dir, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for name in sorted(os.listdir(seed_dir)):
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(os.path.join(seed_dir, name), "rb") as f:
            z.writestr(info, f.read())
PY

  cat > "$OUT/$fuzzer.options" <<'OPTIONS'
[libfuzzer]
# Value profiling feeds on comparison tracing, which no file has: the kernel model is built
# without trace-cmp (it compares no magic values, core/CMakeLists.txt) and nothing else is
# coverage-instrumented. Off, so that ClusterFuzz does not spend some of its runs on it.
use_value_profile = 0
OPTIONS

  # Shared libraries outside the base image (protobuf, Abseil) go to $OUT/lib, found through the
  # binary's $ORIGIN/lib run path.
  ldd "$OUT/$fuzzer" | awk '$1 ~ /^lib(absl_|protobuf)/ { print $1, $3 }' |
    while read -r soname path; do
      [ -e "$OUT/lib/$soname" ] || cp -L "$path" "$OUT/lib/$soname"
    done
done

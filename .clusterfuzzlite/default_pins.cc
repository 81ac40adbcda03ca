// The pins of a fuzzer built for OSS-Fuzz or ClusterFuzzLite (.clusterfuzzlite/build.sh).
//
// OSS-Fuzz runs a fuzzer with neither our flags nor environment variables, and a finding there
// must be a real problem, so each shipped fuzzer is pinned at build time to one scenario and its
// fixed variant (and, where the registry expects the fixed kernel to violate under the relaxed
// model, to a memory model under which it must be clean). fuzz/fuzz_target.cc reads its pins from
// flags or from PTFUZZ_SCENARIO, PTFUZZ_VARIANT and PTFUZZ_MEMORY_MODEL in
// LLVMFuzzerInitialize; this file's static initializer runs before libFuzzer's main and puts the
// compiled-in values (fuzz/CMakeLists.txt, PTFUZZ_PINNED_FUZZERS) into the environment. A
// variable that is set already is left alone, so a flag or an explicit variable still wins, as
// with ptfuzz_fuzzer. The pins end up in every input the mutator writes, so crash files replay
// with `ptfuzz replay` as they ran (docs/distributed.md).
#include <cstdlib>

#if !defined(PTFUZZ_PIN_SCENARIO) || !defined(PTFUZZ_PIN_VARIANT)
#error "PTFUZZ_PIN_SCENARIO and PTFUZZ_PIN_VARIANT must be defined (fuzz/CMakeLists.txt)"
#endif

namespace {

struct DefaultPins {
  DefaultPins() {
    setenv("PTFUZZ_SCENARIO", PTFUZZ_PIN_SCENARIO, /*overwrite=*/0);
    setenv("PTFUZZ_VARIANT", PTFUZZ_PIN_VARIANT, /*overwrite=*/0);
#ifdef PTFUZZ_PIN_MEMORY_MODEL
    setenv("PTFUZZ_MEMORY_MODEL", PTFUZZ_PIN_MEMORY_MODEL, /*overwrite=*/0);
#endif
  }
};

const DefaultPins default_pins;

}  // namespace

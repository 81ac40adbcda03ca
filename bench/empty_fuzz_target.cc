// The ceiling for bench/fuzz_exec_rate.sh: a libFuzzer target that does nothing, so its exec/s is
// libFuzzer's own per-input overhead on this machine.
#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }

// gup_vs_zap: GUP-fast racing MADV_DONTNEED, with an anonymous fault that reuses freed frames.
//
// The race of seed 003 (Jason Gunthorpe, May 2023) and kernel-mm.md section 12: GUP-fast reads a
// PTE, zap clears it, flushes and frees the page, a fault elsewhere reallocates the frame, and
// GUP-fast's try-get lands on the new owner. The PTE recheck must make GUP-fast back off. With IPI
// flushes GUP-fast's interrupts-off section also holds the free off, so some bugs only show with
// broadcast flushes: exactly the architectures seed 003 worries about.
//
// Default configuration: 3 CPUs; page A = 0x7f0000000000 mapped and in the TLBs of CPUs 0 and 2;
// GUP-fast on CPU 0 at A, zap on CPU 1 at A, an anonymous fault on CPU 2 at A + 4 KiB (same PTE
// table) so a freed frame is reused at another address.
#ifndef PTFUZZ_CORE_SCENARIOS_GUP_VS_ZAP_H_
#define PTFUZZ_CORE_SCENARIOS_GUP_VS_ZAP_H_

#include "core/scenarios/registry.h"

namespace ptfuzz {

inline constexpr uint64_t kGupVsZapPageA = 0x7f0000000000;

ScenarioSpec GupVsZapSpec();

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_SCENARIOS_GUP_VS_ZAP_H_

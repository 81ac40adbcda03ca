// pae_fault_vs_fault: two threads fault in the same empty 2 MiB region on x86-PAE; one
// populates the pmd while the other reads it (bug zoo Z06, CVE-2012-2373; fix 26c191788f18
// "mm: pmd_read_atomic: fix 32bit PAE pmd walk vs pmd_populate SMP race condition").
//
// pmd_populate() writes the 64-bit pmd atomically (cmpxchg8b), but a walker that dereferences
// `*pmd` as a plain 64-bit value gets two 32-bit loads. High half first (0: none), the populate,
// then the low half (present): {low, 0} names the wrong page, which pte_offset_map() then maps as
// the PTE table. In the other order the tear needs the loads reordered, which the compiler did
// and which only the relaxed model reproduces here. pmd_read_atomic() (low half; high half only
// after smp_rmb() if the low half is set) is enough for none -> present, the only transition here
// (Z07 is the present -> present case); today's __pte_offset_map() uses pmdp_get_lockless() with
// interrupts off.
//
// Default configuration: ARCH_X86_PAE, 2 CPUs, IPI flushes, 16 frames (two banks, core/pte.h).
// Pages 0x7f0000000000-0x7f0000003000 are mapped (with their tables they fill frames 0-7, the
// bank below 4 GiB); faults at 0x7f0000200000 (CPU 0) and 0x7f0000201000 (CPU 1) share that
// region's pmd entry, which is none. The PTE table a fault allocates comes from the bank at
// 4 GiB, so its pmd has a nonzero high word and a tear names another page.
#ifndef PTFUZZ_CORE_SCENARIOS_PAE_FAULT_VS_FAULT_H_
#define PTFUZZ_CORE_SCENARIOS_PAE_FAULT_VS_FAULT_H_

#include "core/scenarios/registry.h"

namespace ptfuzz {

inline constexpr uint64_t kPaeFaultRegion = 0x7f0000200000;

ScenarioSpec PaeFaultVsFaultSpec();

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_SCENARIOS_PAE_FAULT_VS_FAULT_H_

// pae_gup_vs_refault: GUP-fast's ptep_get_lockless() on x86-PAE vs MADV_DONTNEED and a refault of
// the same address (bug zoo Z08; seed 000, Jann Horn and Jason Gunthorpe, Oct 2022).
//
// The LOW_HIGH retry loop (core/protocols/pgtable_lockless.h) trusts that a PTE never goes from
// one present page to another without a TLB flush the reader's interrupts-off section holds off.
// zap_pte_range() drops the PTL before its batched flush, so a fault on another CPU can map a new
// page first; if the new page has the same low word (same pfn bits 0-19, same flags) and another
// high word, the loop accepts {low, 0}: a present PTE naming a page nobody mapped. IPI flushes do
// not help (the fault does not wait for them), nor do paravirt or broadcast ones. GUP-fast's
// try-get then lands on an unrelated page (a speculative reference, kernel-mm.md section 12) and
// its PTE recheck drops it: the fixed kernel is clean, and without the recheck the torn PTE's
// page is returned.
//
// Default configuration: ARCH_X86_PAE, 3 CPUs, IPI flushes, 17 frames (three banks: pfns below
// 4 GiB, at 4 GiB and at 8 GiB, core/pte.h). Page 0x7f0000000000 is mapped first and fills the
// first bank with its tables; page B = 0x7f8000000000 (another pgd slot) then sits at 4 GiB
// (frame 8, pfn 0x100000), so its PTE has a nonzero high word; four pages at 0x7e8000000000 take
// frames 9-15, so the only free frame is 16 (pfn 0x200000, at 8 GiB), which has B's page's low
// word: a refault of B maps it unless the zap's freed page comes back first. GUP-fast on CPU 0,
// zap on CPU 1 and the anonymous fault on CPU 2, all at B.
#ifndef PTFUZZ_CORE_SCENARIOS_PAE_GUP_VS_REFAULT_H_
#define PTFUZZ_CORE_SCENARIOS_PAE_GUP_VS_REFAULT_H_

#include "core/scenarios/registry.h"

namespace ptfuzz {

inline constexpr uint64_t kPaeRefaultPage = 0x7f8000000000;

ScenarioSpec PaeGupVsRefaultSpec();

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_SCENARIOS_PAE_GUP_VS_REFAULT_H_

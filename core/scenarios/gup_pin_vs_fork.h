// gup_pin_vs_fork: a FOLL_PIN for DMA races fork(), and the parent's next write copies the pinned
// page away from the process (bug zoo Z14; "mm/gup: prevent gup_fast from racing with COW during
// fork", Jason Gunthorpe, 57efa1fe5957, v5.11).
//
// Since v5.9 fork() copies, instead of sharing, an anonymous page that may be DMA-pinned
// (page_maybe_dma_pinned(): GUP_PIN_COUNTING_BIAS references), so the parent keeps its pinned page
// writable. But GUP-fast does not take the mmap lock fork() holds: it can pin the page through the
// still-writable PTE after fork() found it unpinned and before fork() write-protects it. The page
// is then shared, write-protected, and the parent's next write copies it: the parent maps a new
// page while the DMA writes the old one, now the child's. The fix brackets copy_page_range() with
// mm->write_protect_seq, and GUP-fast FOLL_PIN fails (unpinning) when the sequence was odd or
// changed across its walk.
//
// Default configuration: x86-64, IPI flushes, SC, 10 frames, 3 CPUs. Page 0x7f0000000000 is mapped
// writable in the parent (mm 0); the child (mm 1) has empty page tables. CPU 0: fork(); CPU 1:
// pin_user_pages_fast(FOLL_WRITE) for a DMA that outlives the run; CPU 2: a parent thread writes
// the page. One preemption finds the bug: fork between its pinned check and its write-protect.
#ifndef PTFUZZ_CORE_SCENARIOS_GUP_PIN_VS_FORK_H_
#define PTFUZZ_CORE_SCENARIOS_GUP_PIN_VS_FORK_H_

#include "core/scenarios/registry.h"

namespace ptfuzz {

ScenarioSpec GupPinVsForkSpec();

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_SCENARIOS_GUP_PIN_VS_FORK_H_

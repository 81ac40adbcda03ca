// Zap: madvise(MADV_DONTNEED) of one page (mm/madvise.c madvise_dontneed_single_vma() ->
// mm/memory.c zap_page_range_single() -> unmap_page_range() -> zap_pmd_range() ->
// zap_pte_range(); v6.6-v6.12).
//
// A locked walker (kernel-mm.md "Classes of walkers", class 4): the mmap read lock (or the VMA
// lock) keeps the upper tables in place, the PTE table's split lock (the PTL) serializes the PTE
// update against faults. The sequence modelled:
//   walk pgd, pud, pmd (plain loads; the tables cannot go away under the mmap lock)
//   pte_offset_map_lock(): load pmd, lock its PTE table's PTL, recheck pmd_same()
//   ptent = ptep_get_and_clear_full()      an atomic xchg: value-returning, fully ordered
//   tlb_remove_tlb_entry(); __tlb_remove_page()  queue the page, no free yet
//   pte_unmap_unlock()
//   tlb_finish_mmu(): flush the TLB (IPI or broadcast), then folio_put() the queued pages
// rmap/mapcount updates are not modelled (no reader in this model looks at them yet).
#ifndef PTFUZZ_CORE_PROTOCOLS_ZAP_H_
#define PTFUZZ_CORE_PROTOCOLS_ZAP_H_

#include "core/cpu.h"
#include "core/task.h"

namespace ptfuzz {

// The ACTOR_ZAP actor: madvise(addr, PAGE_SIZE, MADV_DONTNEED).
Task<void> ZapActor(Cpu& cpu, VirtAddr addr);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_ZAP_H_

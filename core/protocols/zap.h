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

struct MmuGather;

// zap_pte_range()'s loop over a whole table whose PTL the caller holds, for a range zap (the
// range madvise, the exit path): every non-none PTE among the populatable ones
// (World::PopulatablePteIndices) is cleared with ptep_get_and_clear_full() and its page queued
// on `tlb`. `dep`: the load the table's address came from.
Task<void> zap_ptes_locked(Cpu& cpu, MmuGather& tlb, FrameId table, Dep dep, VirtAddr pmd_start);

// zap_page_range_single() of the page at `addr`, through tlb_finish_mmu().
Task<void> zap_page_range_single(Cpu& cpu, VirtAddr addr);

// zap_pte_range() over the whole PTE table the pmd at `pmdp` names, under its PTL: every
// populatable PTE cleared and its page queued on `tlb`. False when the pmd names no PTE table
// (none or huge). `pmdp_dep`: the load the pmd's address came from.
Task<bool> zap_pte_range_all(Cpu& cpu, MmuGather& tlb, PhysAddr pmdp, Dep pmdp_dep,
                             VirtAddr pmd_start);

// The ACTOR_ZAP actor: madvise(addr, PAGE_SIZE, MADV_DONTNEED).
Task<void> ZapActor(Cpu& cpu, VirtAddr addr);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_ZAP_H_

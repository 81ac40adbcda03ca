// Reclaim of a lazyfree (MADV_FREE) anonymous page: shrink_folio_list() (mm/vmscan.c) unmapping
// it with try_to_unmap_one() (mm/rmap.c) and discarding it when nobody else holds it (v6.6-v6.12;
// bug zoo Z12, fix 6c8e2a256915 "mm: fix race between MADV_FREE reclaim and blkdev direct IO
// read").
//
// Sequence modelled, for the one page at the actor's address:
//   page_vma_mapped_walk(): walk to the PTE, pte_offset_map_lock(), read it
//   folio_isolate_lru(): reclaim's own reference on the folio
//   try_to_unmap_one() with TTU_BATCH_FLUSH:
//     pteval = ptep_get_and_clear()        x86 xchg (full), arm64 xchg_relaxed
//     smp_mb()                             pairs with GUP-fast's try-get + PTE recheck
//     ref = folio_ref_count(); map = folio_mapcount()      READ_ONCE each
//     smp_rmb()
//     ref != 1 + map: set_pte_at(pteval), abort (someone else holds the page)
//     else discard: folio_remove_rmap_pte() (a value-returning atomic on the mapcount), put the
//       page table's reference
//   pte_unmap_unlock()
//   try_to_unmap_flush(): the deferred TLB flush, then drop the isolation reference (the
//   folio_ref_freeze(folio, 1) that frees the page when it is the last one)
// The page is MADV_FREE'd and clean: the PTE and folio dirty checks that would keep a redirtied
// page are not modelled.
#ifndef PTFUZZ_CORE_PROTOCOLS_RMAP_UNMAP_H_
#define PTFUZZ_CORE_PROTOCOLS_RMAP_UNMAP_H_

#include "core/cpu.h"
#include "core/task.h"

namespace ptfuzz {

// The ACTOR_RECLAIM_LAZYFREE actor: reclaim the lazyfree page mapped at `addr`.
Task<void> ReclaimLazyfreeActor(Cpu& cpu, VirtAddr addr);

// What a swap-out leaves in the PTE: a swap entry, not present (the exact encoding does not
// matter to any reader here, only that it is not present and not a page).
inline constexpr uint64_t kSwapEntry = 0x2ull << kPageShift;

// The ACTOR_SWAPOUT_ANON actor: reclaim the exclusive anonymous page mapped at `addr` by swapping
// it out: try_to_unmap_one() clears the PTE and folio_try_share_anon_rmap_pte() clears
// PageAnonExclusive unless the page is pinned (bug zoo Z13, fix 088b8aa537c2):
//   pteval = ptep_get_and_clear()            x86 xchg (full), arm64 xchg_relaxed; flush deferred
//   smp_mb()                                 pairs with GUP-fast's smp_mb__after_atomic()
//   folio_maybe_dma_pinned(): refcount >= GUP_PIN_COUNTING_BIAS -> set_pte_at(pteval), abort
//   ClearPageAnonExclusive(); smp_mb__after_atomic()
//   set_pte_at(swap entry); folio_remove_rmap_pte(); put the page table's reference
// Writeback and the swap cache are not modelled: the page stays allocated until its last
// reference goes.
Task<void> SwapoutAnonActor(Cpu& cpu, VirtAddr addr);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_RMAP_UNMAP_H_

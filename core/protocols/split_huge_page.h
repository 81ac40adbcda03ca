// Splitting a large anonymous folio into order-0 pages: split_huge_page_to_list() and its helpers
// in mm/huge_memory.c (v6.1), reached from MADV_PAGEOUT (madvise_cold_or_pageout_pte_range() in
// mm/madvise.c), which splits a large folio before reclaiming its pages.
//
//   caller:  pte_offset_map_lock(); folio = page_folio(pte_page(pte)); folio_get(folio); unlock
//   split_huge_page_to_list(&folio->page):
//     can_split_folio()          folio_ref_count() == total mapcount + 1 (the caller's), racy
//     unmap_folio() -> try_to_migrate() -> try_to_migrate_one() per PTE, under the PTL:
//       ptep_clear_flush()       clear, flush_tlb_page()
//       set_pte_at(migration entry); page_remove_rmap(); folio_put(folio)
//     local_irq_disable()
//     folio_ref_freeze(folio, 1) cmpxchg(_refcount, 1, 0): fails when anyone else holds a
//                                reference (a GUP-fast try-get that got in): -EAGAIN, after
//                                remap_page() puts the PTEs back
//     __split_huge_page(): per tail, last first (__split_huge_page_tail()):
//       smp_wmb(); clear_compound_head(tail); page_ref_unfreeze(tail, 1)   (atomic_set_release)
//     ClearPageCompound(head); page_ref_inc(head)                      the caller's reference
//     local_irq_enable()
//     remap_page() -> remove_migration_ptes(): per page, under the PTL: folio_get(page),
//                                page_add_anon_rmap(), set_pte_at(the old entry)
//     free_page_and_swap_cache(tail) for every page but the head      the tails' unfreeze refs
//   folio_put(folio)                                                  the caller's reference
//
// The refcount freeze is what excludes speculative getters: a try-get on a frozen count fails.
// What it cannot exclude is a getter that read compound_head before the split and increments the
// old head after it (Z03): that is try_get_folio()'s page_folio() recheck's job
// (core/protocols/folio_ref.h).
#ifndef PTFUZZ_CORE_PROTOCOLS_SPLIT_HUGE_PAGE_H_
#define PTFUZZ_CORE_PROTOCOLS_SPLIT_HUGE_PAGE_H_

#include "core/cpu.h"
#include "core/protocols/migrate.h"
#include "core/task.h"

namespace ptfuzz {

// The ACTOR_DEFERRED_SPLIT_SCAN actor: the deferred split shrinker, deferred_split_scan()
// (mm/huge_memory.c, v6.10), over the queue holding `folio` (the large folio the setup mapped at
// the actor's address, queued before the run): under the queue's lock each queued folio is
// folio_try_get() and moved to a private list (or, at a zero count, just unqueued); then, the
// lock dropped, folio_trylock() and split_folio() (not modelled: in these scenarios the folio
// belongs to a migration, which holds its lock), folio_put(); then the private list is spliced
// back onto the queue under the lock.
Task<void> DeferredSplitScanActor(Cpu& cpu, FrameId folio);

// The ACTOR_SPLIT_HUGE_PAGE actor: MADV_PAGEOUT of `addr`, which splits the large folio mapped
// there (nothing when the page there is not part of a large folio).
Task<void> SplitHugePageActor(Cpu& cpu, VirtAddr addr);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_SPLIT_HUGE_PAGE_H_

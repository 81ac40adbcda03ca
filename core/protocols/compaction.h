// A speculative PFN walker: memory compaction's isolate_migratepages_block() (mm/compaction.c,
// v6.12) scanning a pfn range takes a reference on each page it may migrate with
// folio_get_nontail_page() -> get_page_unless_zero() -> page_ref_add_unless(page, 1, 0)
// (include/linux/page_ref.h), without knowing what the page is: it may be free, a tail of some
// compound page, or being repurposed. The kernel-mm.md speculative-reference rule applies: a
// reference it gets on a page in another life is allowed, and it drops it with an ordinary put.
//
// Since bd225530a4c7 ("mm/hugetlb_vmemmap: fix race with speculative PFN walkers", v6.12) the
// add runs inside rcu_read_lock() and is attempted only when page_count_writable() finds the
// count nonzero (atomic_read_acquire()), so that HVO's synchronize_rcu() before it remaps a
// hugetlb folio's struct pages read-only separates the two (core/protocols/hugetlb_vmemmap.h).
// Before, the walker's cmpxchg could land on a struct page HVO had just made read-only (Z16).
#ifndef PTFUZZ_CORE_PROTOCOLS_COMPACTION_H_
#define PTFUZZ_CORE_PROTOCOLS_COMPACTION_H_

#include "core/cpu.h"
#include "core/task.h"

namespace ptfuzz {

// page_ref_add_unless(page, 1, 0): true when it took a reference on `page` itself.
Task<bool> page_ref_add_unless(Cpu& cpu, FrameId page);

// The ACTOR_PFN_WALKER_PAGE_COUNT actor: compaction's page_count(page) of pfn `page`
// (isolate_migratepages_range(), v3.12-v4.4: the balloon-page check bf6bddf1924e added):
// atomic_read(&compound_head(page)->_count), the head found as the layout allows (Z18).
Task<void> PfnWalkerPageCountActor(Cpu& cpu, FrameId page);

// The ACTOR_PFN_WALKER actor: isolate_migratepages_block() reaching pfn `page` (the frame the
// setup mapped at the actor's address): a speculative reference, dropped again.
Task<void> PfnWalkerActor(Cpu& cpu, FrameId page);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_COMPACTION_H_

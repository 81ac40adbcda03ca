// HVO, the hugetlb vmemmap optimisation (mm/hugetlb_vmemmap.c, v6.12): a fresh hugetlb folio's
// tail struct pages are all alike, so the vmemmap pages that hold them are remapped read-only to
// one shared page and the others freed. alloc_fresh_hugetlb_folio() (mm/hugetlb.c) takes a
// compound page from the buddy allocator; hugetlb_vmemmap_optimize_folio() then, with the
// folio's count frozen, calls synchronize_rcu() (bd225530a4c7) and remaps.
//
//   alloc_fresh_hugetlb_folio():   alloc_pages(order): head count 1, tails 0 and compound
//   folio_ref_freeze(folio, 1)     the pool keeps free hugetlb folios frozen; a speculative
//                                  reference makes it fail: the pages go back (its holder's put
//                                  frees them) and the allocation is retried once
//   hugetlb_vmemmap_optimize_folio():
//     synchronize_rcu()            every speculative PFN walker that may have read a nonzero
//                                  count of one of these pages in its previous life is done
//     vmemmap_remap_pte()          the tails' struct pages read-only (VmemmapLoc)
//   folio_ref_unfreeze(folio, 1)
//
// In this machine the folio is small (4 frames stand for 512), and every tail's struct page
// becomes read-only: the kernel keeps the first vmemmap page (the head and the first 63 tails)
// writable, and the pages at stake are the ones beyond it.
#ifndef PTFUZZ_CORE_PROTOCOLS_HUGETLB_VMEMMAP_H_
#define PTFUZZ_CORE_PROTOCOLS_HUGETLB_VMEMMAP_H_

#include "core/cpu.h"
#include "core/task.h"

namespace ptfuzz {

// The order of the hugetlb folios ACTOR_HUGETLB_ALLOC_HVO allocates.
inline constexpr uint32_t kHugetlbOrder = 2;

// The ACTOR_HUGETLB_ALLOC_HVO actor: one hugetlb folio allocated for the pool (a sysctl raising
// nr_hugepages) and optimized. Nothing happens when no aligned block is free.
Task<void> HugetlbAllocHvoActor(Cpu& cpu);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_HUGETLB_VMEMMAP_H_

// Compound page allocation: prep_compound_page() in mm/page_alloc.c, and the compound_head() a
// speculative reader races it with (include/linux/page-flags.h), in the three layouts the kernel
// has had (CompoundHeadLayout, core/variant.h; zoo Z18).
//
//   one word (v4.5+, 1d798ca3f164):   prep: WRITE_ONCE(tail->compound_head, head + 1)
//                                     read: w = READ_ONCE(page->compound_head); w & 1 ? w - 1 :
//                                     page
//   tail flag first (before v3.19):   prep: __SetPageTail(tail); tail->first_page = head
//                                     read: PageTail(page) ? page->first_page : page
//   recheck (v3.19-v4.4, 668f9abbd433): prep: tail->first_page = head; smp_wmb(); __SetPageTail()
//                                     read: PageTail(page) ? (head = page->first_page; smp_rmb();
//                                           PageTail(page) ? head : page) : page
#ifndef PTFUZZ_CORE_PROTOCOLS_PAGE_ALLOC_H_
#define PTFUZZ_CORE_PROTOCOLS_PAGE_ALLOC_H_

#include "core/cpu.h"
#include "core/task.h"

namespace ptfuzz {

// prep_compound_page(): each tail of the compound page at `head` (2^order frames) names it.
Task<void> prep_compound_page(Cpu& cpu, FrameId head, uint32_t order);

// compound_head(page) as the machine's layout reads it: the head, the page itself, or kNoFrame
// for a NULL head pointer (a tail flag seen with its pointer not yet written).
Task<FrameId> compound_head(Cpu& cpu, FrameId page);

// The ACTOR_ALLOC_COMPOUND actor: a kernel allocation alloc_pages(GFP_KERNEL | __GFP_COMP, 2)
// (a driver's buffer) kept past the run. Nothing happens when no aligned block is free.
Task<void> AllocCompoundActor(Cpu& cpu);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_PAGE_ALLOC_H_

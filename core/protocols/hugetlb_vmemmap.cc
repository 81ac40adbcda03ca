#include "core/protocols/hugetlb_vmemmap.h"

#include "core/protocols/folio_ref.h"
#include "core/protocols/page_alloc.h"
#include "core/world.h"

namespace ptfuzz {

Task<void> HugetlbAllocHvoActor(Cpu& cpu) {
  PTFUZZ_KERNEL_FUNC(cpu, "alloc_fresh_hugetlb_folio", "mm/hugetlb.c");
  World& world = *cpu.world;
  FrameId head = kNoFrame;
  for (int attempt = 0; attempt < 2 && head == kNoFrame; ++attempt) {
    // alloc_buddy_hugetlb_folio(): alloc_pages(__GFP_COMP), then folio_ref_freeze(folio, 1).
    head = static_cast<FrameId>(co_await cpu.AllocFolio(kHugetlbOrder));
    if (head == kNoFrame) co_return;
    co_await prep_compound_page(cpu, head, kHugetlbOrder);
    const uint64_t old =
        co_await cpu.RmwLoc(RefcountLoc(head), RmwOp::kCmpxchg, 1, 0, MemOrder::kFull);
    if (old == 1) break;
    // A speculative reference on the fresh pages (a PFN walker's): give them back, the holder's
    // put frees them, and retry once ("HugeTLB head page unexpected inflated ref count" the
    // second time).
    co_await folio_put(cpu, head);
    head = kNoFrame;
  }
  if (head == kNoFrame) co_return;
  {
    PTFUZZ_KERNEL_FUNC(cpu, "hugetlb_vmemmap_optimize_folio", "mm/hugetlb_vmemmap.c");
    if (world.variant().hvo_rcu_sync) co_await cpu.SynchronizeRcu();
    // vmemmap_remap_free() -> vmemmap_remap_pte(): each tail's struct page read-only.
    for (FrameId tail = head + 1; tail < head + (FrameId{1} << kHugetlbOrder); ++tail) {
      co_await cpu.StoreLoc(VmemmapLoc(tail), 1, MemOrder::kOnce);
    }
  }
  // folio_ref_unfreeze(folio, 1): atomic_set_release(). The allocating code holds this reference
  // until it enqueues the folio in the pool after the run (the end-of-run oracle counts it).
  co_await cpu.StoreLoc(RefcountLoc(head), 1, MemOrder::kRelease);
  world.memory().mutable_frame(head).external_refs = 1;
}

}  // namespace ptfuzz

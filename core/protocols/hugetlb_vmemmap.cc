#include "core/protocols/hugetlb_vmemmap.h"

#include "core/protocols/page_alloc.h"
#include "core/world.h"

namespace ptfuzz {

Task<void> HugetlbAllocHvoActor(Cpu& cpu) {
  PTFUZZ_KERNEL_FUNC(cpu, "alloc_fresh_hugetlb_folio", "mm/hugetlb.c");
  World& world = *cpu.world;
  const FrameId head = static_cast<FrameId>(co_await cpu.AllocFolio(kHugetlbOrder));
  if (head == kNoFrame) co_return;
  co_await prep_compound_page(cpu, head, kHugetlbOrder);
  // folio_ref_freeze(folio, 1): the allocation's reference; nobody else can hold one yet.
  co_await cpu.RmwLoc(RefcountLoc(head), RmwOp::kCmpxchg, 1, 0, MemOrder::kFull);
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

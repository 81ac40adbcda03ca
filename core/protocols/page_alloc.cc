#include "core/protocols/page_alloc.h"

#include "core/world.h"

namespace ptfuzz {

Task<void> prep_compound_page(Cpu& cpu, FrameId head, uint32_t order) {
  PTFUZZ_KERNEL_FUNC(cpu, "prep_compound_page", "mm/page_alloc.c");
  const CompoundHeadLayout layout = cpu.world->variant().compound_head_layout;
  for (FrameId tail = head + 1; tail < head + (FrameId{1} << order); ++tail) {
    switch (layout) {
      case CompoundHeadLayout::kOneWord:
        // prep_compound_tail() -> set_compound_head(): WRITE_ONCE.
        co_await cpu.StoreLoc(CompoundHeadLoc(tail), CompoundHeadWord(head), MemOrder::kOnce);
        break;
      case CompoundHeadLayout::kTailFlagFirst:
        // __SetPageTail(p); p->first_page = page: plain stores, the flag first.
        co_await cpu.StoreLoc(PageTailLoc(tail), 1, MemOrder::kPlain);
        co_await cpu.StoreLoc(CompoundHeadLoc(tail), CompoundHeadWord(head), MemOrder::kPlain);
        break;
      case CompoundHeadLayout::kRecheck:
        // "Make sure p->first_page is always valid for PageTail()".
        co_await cpu.StoreLoc(CompoundHeadLoc(tail), CompoundHeadWord(head), MemOrder::kPlain);
        co_await cpu.Fence(FenceKind::kWmb);
        co_await cpu.StoreLoc(PageTailLoc(tail), 1, MemOrder::kPlain);
        break;
    }
  }
}

Task<FrameId> compound_head(Cpu& cpu, FrameId page) {
  PTFUZZ_KERNEL_FUNC(cpu, "compound_head", "include/linux/page-flags.h");
  switch (cpu.world->variant().compound_head_layout) {
    case CompoundHeadLayout::kOneWord: {
      const Loaded w = co_await cpu.LoadLoc(CompoundHeadLoc(page), MemOrder::kOnce);
      co_return CompoundHeadOf(page, w.value);
    }
    case CompoundHeadLayout::kTailFlagFirst: {
      if ((co_await cpu.LoadLoc(PageTailLoc(page), MemOrder::kPlain)).value == 0) co_return page;
      const Loaded first = co_await cpu.LoadLoc(CompoundHeadLoc(page), MemOrder::kPlain);
      co_return first.value == 0 ? kNoFrame : CompoundHeadOf(page, first.value);
    }
    case CompoundHeadLayout::kRecheck: {
      if ((co_await cpu.LoadLoc(PageTailLoc(page), MemOrder::kPlain)).value == 0) co_return page;
      const Loaded first = co_await cpu.LoadLoc(CompoundHeadLoc(page), MemOrder::kPlain);
      co_await cpu.Fence(FenceKind::kRmb);
      if ((co_await cpu.LoadLoc(PageTailLoc(page), MemOrder::kPlain)).value == 0) co_return page;
      co_return first.value == 0 ? kNoFrame : CompoundHeadOf(page, first.value);
    }
  }
  co_return page;
}

Task<void> AllocCompoundActor(Cpu& cpu) {
  PTFUZZ_KERNEL_FUNC(cpu, "__alloc_pages", "mm/page_alloc.c");
  const FrameId head = static_cast<FrameId>(co_await cpu.AllocFolio(2));
  if (head == kNoFrame) co_return;
  co_await prep_compound_page(cpu, head, 2);
  // The driver keeps its buffer (the end-of-run oracle counts the reference).
  cpu.world->memory().mutable_frame(head).external_refs = 1;
}

}  // namespace ptfuzz

#include "core/protocols/split_huge_page.h"

#include "core/protocols/folio_ref.h"
#include "core/protocols/migrate.h"
#include "core/world.h"

namespace ptfuzz {

namespace {

// __split_huge_page(): re-own the tails, last first, then the head.
Task<void> split_huge_page_locked(Cpu& cpu, const FolioRange& f) {
  PTFUZZ_KERNEL_FUNC(cpu, "__split_huge_page", "mm/huge_memory.c");
  World& world = *cpu.world;
  for (uint32_t i = f.nr - 1; i >= 1; --i) {
    const FrameId tail = f.head + i;
    PTFUZZ_KERNEL_FUNC(cpu, "__split_huge_page_tail", "mm/huge_memory.c");
    // "Page flags must be visible before we make the page non-compound."
    co_await cpu.Fence(FenceKind::kWmb);
    // clear_compound_head(): WRITE_ONCE(page->compound_head, 0), before the unfreeze, so that a
    // getter whose get_page_unless_zero() succeeds finds the right head when it puts.
    co_await cpu.StoreLoc(CompoundHeadLoc(tail), 0, MemOrder::kOnce);
    // page_ref_unfreeze(tail, 1): atomic_set_release().
    co_await cpu.StoreLoc(RefcountLoc(tail), 1, MemOrder::kRelease);
  }
  // ClearPageCompound(head): the head's flags (bookkeeping: nothing here reads them racily).
  world.memory().mutable_frame(f.head).order = 0;
  // page_ref_inc(head): the count was frozen at 0; this is the caller's reference again. A
  // non-value-returning atomic: nothing orders the tails' compound_head stores before it (the
  // tails' unfreezes and the lruvec unlock are releases, which order what precedes them before
  // themselves only), so under the relaxed model a getter may take this reference and still
  // read a tail's old compound_head (docs/folios-and-fork.md). The what-if switch makes it a
  // release.
  co_await cpu.RmwLoc(
      RefcountLoc(f.head), RmwOp::kAdd, 1, 0,
      world.variant().split_head_unfreeze_release ? MemOrder::kRelease : MemOrder::kRelaxed);
}

// split_huge_page_to_list(&folio->page, NULL) of an anonymous folio (anon_vma write-locked, the
// folio locked and referenced by the caller). True when it split the folio, false for the
// kernel's -EAGAIN (an unexpected reference, before the unmap or at the freeze).
Task<bool> split_huge_page_to_list(Cpu& cpu, const FolioRange& f) {
  PTFUZZ_KERNEL_FUNC(cpu, "split_huge_page_to_list", "mm/huge_memory.c");
  World& world = *cpu.world;
  {
    // can_split_folio(): total_mapcount(page) == folio_ref_count(folio) - extra_pins - 1. The
    // mapcounts change only under the anon_vma lock the split holds (nothing else in these
    // scenarios maps or unmaps the folio), so they are read as they are.
    PTFUZZ_KERNEL_FUNC(cpu, "can_split_folio", "mm/huge_memory.c");
    int64_t mapcount = 0;
    for (uint32_t i = 0; i < f.nr; ++i) mapcount += world.memory().frame(f.head + i).mapcount;
    const Loaded ref = co_await cpu.LoadLoc(RefcountLoc(f.head), MemOrder::kOnce);
    if (static_cast<int64_t>(ref.value) != mapcount + 1) co_return false;
  }
  {
    PTFUZZ_KERNEL_FUNC(cpu, "unmap_folio", "mm/huge_memory.c");
    co_await try_to_migrate(cpu, f);
  }
  co_await cpu.IrqDisable();  // local_irq_disable(): xa_lock and the split queue lock
  // folio_ref_freeze(folio, 1 + extra_pins): atomic_cmpxchg(&_refcount, 1, 0), fully ordered.
  const uint64_t old =
      co_await cpu.RmwLoc(RefcountLoc(f.head), RmwOp::kCmpxchg, 1, 0, MemOrder::kFull);
  if (old != 1) {
    // fail: someone holds a reference the split did not expect.
    co_await cpu.IrqEnable();
    co_await remove_migration_ptes(cpu, f, f.head);
    co_return false;
  }
  co_await split_huge_page_locked(cpu, f);
  co_await cpu.IrqEnable();
  co_await remove_migration_ptes(cpu, f, f.head);
  // free_page_and_swap_cache(subpage) for every page but the one passed (the head): the tails'
  // unfreeze references. A tail nothing maps any more is freed here.
  for (uint32_t i = 1; i < f.nr; ++i) co_await folio_put(cpu, f.head + i);
  co_return true;
}

}  // namespace

Task<void> DeferredSplitScanActor(Cpu& cpu, FrameId folio) {
  PTFUZZ_KERNEL_FUNC(cpu, "deferred_split_scan", "mm/huge_memory.c");
  if (folio == kNoFrame) co_return;
  co_await cpu.IrqDisable();  // spin_lock_irqsave()
  co_await cpu.SpinLock(kSplitQueueLock);
  bool got = false;
  if ((co_await cpu.LoadLoc(DeferredListLoc(folio), MemOrder::kPlain)).value == kOnSplitQueue) {
    if (co_await folio_try_get(cpu, folio)) {
      // list_move(&folio->_deferred_list, &list).
      co_await cpu.StoreLoc(DeferredListLoc(folio), kOnScannerList, MemOrder::kPlain);
      got = true;
    } else {
      // "We lost race with folio_put()": list_del_init().
      co_await cpu.StoreLoc(DeferredListLoc(folio), kNotQueued, MemOrder::kPlain);
    }
  }
  co_await cpu.SpinUnlock(kSplitQueueLock);
  co_await cpu.IrqEnable();
  if (!got) co_return;
  co_await folio_put(cpu, folio);
  co_await cpu.IrqDisable();
  co_await cpu.SpinLock(kSplitQueueLock);
  // list_splice_tail(&list, &ds_queue->split_queue): what is still on the private list.
  if ((co_await cpu.LoadLoc(DeferredListLoc(folio), MemOrder::kPlain)).value == kOnScannerList) {
    co_await cpu.StoreLoc(DeferredListLoc(folio), kOnSplitQueue, MemOrder::kPlain);
  }
  co_await cpu.SpinUnlock(kSplitQueueLock);
  co_await cpu.IrqEnable();
}

Task<void> SplitHugePageActor(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "madvise_cold_or_pageout_pte_range", "mm/madvise.c");
  // folio_get(), then folio_trylock() (the lock is not modelled: one split per scenario).
  const FolioRange f = co_await get_large_folio(cpu, addr);
  if (f.head == kNoFrame) co_return;
  co_await split_huge_page_to_list(cpu, f);
  // folio_unlock(); folio_put(): on the head, which the split left the caller's reference on.
  co_await folio_put(cpu, f.head);
}

}  // namespace ptfuzz

#include "core/protocols/compaction.h"

#include "core/protocols/folio_ref.h"
#include "core/protocols/page_alloc.h"
#include "core/world.h"

namespace ptfuzz {

Task<bool> page_ref_add_unless(Cpu& cpu, FrameId page) {
  PTFUZZ_KERNEL_FUNC(cpu, "page_ref_add_unless", "include/linux/page_ref.h");
  const bool rcu = cpu.world->variant().hvo_rcu_sync;
  if (rcu) cpu.RcuReadLock();
  bool got = false;
  // page_count_writable(): a zero count is never written, not even by a failing cmpxchg (the
  // fake-head check that follows it is not modelled: no vmemmap page here is a duplicate head).
  const bool writable =
      !rcu || (co_await cpu.LoadLoc(RefcountLoc(page), MemOrder::kAcquire)).value != 0;
  if (writable) {
    // atomic_add_unless(&page->_refcount, 1, 0): read, then cmpxchg until it sticks or the count
    // is 0. The cmpxchg is a write whether or not it succeeds.
    uint64_t count = (co_await cpu.LoadLoc(RefcountLoc(page), MemOrder::kOnce)).value;
    while (count != 0) {
      const uint64_t old = co_await cpu.RmwLoc(RefcountLoc(page), RmwOp::kCmpxchg, count, count + 1,
                                               MemOrder::kFull);
      if (old == count) {
        got = true;
        break;
      }
      count = old;
    }
  }
  if (rcu) cpu.RcuReadUnlock();
  co_return got;
}

Task<void> PfnWalkerPageCountActor(Cpu& cpu, FrameId page) {
  PTFUZZ_KERNEL_FUNC(cpu, "isolate_migratepages_range", "mm/compaction.c");
  if (page == kNoFrame) co_return;
  const FrameId head = co_await compound_head(cpu, page);
  if (head == kNoFrame) {
    cpu.world->oracles().OnCompoundHeadNull(cpu, page);
    co_return;
  }
  // page_count(): atomic_read(&head->_count).
  co_await cpu.LoadLoc(RefcountLoc(head), MemOrder::kOnce);
}

Task<void> PfnWalkerActor(Cpu& cpu, FrameId page) {
  PTFUZZ_KERNEL_FUNC(cpu, "isolate_migratepages_block", "mm/compaction.c");
  if (page == kNoFrame) co_return;
  // folio_get_nontail_page(): get_page_unless_zero(page).
  if (!co_await page_ref_add_unless(cpu, page)) co_return;
  // Whatever the page is now, the reference is on it (a nonzero count means it is no tail) and
  // compaction drops it when the folio is not one it isolates: folio_put().
  co_await folio_put(cpu, page);
}

}  // namespace ptfuzz

#include "core/protocols/mmu_gather.h"

#include "core/protocols/folio_ref.h"
#include "core/protocols/tlb_flush.h"
#include "core/world.h"

namespace ptfuzz {

namespace {

// tlb_flush_mmu_tlbonly(): nothing to do when nothing was unmapped.
Task<void> tlb_flush_mmu_tlbonly(Cpu& cpu, MmuGather& tlb) {
  PTFUZZ_KERNEL_FUNC(cpu, "tlb_flush_mmu_tlbonly", "include/asm-generic/tlb.h");
  if (tlb.end == 0) co_return;
  co_await flush_tlb_mm_range(cpu, tlb.start, tlb.end);
  tlb.start = ~VirtAddr{0};
  tlb.end = 0;
}

// tlb_table_flush() -> tlb_remove_table_free(): the batch goes to call_rcu(); each table is put
// by tlb_remove_table_rcu() once every CPU passed a quiescent state (GUP-fast's interrupts-off
// section, __pte_offset_map()'s rcu_read_lock()).
Task<void> tlb_table_flush(Cpu& cpu, MmuGather& tlb) {
  PTFUZZ_KERNEL_FUNC(cpu, "tlb_table_flush", "mm/mmu_gather.c");
  for (FrameId table : tlb.tables) co_await cpu.CallRcuFreeTable(table);
  tlb.tables.clear();
}

// tlb_batch_pages_flush() -> free_pages_and_swap_cache(): one folio_put() per queued page.
Task<void> tlb_batch_pages_flush(Cpu& cpu, MmuGather& tlb) {
  PTFUZZ_KERNEL_FUNC(cpu, "tlb_batch_pages_flush", "mm/mmu_gather.c");
  for (FrameId page : tlb.pages) co_await folio_put(cpu, page);
  tlb.pages.clear();
  tlb.cleared_at.clear();
}

}  // namespace

Task<void> tlb_gather_mmu(Cpu& cpu, MmuGather& tlb, VirtAddr start, VirtAddr end) {
  PTFUZZ_KERNEL_FUNC(cpu, "tlb_gather_mmu", "mm/mmu_gather.c");
  World& world = *cpu.world;
  tlb.mm = cpu.mm;
  tlb.range_start = start;
  tlb.range_end = end;
  world.GatherBegin(&tlb);
  // inc_tlb_flush_pending(): atomic_inc(), no ordering of its own.
  if (world.Contended(TlbFlushPendingLoc(cpu.mm))) {
    co_await cpu.RmwLoc(TlbFlushPendingLoc(cpu.mm), RmwOp::kAdd, 1, 0, MemOrder::kRelaxed);
  }
}

Task<void> tlb_gather_mmu_fullmm(Cpu& cpu, MmuGather& tlb) {
  co_await tlb_gather_mmu(cpu, tlb, 0, kTaskSize);
}

Task<void> tlb_finish_mmu(Cpu& cpu, MmuGather& tlb) {
  PTFUZZ_KERNEL_FUNC(cpu, "tlb_finish_mmu", "mm/mmu_gather.c");
  World& world = *cpu.world;
  const bool shared = world.Contended(TlbFlushPendingLoc(tlb.mm));
  if (shared && world.variant().tlb_flush_nested) {
    // mm_tlb_flush_nested(): another batch is in progress. It may have cleared entries this one
    // found none and skipped, and its flush is still to come: flush everything now (fullmm,
    // __tlb_reset_range(), freed_tables), which on x86 is flush_tlb_mm_range(.., TLB_FLUSH_ALL).
    const Loaded pending = co_await cpu.LoadLoc(TlbFlushPendingLoc(tlb.mm), MemOrder::kOnce);
    if (pending.value > 1) {
      tlb.start = 0;
      tlb.end = kTaskSize;
    }
  }
  // tlb_flush_mmu(): the two halves in the order the variant says.
  if (world.variant().zap_flush_before_free) {
    co_await tlb_flush_mmu_tlbonly(cpu, tlb);
    // tlb_flush_mmu_free(): tables, then pages.
    if (!tlb.tables.empty()) co_await tlb_table_flush(cpu, tlb);
    co_await tlb_batch_pages_flush(cpu, tlb);
  } else {
    if (!tlb.tables.empty()) co_await tlb_table_flush(cpu, tlb);
    co_await tlb_batch_pages_flush(cpu, tlb);
    co_await tlb_flush_mmu_tlbonly(cpu, tlb);
  }
  // dec_tlb_flush_pending(): atomic_dec(), after the flush.
  if (shared) {
    co_await cpu.RmwLoc(TlbFlushPendingLoc(tlb.mm), RmwOp::kAdd, ~uint64_t{0}, 0,
                        MemOrder::kRelaxed);
  }
  world.GatherEnd(cpu, &tlb);
}

Task<void> pte_free_tlb(Cpu& cpu, MmuGather& tlb, FrameId table, VirtAddr addr) {
  // tlb_flush_pmd_range(tlb, addr, PAGE_SIZE): the paging-structure caches must forget it too.
  tlb.RemoveTlbEntry(addr);
  World& world = *cpu.world;
  if (cpu.world->variant().tlb_remove_table_single_user) {
    PTFUZZ_KERNEL_FUNC(cpu, "tlb_remove_table", "mm/memory.c");
    // "If the mm has a single user nobody can walk it concurrently": mm_users counts tasks, not
    // the CPUs that hold the mm in lazy-TLB mode (mm_count).
    const Loaded users = co_await cpu.LoadLoc(MmUsersLoc(), MemOrder::kOnce);
    if (users.value < 2) {
      co_await cpu.RefPut(table, 1);  // __tlb_remove_table(): free_page_and_swap_cache()
      co_return;
    }
  }
  if (world.config().table_batch_alloc_fails) {
    PTFUZZ_KERNEL_FUNC(cpu, "tlb_remove_table", "mm/mmu_gather.c");
    // No batch page: tlb_table_invalidate() (tlb_needs_table_invalidate() on x86 and arm64),
    // then tlb_remove_table_one(): tlb_remove_table_sync_one() and __tlb_remove_table() at once.
    // Not a grace period: enough for software walkers that disable interrupts; the hardware
    // walkers' caches are what the invalidation is for.
    if (world.variant().table_invalidate_before_one) co_await tlb_flush_mmu_tlbonly(cpu, tlb);
    if (world.config().pt_reclaim) {
      // CONFIG_PT_RECLAIM (v6.14): __tlb_remove_table_one() frees after a grace period
      // (call_rcu() of __tlb_remove_table_one_rcu()), since lockless walkers that only hold
      // rcu_read_lock() (__pte_offset_map()) now meet tables freed under them.
      co_await cpu.CallRcuFreeTable(table);
      co_return;
    }
    co_await tlb_remove_table_sync_one(cpu);
    co_await cpu.RefPut(table, 1);
    co_return;
  }
  tlb.tables.push_back(table);
}

Task<void> tlb_remove_table_sync_one(Cpu& cpu) {
  PTFUZZ_KERNEL_FUNC(cpu, "tlb_remove_table_sync_one", "mm/mmu_gather.c");
  // An empty flush range: the targets run tlb_remove_table_smp_sync(), which does nothing; the
  // point is the wait.
  co_await cpu.IpiSend(0, 0);
  co_await cpu.IpiWait();
}

}  // namespace ptfuzz

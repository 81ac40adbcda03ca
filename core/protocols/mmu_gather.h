// The mmu_gather batch of a zap: pages unmapped now, freed after the TLB flush
// (include/asm-generic/tlb.h, mm/mmu_gather.c, v6.6-v6.12).
//
// The rule tlb.h states: unhook the entry, invalidate the TLB, then free. zap_pte_range() clears
// PTEs and queues their pages under the PTL; tlb_finish_mmu() flushes the TLB and only then drops
// the queued references (tlb_flush_mmu(): tlb_flush_mmu_tlbonly() before tlb_flush_mmu_free()).
// The PTL is dropped before the flush, so a fault can re-establish a PTE while the stale TLB
// entries of the old page are still live (the window of seed 000 and Z08).
//
// Page tables go through the same gather (pte_free_tlb(): tlb->batch, freed after the flush and an
// RCU grace period, or, with the old single-user shortcut, at once).
// Two unmaps of one mm may batch at once (MADV_DONTNEED holds the mmap lock for reading): each
// gather raises mm->tlb_flush_pending (inc_tlb_flush_pending()) and tlb_finish_mmu() flushes the
// whole mm when it sees another (mm_tlb_flush_nested()), since it may have skipped entries the
// other cleared and has not flushed yet (99baac21e458). The counter is shared memory only when
// the scenario has several gathering actors in the mm (World::Contended()).
// When the batch page cannot be allocated, tlb_remove_table_one() frees each table at once after
// tlb_remove_table_sync_one() (or by RCU in a kernel with CONFIG_PT_RECLAIM).
// Not modelled yet: batch-full forced flushes and delayed rmap removal.
#ifndef PTFUZZ_CORE_PROTOCOLS_MMU_GATHER_H_
#define PTFUZZ_CORE_PROTOCOLS_MMU_GATHER_H_

#include "absl/container/inlined_vector.h"

#include "core/cpu.h"
#include "core/task.h"

namespace ptfuzz {

struct MmuGather {
  uint32_t mm = 0;
  // What the caller unmaps (unmap_single_vma()'s range; the whole address space for exit_mmap()'s
  // fullmm gather): the range the oracle checks when tlb_finish_mmu() returns.
  VirtAddr range_start = 0;
  VirtAddr range_end = 0;
  VirtAddr start = ~VirtAddr{0};  // the range to flush, widened by tlb_remove_tlb_entry()
  VirtAddr end = 0;
  absl::InlinedVector<FrameId, 4> pages;  // references to drop after the flush
  absl::InlinedVector<uint32_t, 4> cleared_at;  // the step each page's entry was cleared at
  // The step at which the walk read the range's leaf entries under their lock (0: it found no
  // leaf table): entries another batch had cleared before then, it found none and skipped.
  uint32_t walked_at = 0;
  // Page-table pages unhooked by pte_free_tlb() (tlb->batch of tlb_remove_table()), freed after
  // the flush and, with CONFIG_MMU_GATHER_RCU_TABLE_FREE, after a grace period.
  absl::InlinedVector<FrameId, 2> tables;

  // tlb_remove_tlb_entry(): CPU-local bookkeeping, no shared access.
  void RemoveTlbEntry(VirtAddr addr) {
    if (addr < start) start = addr;
    if (addr + kPageSize > end) end = addr + kPageSize;
  }
  // __tlb_remove_page(): keep the mapping's reference to `page`, whose entry was cleared at
  // `step`, until after the flush.
  void RemovePage(FrameId page, uint32_t step) {
    pages.push_back(page);
    cleared_at.push_back(step);
  }
};

// tlb_gather_mmu() (mm/mmu_gather.c) for an unmap of [start, end) of the CPU's mm, and
// tlb_gather_mmu_fullmm() (exit_mmap()): inc_tlb_flush_pending(), an unordered atomic_inc()
// that the page-table lock orders before the entries this batch clears (its comment in
// include/linux/mm_types.h).
Task<void> tlb_gather_mmu(Cpu& cpu, MmuGather& tlb, VirtAddr start, VirtAddr end);
Task<void> tlb_gather_mmu_fullmm(Cpu& cpu, MmuGather& tlb);

// pte_free_tlb(tlb, table, addr): the PTE table at `addr` was unhooked from its pmd; flush the
// range (tlb_flush_pmd_range()) and free the table with the batch (tlb_remove_table() on x86 and
// arm64): no shared access. Before "mm/tlb: Remove tlb_remove_table() non-concurrent condition"
// (Peter Zijlstra, 2018; ProtocolVariant::tlb_remove_table_single_user) tlb_remove_table() freed
// the table at once when atomic_read(&mm->mm_users) < 2, before the flush: a CPU holding the mm
// lazily (mm_count, not mm_users) could still walk it through its paging-structure cache (Z15).
Task<void> pte_free_tlb(Cpu& cpu, MmuGather& tlb, FrameId table, VirtAddr addr);

// tlb_finish_mmu(): mm_tlb_flush_nested() (atomic_read(&mm->tlb_flush_pending) > 1) makes the
// batch fullmm, a flush of the whole mm; then tlb_flush_mmu() and dec_tlb_flush_pending().
// tlb_flush_mmu(): flush, then free the batched tables (tlb_table_flush():
// call_rcu() of the batch, CONFIG_MMU_GATHER_RCU_TABLE_FREE as x86 and arm64 select it) and
// pages (the flush and the page frees are reversed under the variant switch
// zap_flush_before_free = false).
Task<void> tlb_finish_mmu(Cpu& cpu, MmuGather& tlb);

// tlb_remove_table_sync_one() (mm/mmu_gather.c, CONFIG_MMU_GATHER_RCU_TABLE_FREE, which x86
// selects with PARAVIRT and arm64 always): smp_call_function(tlb_remove_table_smp_sync, NULL, 1),
// an IPI to every other CPU that flushes nothing and waits until each has taken it. A CPU in an
// interrupts-off section (GUP-fast, __pte_offset_map() on PAE) holds it off, so whoever returns
// from it knows no such walker still uses what it read before. On x86-PAE this is also
// pmdp_get_lockless_sync() (include/linux/pgtable.h).
Task<void> tlb_remove_table_sync_one(Cpu& cpu);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_MMU_GATHER_H_

#include "core/protocols/pt_reclaim.h"

#include <vector>

#include "core/protocols/huge_memory.h"
#include "core/protocols/pgtable.h"
#include "core/protocols/pgtable_lockless.h"
#include "core/protocols/pte_offset_map.h"
#include "core/protocols/zap.h"
#include "core/world.h"

namespace ptfuzz {

Task<void> try_to_free_pte(Cpu& cpu, PhysAddr pmdp, Dep pmdp_dep, VirtAddr pmd_start,
                           MmuGather& tlb) {
  PTFUZZ_KERNEL_FUNC(cpu, "try_to_free_pte", "mm/pt_reclaim.c");
  World& world = *cpu.world;
  co_await cpu.SpinLock(kMmPageTableLock);  // pmd_lock()
  // pte_offset_map_rw_nolock(): __pte_offset_map() under rcu_read_lock(), the table from one
  // lockless read of the pmd.
  cpu.RcuReadLock();
  const Loaded pmdval = co_await pmdp_get_lockless(cpu, pmdp, pmdp_dep);
  const FrameId table = EntryFrame(pmdval);
  if (!EntryPresent(pmdval) || PmdHuge(pmdval) || table >= world.memory().num_frames()) {
    cpu.RcuReadUnlock();
    co_await cpu.SpinUnlock(kMmPageTableLock);
    co_return;
  }
  world.oracles().OnEntryUse(cpu, pmdp, pmdval, Oracles::EntryUse::kTablePointer);
  co_await cpu.SpinLock(table);  // the split PTL, nested in the pmd lock
  bool empty = true;
  for (const uint32_t index : world.PopulatablePteIndices(pmd_start)) {
    if (!EntryNone(co_await pxx_get(cpu, EntryAddr(table, index), PtLevel::kPte, MemOrder::kOnce,
                                    pmdval.dep))) {
      empty = false;
      break;
    }
  }
  cpu.RcuReadUnlock();  // pte_unmap()
  if (empty) co_await pmd_clear(cpu, pmdp);
  co_await cpu.SpinUnlock(table);
  co_await cpu.SpinUnlock(kMmPageTableLock);
  // free_pte(): pte_free_tlb(); mm_dec_nr_ptes().
  if (empty) co_await pte_free_tlb(cpu, tlb, table, pmd_start);
}

Task<void> MadvDontneedRangeActor(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "madvise_dontneed_single_vma", "mm/madvise.c");
  const VirtAddr pmd_start = addr & ~(kPmdSize - 1);
  // lock_vma_under_rcu(): the per-VMA read lock.
  co_await cpu.SpinLock(kVmaLock);
  MmuGather tlb;
  co_await tlb_gather_mmu(cpu, tlb, pmd_start, pmd_start + kPmdSize);
  // unmap_page_range() -> ... -> zap_pmd_range(): plain dereferences of the upper levels.
  const PmdSlot slot = co_await walk_to_pmd(cpu, pmd_start);
  if (slot.pmdp != 0) {
    // zap_pmd_range(): pmd_trans_huge(*pmd), a plain read; the whole range: zap_huge_pmd().
    const Loaded pmd = co_await pxx_get(cpu, slot.pmdp, PtLevel::kPmd, MemOrder::kPlain, slot.dep);
    if (!PmdHuge(pmd) || !co_await zap_huge_pmd(cpu, tlb, slot.pmdp, pmd_start)) {
      // reclaim_pt_is_enabled(): the range is the whole 2 MiB.
      if (co_await zap_pte_range_all(cpu, tlb, slot.pmdp, slot.dep, pmd_start)) {
        co_await try_to_free_pte(cpu, slot.pmdp, slot.dep, pmd_start, tlb);
      }
    }
  }
  co_await tlb_finish_mmu(cpu, tlb);
  co_await cpu.SpinUnlock(kVmaLock);  // vma_end_read()
}

}  // namespace ptfuzz

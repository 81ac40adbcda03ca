#include "core/protocols/huge_memory.h"

#include "core/protocols/pgtable.h"
#include "core/world.h"

namespace ptfuzz {

Task<bool> zap_huge_pmd(Cpu& cpu, MmuGather& tlb, PhysAddr pmdp, VirtAddr haddr) {
  PTFUZZ_KERNEL_FUNC(cpu, "zap_huge_pmd", "mm/huge_memory.c");
  World& world = *cpu.world;
  // __pmd_trans_huge_lock(): the pmd lock, then pmd_trans_huge(*pmd) (a plain read under it).
  co_await cpu.SpinLock(kMmPageTableLock);
  if (!PmdHuge(co_await pxx_get(cpu, pmdp, PtLevel::kPmd, MemOrder::kPlain, kNoDep))) {
    co_await cpu.SpinUnlock(kMmPageTableLock);
    co_return false;
  }
  const uint64_t orig = co_await pmdp_huge_get_and_clear(cpu, pmdp);
  const uint32_t cleared = world.step();
  tlb.walked_at = cleared;
  tlb.RemoveTlbEntry(haddr);  // tlb_remove_pmd_tlb_entry(): the whole 2 MiB
  tlb.RemoveTlbEntry(haddr + kPmdSize - kPageSize);
  const FrameId folio = EntryFrame(orig);
  // folio_remove_rmap_pmd(): the entire mapcount.
  co_await cpu.RmwLoc(MapcountLoc(folio), RmwOp::kAdd, ~uint64_t{0}, 0, MemOrder::kFull);
  // zap_deposited_table(): withdraw the table the collapse (or the fault) deposited and
  // pte_free() it: pagetable_free(), a put that frees it at once.
  const FrameId table = world.WithdrawTable(pmdp);
  if (table != kNoFrame) co_await cpu.RefPut(table, 1);
  co_await cpu.SpinUnlock(kMmPageTableLock);
  // tlb_remove_page_size(): the folio's mapping reference, dropped after the flush.
  tlb.RemovePage(folio, cleared);
  co_return true;
}

}  // namespace ptfuzz

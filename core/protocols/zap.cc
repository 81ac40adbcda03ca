#include "core/protocols/zap.h"

#include "core/protocols/mmu_gather.h"
#include "core/protocols/pgtable.h"
#include "core/protocols/pte_offset_map.h"
#include "core/world.h"

namespace ptfuzz {

namespace {

Task<void> zap_pte_range(Cpu& cpu, MmuGather& tlb, PhysAddr pmdp, Dep pmdp_dep, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "zap_pte_range", "mm/memory.c");
  const MappedPte mapped = co_await pte_offset_map_lock(cpu, pmdp, pmdp_dep, addr);
  if (mapped.table == kNoFrame) co_return;  // no PTE table: nothing to zap
  const PhysAddr ptep = EntryAddr(mapped.table, TableIndex(addr, PtLevel::kPte));
  // ptep_get_and_clear_full(): an atomic exchange with 0, ordered as the arch's xchg is.
  const uint64_t ptent = co_await ptep_get_and_clear(cpu, ptep);
  tlb.walked_at = cpu.world->step();
  if (EntryPresent(ptent)) {
    tlb.RemoveTlbEntry(addr);
    tlb.RemovePage(EntryFrame(ptent), tlb.walked_at);
  }
  co_await pte_unmap_unlock(cpu, mapped.table);  // pte_unmap_unlock(): a release
}

}  // namespace

Task<void> zap_ptes_locked(Cpu& cpu, MmuGather& tlb, FrameId table, Dep dep, VirtAddr pmd_start) {
  for (const uint32_t index : cpu.world->PopulatablePteIndices(pmd_start)) {
    const PhysAddr ptep = EntryAddr(table, index);
    // ptep_get(): READ_ONCE under the PTL; none entries are skipped.
    if (EntryNone(co_await pxx_get(cpu, ptep, PtLevel::kPte, MemOrder::kOnce, dep))) continue;
    // ptep_get_and_clear_full(), tlb_remove_tlb_entry(), __tlb_remove_page().
    const uint64_t ptent = co_await ptep_get_and_clear(cpu, ptep);
    if (EntryPresent(ptent)) {
      tlb.RemoveTlbEntry(pmd_start + (VirtAddr{index} << kPageShift));
      tlb.RemovePage(EntryFrame(ptent), cpu.world->step());
    }
  }
  tlb.walked_at = cpu.world->step();
}

// zap_pte_range() over the whole table under its PTL (mm/memory.c): every present PTE cleared
// and its page queued. Returns whether the table can be reclaimed (the zap covered all of it).
Task<bool> zap_pte_range_all(Cpu& cpu, MmuGather& tlb, PhysAddr pmdp, Dep pmdp_dep,
                             VirtAddr pmd_start) {
  PTFUZZ_KERNEL_FUNC(cpu, "zap_pte_range", "mm/memory.c");
  const MappedPte mapped = co_await pte_offset_map_lock(cpu, pmdp, pmdp_dep, pmd_start);
  if (mapped.table == kNoFrame) co_return false;  // none (or huge): nothing to zap or reclaim
  co_await zap_ptes_locked(cpu, tlb, mapped.table, mapped.dep, pmd_start);
  co_await pte_unmap_unlock(cpu, mapped.table);
  co_return true;
}

Task<void> ZapActor(Cpu& cpu, VirtAddr addr) { co_await zap_page_range_single(cpu, addr); }

Task<void> zap_page_range_single(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "zap_page_range_single", "mm/memory.c");
  MmuGather tlb;
  co_await tlb_gather_mmu(cpu, tlb, addr, addr + kPageSize);
  // unmap_page_range() -> zap_p4d_range() -> zap_pud_range() -> zap_pmd_range(): each level is a
  // plain dereference (pgd_none_or_clear_bad(pgd) and friends: the tables cannot go away under
  // the mmap lock); p4d is folded into the pgd.
  const Loaded pgd =
      co_await cpu.Load(EntryAddr(cpu.world->pgd_of(cpu.mm), TableIndex(addr, PtLevel::kPgd)),
                        PtLevel::kPgd, MemOrder::kPlain);
  if (EntryPresent(pgd)) {
    const Loaded pud =
        co_await cpu.Load(EntryAddr(EntryFrame(pgd), TableIndex(addr, PtLevel::kPud)),
                          PtLevel::kPud, MemOrder::kPlain, pgd.dep);
    if (EntryPresent(pud)) {
      const PhysAddr pmdp = EntryAddr(EntryFrame(pud), TableIndex(addr, PtLevel::kPmd));
      co_await zap_pte_range(cpu, tlb, pmdp, pud.dep, addr);
    }
  }
  co_await tlb_finish_mmu(cpu, tlb);
}

}  // namespace ptfuzz

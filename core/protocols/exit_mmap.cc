#include "core/protocols/exit_mmap.h"

#include "core/protocols/mmu_gather.h"
#include "core/protocols/pgtable.h"
#include "core/protocols/pte_offset_map.h"
#include "core/protocols/zap.h"
#include "core/world.h"

namespace ptfuzz {

namespace {

Task<void> zap_pte_range(Cpu& cpu, MmuGather& tlb, PhysAddr pmdp, Dep pmdp_dep,
                         VirtAddr pmd_start) {
  PTFUZZ_KERNEL_FUNC(cpu, "zap_pte_range", "mm/memory.c");
  World& world = *cpu.world;
  if (!world.variant().exit_zap_rereads_pmd) {
    const MappedPte mapped = co_await pte_offset_map_lock(cpu, pmdp, pmdp_dep, pmd_start);
    if (mapped.table == kNoFrame) co_return;
    co_await zap_ptes_locked(cpu, tlb, mapped.table, mapped.dep, pmd_start);
    co_await pte_unmap_unlock(cpu, mapped.table);
    co_return;
  }
  // Before 2023: zap_pmd_range()'s pmd_none_or_trans_huge_or_clear_bad(pmd) reads *pmd ...
  const Loaded checked = co_await pxx_get(cpu, pmdp, PtLevel::kPmd, MemOrder::kPlain, pmdp_dep);
  if (!EntryPresent(checked) || PmdHuge(checked)) co_return;
  // ... and zap_pte_range()'s pte_offset_map_lock() dereferences pmd again for the PTE pointer
  // and its lock: pte_offset_map(pmd, addr) and pte_lockptr(mm, pmd). A pmd cleared in between
  // reads as 0, whose pfn is 0.
  const Loaded again = co_await pxx_get(cpu, pmdp, PtLevel::kPmd, MemOrder::kPlain, pmdp_dep);
  const FrameId table = EntryFrame(again);
  co_await cpu.SpinLock(table);
  co_await zap_ptes_locked(cpu, tlb, table, again.dep, pmd_start);
  co_await cpu.SpinUnlock(table);
}

Task<void> khugepaged_exit(Cpu& cpu) {
  // __khugepaged_exit(): the mm is on khugepaged's list, so take and drop the mmap lock for
  // writing: khugepaged, which works on it under that lock, is out of it afterwards (and,
  // testing mm_users, stays out).
  PTFUZZ_KERNEL_FUNC(cpu, "__khugepaged_exit", "mm/khugepaged.c");
  co_await cpu.SpinLock(kMmapLock);
  co_await cpu.SpinUnlock(kMmapLock);
}

Task<void> exit_mmap(Cpu& cpu, VirtAddr pmd_start) {
  PTFUZZ_KERNEL_FUNC(cpu, "exit_mmap", "mm/mmap.c");
  World& world = *cpu.world;
  const bool locked = !world.variant().exit_zap_rereads_pmd;
  if (locked) co_await cpu.SpinLock(kMmapLock);  // mmap_read_lock() (2022+)
  MmuGather tlb;
  co_await tlb_gather_mmu_fullmm(cpu, tlb);
  const PmdSlot slot = co_await walk_to_pmd(cpu, pmd_start);
  if (slot.pmdp != 0) co_await zap_pte_range(cpu, tlb, slot.pmdp, slot.dep, pmd_start);
  co_await tlb_finish_mmu(cpu, tlb);
  if (locked) co_await cpu.SpinUnlock(kMmapLock);
}

}  // namespace

Task<void> ExitMmapActor(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "mmput", "kernel/fork.c");
  // atomic_dec_and_test(&mm->mm_users): value-returning, fully ordered.
  const uint64_t users = co_await cpu.RmwLoc(MmUsersLoc(), RmwOp::kAdd, ~uint64_t{0}, 0,
                                             MemOrder::kFull);
  if (users != 1) co_return;  // not the last user
  co_await khugepaged_exit(cpu);
  co_await exit_mmap(cpu, addr & ~(kPmdSize - 1));
}

}  // namespace ptfuzz

#include "core/protocols/pte_offset_map.h"

#include "core/check.h"
#include "core/protocols/pgtable.h"
#include "core/protocols/pgtable_lockless.h"
#include "core/world.h"

namespace ptfuzz {

namespace {

Task<Loaded> pte_offset_map_read_pmd_split(Cpu& cpu, PhysAddr pmdp, Dep pmdp_dep) {
  World& world = *cpu.world;
  PTFUZZ_KERNEL_FUNC(cpu, "__pte_offset_map", "mm/pgtable-generic.c");
  const bool irq_off = world.variant().pae_pte_offset_map_irq_off;
  PTFUZZ_CHECK(!cpu.irqs_disabled);
  if (irq_off) co_await cpu.IrqDisable();  // pmdp_get_lockless_start(): local_irq_save()
  const Loaded pmdval = co_await pmd_read_for_walk(cpu, pmdp, pmdp_dep);
  if (irq_off) co_await cpu.IrqEnable();  // pmdp_get_lockless_end(): local_irq_restore()
  co_return pmdval;
}

}  // namespace

OpOrTask<LoadAwaiter, Loaded> pte_offset_map_read_pmd(Cpu& cpu, PhysAddr pmdp, Dep pmdp_dep) {
  if (!cpu.world->SplitEntries(PtLevel::kPmd)) return pmdp_get_lockless(cpu, pmdp, pmdp_dep);
  return pte_offset_map_read_pmd_split(cpu, pmdp, pmdp_dep);
}

Task<MappedPte> pte_offset_map_lock(Cpu& cpu, PhysAddr pmdp, Dep pmdp_dep, VirtAddr /*addr*/) {
  PTFUZZ_KERNEL_FUNC(cpu, "pte_offset_map_lock", "mm/pgtable-generic.c");
  for (;;) {
    // __pte_offset_map(): rcu_read_lock(), then one lockless read; bail when there is no PTE
    // table.
    cpu.RcuReadLock();
    const Loaded pmdval = co_await pte_offset_map_read_pmd(cpu, pmdp, pmdp_dep);
    // pmd_none(), or pmd_trans_huge(): no PTE table to map.
    if (!EntryPresent(pmdval) || PmdHuge(pmdval)) {
      cpu.RcuReadUnlock();
      co_return MappedPte{};
    }
    // The table pointer comes from this value (__pte_map(&pmdval, addr)): it must be real.
    cpu.world->oracles().OnEntryUse(cpu, pmdp, pmdval, Oracles::EntryUse::kTablePointer);
    const FrameId table = EntryFrame(pmdval);
    // pmd_bad(): flags other than a table's (_KERNPG_TABLE, user bit aside): pmd_clear_bad()
    // prints pmd_ERROR() and clears the entry, and the walk maps nothing. The kernel detected a
    // corrupted page table: a violation here.
    if ((pmdval.value & ~kPtePfnMask & ~kPteUser) != (kTableEntryFlags & ~kPteUser)) {
      cpu.world->oracles().OnBadTableEntry(cpu, pmdp, pmdval.value, "pmd_bad()");
      cpu.RcuReadUnlock();
      co_return MappedPte{};
    }
    // Flags of a table but a pfn with no memory: the kernel has no check (pfn_valid() is not
    // asked) and would map and lock whatever is there.
    if (table >= cpu.world->memory().num_frames()) {
      cpu.world->oracles().OnBadTableEntry(cpu, pmdp, pmdval.value, "no memory at its pfn");
      cpu.RcuReadUnlock();
      co_return MappedPte{};
    }
    co_await cpu.SpinLock(table);  // spin_lock(pte_lockptr(mm, &pmdval)): an acquire
    // pmd_same(pmdval, pmdp_get_lockless(pmd)): READ_ONCE, after the lock's acquire.
    if (pmdval.value == co_await pmdp_get_lockless(cpu, pmdp, pmdp_dep)) {
      co_return MappedPte{table, pmdval.value, pmdval.dep};
    }
    co_await pte_unmap_unlock(cpu, table);
  }
}

OpAwaiter pte_unmap_unlock(Cpu& cpu, FrameId table) {
  // rcu_read_unlock() comes before the unlock step here; the CPU holds the PTL until that step,
  // so it stays a reader until then, as in the kernel's order.
  cpu.RcuReadUnlock();
  return cpu.SpinUnlock(table);
}

Task<LockedPte> pte_offset_map_lock_get(Cpu& cpu, PhysAddr pmdp, Dep pmdp_dep, VirtAddr addr) {
  const MappedPte mapped = co_await pte_offset_map_lock(cpu, pmdp, pmdp_dep, addr);
  if (mapped.table == kNoFrame) co_return LockedPte{};
  const PhysAddr ptep = EntryAddr(mapped.table, TableIndex(addr, PtLevel::kPte));
  const Loaded pte = co_await pxx_get(cpu, ptep, PtLevel::kPte, MemOrder::kOnce, mapped.dep);
  co_return LockedPte{mapped.table, ptep, pte};
}

}  // namespace ptfuzz

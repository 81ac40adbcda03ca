#include "core/protocols/pte_offset_map.h"

#include "core/protocols/pgtable_lockless.h"
#include "core/world.h"

namespace ptfuzz {

Task<MappedPte> pte_offset_map_lock(Cpu& cpu, PhysAddr pmdp, Dep pmdp_dep, VirtAddr /*addr*/) {
  PTFUZZ_KERNEL_FUNC(cpu, "pte_offset_map_lock", "mm/pgtable-generic.c");
  for (;;) {
    // __pte_offset_map(): one lockless read; bail when there is no PTE table.
    const Loaded pmdval = co_await pmdp_get_lockless(cpu, pmdp, pmdp_dep);
    if (!EntryPresent(pmdval)) co_return MappedPte{};
    const FrameId table = EntryFrame(pmdval);
    // pmd_bad(): a value that names no frame of this machine is not followed.
    if (table >= cpu.world->memory().num_frames()) co_return MappedPte{};
    co_await cpu.SpinLock(table);  // spin_lock(pte_lockptr(mm, &pmdval)): an acquire
    // pmd_same(pmdval, pmdp_get_lockless(pmd)): READ_ONCE, after the lock's acquire.
    if (pmdval.value == co_await pmdp_get_lockless(cpu, pmdp, pmdp_dep)) {
      co_return MappedPte{table, pmdval.value, pmdval.dep};
    }
    co_await cpu.SpinUnlock(table);
  }
}

}  // namespace ptfuzz

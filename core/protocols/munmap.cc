#include "core/protocols/munmap.h"

#include "core/protocols/mmu_gather.h"
#include "core/protocols/pgtable.h"
#include "core/protocols/zap.h"
#include "core/world.h"

namespace ptfuzz {

namespace {

// free_pte_range() (mm/memory.c): the PTE table leaves the pmd and goes to the mmu_gather.
Task<void> free_pte_range(Cpu& cpu, MmuGather& tlb, PhysAddr pmdp, Dep dep, VirtAddr pmd_start) {
  PTFUZZ_KERNEL_FUNC(cpu, "free_pte_range", "mm/memory.c");
  // pmd_pgtable(*pmd): a plain read; under the mmap write lock nothing else changes the pmd.
  const Loaded pmd = co_await pxx_get(cpu, pmdp, PtLevel::kPmd, MemOrder::kPlain, dep);
  if (!EntryPresent(pmd) || PmdHuge(pmd)) co_return;
  co_await pmd_clear(cpu, pmdp);
  co_await pte_free_tlb(cpu, tlb, EntryFrame(pmd), pmd_start);
}

}  // namespace

Task<void> MunmapRangeActor(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "unmap_region", "mm/mmap.c");
  const VirtAddr pmd_start = addr & ~(kPmdSize - 1);
  co_await cpu.SpinLock(kMmapLock);  // mmap_write_lock()
  MmuGather tlb;
  co_await tlb_gather_mmu(cpu, tlb, pmd_start, pmd_start + kPmdSize);
  const PmdSlot slot = co_await walk_to_pmd(cpu, pmd_start);
  if (slot.pmdp != 0) {
    // unmap_vmas() -> zap_pte_range() of the whole table.
    co_await zap_pte_range_all(cpu, tlb, slot.pmdp, slot.dep, pmd_start);
    // free_pgtables() -> ... -> free_pte_range().
    co_await free_pte_range(cpu, tlb, slot.pmdp, slot.dep, pmd_start);
  }
  co_await tlb_finish_mmu(cpu, tlb);
  co_await cpu.SpinUnlock(kMmapLock);
}

}  // namespace ptfuzz

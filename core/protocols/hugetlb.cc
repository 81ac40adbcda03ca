#include "core/protocols/hugetlb.h"

#include "core/protocols/folio_ref.h"
#include "core/protocols/mmu_gather.h"
#include "core/protocols/pgtable.h"
#include "core/protocols/tlb_flush.h"
#include "core/world.h"

namespace ptfuzz {

namespace {

// huge_pmd_unshare(): with the table's lock held. Returns true when this mm only dropped its
// share (the entries stay, the other sharer keeps them).
Task<bool> huge_pmd_unshare(Cpu& cpu, PhysAddr pudp, FrameId table) {
  PTFUZZ_KERNEL_FUNC(cpu, "huge_pmd_unshare", "mm/hugetlb.c");
  // page_count(virt_to_page(ptep)) (ptdesc_pmd_pts_count() since v6.13): the sharers.
  const Loaded sharers = co_await cpu.LoadLoc(RefcountLoc(table), MemOrder::kOnce);
  if (sharers.value <= 1) co_return false;
  co_await cpu.Store(pudp, 0, PtLevel::kPud, MemOrder::kOnce);  // pud_clear()
  cpu.world->oracles().OnTableUnshared(cpu, table);
  co_await cpu.RefPut(table, 1);  // put_page(virt_to_page(ptep)): one sharer fewer
  // 1013af4f585f: a GUP-fast of this mm may have read the pud before the clear and still walk the
  // table the other sharer now owns; an IPI to every CPU waits until it has left its
  // interrupts-off section.
  if (cpu.world->variant().hugetlb_unshare_sync) co_await tlb_remove_table_sync_one(cpu);
  co_return true;
}

// __unmap_hugepage_range() of the PMD-sized page at `addr` (see the header).
Task<void> unmap_hugepage_range(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "__unmap_hugepage_range", "mm/hugetlb.c");
  co_await cpu.SpinLock(kIMmapLock);  // i_mmap_lock_write(vma->vm_file->f_mapping)
  const PudSlot slot = co_await walk_to_pud(cpu, addr);
  if (!EntryPresent(slot.pud)) {
    co_await cpu.SpinUnlock(kIMmapLock);
    co_return;
  }
  const FrameId table = EntryFrame(slot.pud);
  const PhysAddr pmdp = EntryAddr(table, TableIndex(addr, PtLevel::kPmd));
  co_await cpu.SpinLock(table);  // huge_pte_lock(): the PMD table's split lock
  FrameId page = kNoFrame;
  if (!co_await huge_pmd_unshare(cpu, slot.pudp, table)) {
    // The only user: huge_ptep_get_and_clear() of the entry; the page is put after the flush.
    const uint64_t old = co_await pmdp_huge_get_and_clear(cpu, pmdp);
    if (PmdHuge(old)) page = EntryFrame(old);
  }
  co_await cpu.SpinUnlock(table);
  // a4a118f2eead (2021): flush this mm's TLBs before the i_mmap lock is dropped.
  co_await flush_tlb_mm_range(cpu, addr, addr + kPmdSize);
  co_await cpu.SpinUnlock(kIMmapLock);
  // tlb_finish_mmu(): the mapping's reference.
  if (page != kNoFrame) co_await folio_put(cpu, page);
}

// hugetlb_fault() -> hugetlb_no_page() of an anonymous private hugetlb VMA at `addr`:
// huge_pte_alloc() (a new PMD table when the pud is none), a new page, set_huge_pte_at() under
// the table's lock.
Task<void> hugetlb_fault(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "hugetlb_fault", "mm/hugetlb.c");
  const PudSlot slot = co_await walk_to_pud(cpu, addr);
  if (slot.pudp == 0) co_return;
  FrameId table = EntryFrame(slot.pud);
  if (!EntryPresent(slot.pud)) {
    // huge_pte_alloc() -> pmd_alloc(): nothing to share (anonymous memory).
    table = static_cast<FrameId>(co_await cpu.AllocPage(static_cast<int>(PtLevel::kPmd)));
    if (table == kNoFrame) co_return;
    co_await cpu.Fence(FenceKind::kWmb);  // the zeroed table before the pud that publishes it
    co_await cpu.SpinLock(kMmPageTableLock);
    co_await cpu.Store(slot.pudp, MakeEntry(table, kTableEntryFlags), PtLevel::kPud,
                       MemOrder::kOnce);  // pud_populate()
    co_await cpu.SpinUnlock(kMmPageTableLock);
  }
  const FrameId folio = static_cast<FrameId>(co_await cpu.AllocPage(-1));
  if (folio == kNoFrame) co_return;
  co_await cpu.StoreLoc(FolioMappingLoc(folio), kPageMappingAnon, MemOrder::kPlain);
  co_await cpu.Fence(FenceKind::kWmb);  // __folio_mark_uptodate(): contents before the entry
  co_await cpu.SpinLock(table);
  co_await set_pmd(cpu, EntryAddr(table, TableIndex(addr, PtLevel::kPmd)),
                   MakeEntry(folio, kAnonHugePmdFlags));
  co_await cpu.SpinUnlock(table);
}

}  // namespace

Task<void> HugetlbUnshareActor(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "munmap", "mm/mmap.c");
  co_await unmap_hugepage_range(cpu, addr);
}

Task<void> HugetlbRemapActor(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "mmap_region", "mm/mmap.c");
  co_await unmap_hugepage_range(cpu, addr);
  co_await hugetlb_fault(cpu, addr);
}

}  // namespace ptfuzz

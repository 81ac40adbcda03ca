#include "core/protocols/khugepaged.h"

#include <vector>

#include "core/protocols/folio_ref.h"
#include "core/protocols/mmu_gather.h"
#include "core/protocols/pgtable.h"
#include "core/protocols/pgtable_lockless.h"
#include "core/protocols/tlb_flush.h"
#include "core/world.h"

namespace ptfuzz {

namespace {

struct IsolatedPte {
  PhysAddr ptep;
  FrameId folio;
};

// __collapse_huge_page_isolate() over the candidate PTEs of `table`, under its PTL. Fills
// `isolated` with the pages it took (each with an isolation reference) and returns whether all
// passed.
Task<bool> collapse_huge_page_isolate(Cpu& cpu, FrameId table, const std::vector<uint32_t>& indices,
                                      std::vector<IsolatedPte>& isolated) {
  PTFUZZ_KERNEL_FUNC(cpu, "__collapse_huge_page_isolate", "mm/khugepaged.c");
  World& world = *cpu.world;
  for (const uint32_t index : indices) {
    const PhysAddr ptep = EntryAddr(table, index);
    // ptep_get(): READ_ONCE under the PTL.
    const uint64_t pte = co_await pxx_get(cpu, ptep, PtLevel::kPte, MemOrder::kOnce, kNoDep);
    // pte_none(): counted against max_ptes_none (511 by default), so never a failure here.
    if (EntryNone(pte)) continue;
    if (!EntryPresent(pte)) co_return false;  // SCAN_PTE_NON_PRESENT
    const FrameId folio = EntryFrame(pte);
    if (folio >= world.memory().num_frames()) co_return false;  // vm_normal_page(): none
    // is_refcount_suitable(): no GUP reference or other external pin, i.e. the refcount is
    // exactly the mapcount. Plain atomic_read()s: the ordering comes from the
    // full barrier of the PMD clear and the flush before them, which pairs with GUP-fast's
    // try-get and PMD recheck (kernel-mm.md section 1).
    const uint64_t ref = co_await cpu.LoadLoc(RefcountLoc(folio), MemOrder::kOnce);
    const uint64_t map = co_await cpu.LoadLoc(MapcountLoc(folio), MemOrder::kOnce);
    if (ref != map) co_return false;  // SCAN_PAGE_COUNT
    // folio_isolate_lru(): the folio leaves the LRU with a reference of khugepaged's own.
    co_await cpu.RefAdd(folio, 1);
    isolated.push_back({ptep, folio});
  }
  co_return true;
}

// __collapse_huge_page_copy_succeeded(): the old pages are unmapped and freed. The copy of their
// contents into the huge folio is not modelled.
Task<void> collapse_huge_page_copy_succeeded(Cpu& cpu, FrameId table,
                                             const std::vector<IsolatedPte>& isolated) {
  PTFUZZ_KERNEL_FUNC(cpu, "__collapse_huge_page_copy_succeeded", "mm/khugepaged.c");
  for (const IsolatedPte& p : isolated) {
    // release_pte_folio() -> folio_putback_lru(): the isolation reference goes.
    co_await folio_put(cpu, p.folio);
    // Under the PTL (taken mostly for the rmap statistics): ptep_clear(), folio_remove_rmap_pte().
    co_await cpu.SpinLock(table);
    co_await ptep_get_and_clear(cpu, p.ptep);
    co_await cpu.RmwLoc(MapcountLoc(p.folio), RmwOp::kAdd, ~uint64_t{0}, 0, MemOrder::kFull);
    co_await cpu.SpinUnlock(table);
    // free_page_and_swap_cache(): the mapping's reference; frees the page unless someone (a
    // GUP-fast that got in after the isolate check) still holds it.
    co_await folio_put(cpu, p.folio);
  }
}

Task<void> collapse_huge_page(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "collapse_huge_page", "mm/khugepaged.c");
  World& world = *cpu.world;
  const VirtAddr haddr = addr & ~(kPmdSize - 1);
  // alloc_charge_folio(): the huge folio, before any lock is taken.
  const FrameId folio = static_cast<FrameId>(co_await cpu.AllocPage(-1));
  if (folio == kNoFrame) co_return;  // SCAN_ALLOC_HUGE_PAGE_FAIL
  // mmap_write_lock() (not taken here: no actor that runs beside a collapse takes the mmap lock;
  // the exit path's does, beside the retract), then vma_start_write():
  // the VMA write lock waits for, and from then on excludes, page faults and madvise() under the
  // per-VMA read lock. Since the Z10 fix it comes before check_pmd_still_valid(); before, a
  // MADV_DONTNEED with PT_RECLAIM could empty and free the table between the check and the lock.
  const bool lock_first = world.variant().collapse_vma_lock_first;
  if (lock_first) co_await cpu.SpinLock(kVmaLock);
  // check_pmd_still_valid() -> find_pmd_or_thp_or_none() -> mm_find_pmd(): plain dereferences
  // of the upper levels (the tables stay under the mmap lock), pmdp_get_lockless() of the pmd.
  const PmdSlot slot = co_await walk_to_pmd(cpu, haddr);
  Loaded pmd;
  if (slot.pmdp != 0) pmd = co_await pmdp_get_lockless(cpu, slot.pmdp, slot.dep);
  const PhysAddr pmdp = slot.pmdp;
  if (!EntryPresent(pmd) || PmdHuge(pmd)) {
    if (lock_first) co_await cpu.SpinUnlock(kVmaLock);
    co_await folio_put(cpu, folio);
    co_return;  // SCAN_PMD_NULL / SCAN_PMD_MAPPED
  }
  if (!lock_first) co_await cpu.SpinLock(kVmaLock);
  // pmd_lock(): mm->page_table_lock (no split PMD locks modelled).
  co_await cpu.SpinLock(kMmPageTableLock);
  // The kernel's comment: this also drops the small TLB entries so none coexists with the huge
  // one to come, and a concurrent GUP-fast is fine because it notices the PMD changed (the Z01
  // recheck) and backs off.
  const uint64_t old_pmd = co_await pmdp_collapse_flush(cpu, pmdp, haddr);
  co_await cpu.SpinUnlock(kMmPageTableLock);
  // Waits out every GUP-fast walker (interrupts off) that read the old pmd; on x86-PAE also what
  // pmdp_get_lockless_sync() is for: no lockless reader is still assembling the old pmd's halves.
  if (world.variant().collapse_sync_one) co_await tlb_remove_table_sync_one(cpu);
  // pte_offset_map_lock(mm, &_pmd, address, &pte_ptl): __pte_offset_map() of the local copy (no
  // shared load): NULL when _pmd is none (SCAN_PMD_NULL), else the table, then its lock.
  // pmd_pgtable(_pmd) is the page _pmd names even when it is none: pfn 0's.
  const FrameId table = EntryFrame(old_pmd);
  std::vector<IsolatedPte> isolated;
  bool ok = false;
  if (EntryPresent(old_pmd) && !PmdHuge(old_pmd) && table < world.memory().num_frames()) {
    co_await cpu.SpinLock(table);
    ok = co_await collapse_huge_page_isolate(cpu, table, world.PopulatablePteIndices(haddr),
                                             isolated);
    co_await cpu.SpinUnlock(table);
  }
  if (!ok) {
    // Restore the old table: pmd_populate(mm, pmd, pmd_pgtable(_pmd)), as the kernel requires for
    // a PMD that points to a PTE table (set_pmd_at() is for huge PMDs only). It does not look at
    // whether _pmd was none (Z10).
    co_await cpu.SpinLock(kMmPageTableLock);
    co_await pmd_populate(cpu, pmdp, table);
    co_await cpu.SpinUnlock(kMmPageTableLock);
    // release_pte_pages(): the pages isolated so far go back to the LRU.
    for (const IsolatedPte& p : isolated) co_await folio_put(cpu, p.folio);
    co_await cpu.SpinUnlock(kVmaLock);  // mmap_write_unlock(): vma_end_write_all()
    co_await folio_put(cpu, folio);     // out: the unused huge folio
    co_return;
  }
  co_await collapse_huge_page_copy_succeeded(cpu, table, isolated);
  // __folio_mark_uptodate(): smp_wmb(), so the copied contents are visible before the PMD.
  co_await cpu.Fence(FenceKind::kWmb);
  co_await cpu.SpinLock(kMmPageTableLock);
  // folio_add_new_anon_rmap(): the new folio's mapcount is set (atomic_set on a folio nobody
  // else can see yet); its allocation reference becomes the mapping's.
  co_await cpu.RmwLoc(MapcountLoc(folio), RmwOp::kAdd, 1, 0, MemOrder::kRelaxed);
  // pgtable_trans_huge_deposit(): the old, now empty, PTE table is kept for a later split.
  world.DepositTable(pmdp, table);
  co_await set_pmd_at(cpu, pmdp, MakeEntry(folio, kAnonHugePmdFlags));
  co_await cpu.SpinUnlock(kMmPageTableLock);
  co_await cpu.SpinUnlock(kVmaLock);  // mmap_write_unlock(): vma_end_write_all()
}

}  // namespace

Task<uint64_t> pmdp_collapse_flush(Cpu& cpu, PhysAddr pmdp, VirtAddr haddr) {
  PTFUZZ_KERNEL_FUNC(cpu, "pmdp_collapse_flush", "mm/pgtable-generic.c");
  const uint64_t pmd = co_await pmdp_huge_get_and_clear(cpu, pmdp);
  // A collapse replaces PTE mappings, so the flush is of the PTE-level entries of the range
  // (flush_tlb_range(), not flush_pmd_tlb_range()).
  co_await flush_tlb_mm_range(cpu, haddr, haddr + kPmdSize);
  co_return pmd;
}

Task<void> CollapseHugePageActor(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "khugepaged_scan_mm_slot", "mm/khugepaged.c");
  co_await collapse_huge_page(cpu, addr);
}

Task<void> RetractPageTablesActor(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "retract_page_tables", "mm/khugepaged.c");
  World& world = *cpu.world;
  const ProtocolVariant& variant = world.variant();
  const VirtAddr haddr = addr & ~(kPmdSize - 1);
  // "if (READ_ONCE(vma->anon_vma)) continue;": a file VMA with anonymous (COW) pages in it keeps
  // its table. Here: any anonymous page the setup mapped in the range.
  for (const VirtAddr v : world.mapped_vaddrs()) {
    if (v >= haddr && v < haddr + kPmdSize) co_return;
  }
  const bool lockless = variant.retract_form == RetractForm::kLockless;
  if (!lockless) {
    // mmap_write_trylock(): an acquire cmpxchg of the lock word; a held lock skips this mm.
    const uint64_t was = co_await cpu.RmwLoc(LockLoc(kMmapLock), RmwOp::kCmpxchg, 0, cpu.id + 1,
                                             MemOrder::kAcquire);
    if (was != 0) co_return;
    if (variant.retract_form == RetractForm::kTrylockTestExit) {
      // khugepaged_test_exit(): atomic_read(&mm->mm_users) == 0, under the mmap lock.
      if (co_await cpu.LoadLoc(MmUsersLoc(), MemOrder::kOnce) == 0) {
        co_await cpu.SpinUnlock(kMmapLock);
        co_return;
      }
    }
  }
  // find_pmd_or_thp_or_none(): plain dereferences of the upper levels, pmdp_get_lockless().
  const PmdSlot slot = co_await walk_to_pmd(cpu, haddr);
  const PhysAddr pmdp = slot.pmdp;
  Loaded pmd;
  if (pmdp != 0) pmd = co_await pmdp_get_lockless(cpu, pmdp, slot.dep);
  if (!EntryPresent(pmd) || PmdHuge(pmd) || EntryFrame(pmd) >= world.memory().num_frames()) {
    if (!lockless) co_await cpu.SpinUnlock(kMmapLock);
    co_return;  // SCAN_PMD_NULL / SCAN_PMD_MAPPED
  }
  co_await cpu.SpinLock(kMmPageTableLock);  // pmd_lock()
  FrameId ptl = kNoFrame;
  if (lockless) {
    // pte_lockptr(mm, pmd): the split PTL of the table *pmd names, read under the pmd lock.
    const Loaded now = co_await pmdp_get_lockless(cpu, pmdp, slot.dep);
    if (!EntryPresent(now) || PmdHuge(now) || EntryFrame(now) >= world.memory().num_frames()) {
      co_await cpu.SpinUnlock(kMmPageTableLock);
      co_return;
    }
    ptl = EntryFrame(now);
    co_await cpu.SpinLock(ptl);
  }
  const uint64_t pgt_pmd = co_await pmdp_collapse_flush(cpu, pmdp, haddr);
  if (lockless) {
    // pmdp_get_lockless_sync(): on x86-PAE, tlb_remove_table_sync_one(); a no-op elsewhere.
    if (world.SplitEntries(PtLevel::kPmd)) co_await tlb_remove_table_sync_one(cpu);
    co_await cpu.SpinUnlock(ptl);
  }
  co_await cpu.SpinUnlock(kMmPageTableLock);
  const FrameId table = EntryFrame(pgt_pmd);
  if (!EntryPresent(pgt_pmd) || table >= world.memory().num_frames()) {
    if (!lockless) co_await cpu.SpinUnlock(kMmapLock);
    co_return;
  }
  if (lockless) {
    // pte_free_defer(): the table is freed by an RCU callback, after every walker that may
    // have read the old pmd (rcu_read_lock() in __pte_offset_map(), GUP-fast's interrupts off).
    co_await cpu.CallRcuFreeTable(table);
    co_return;
  }
  // collapse_and_free_pmd() since 2ba99c5e0881 (Nov 2022): wait out GUP-fast walkers first.
  if (variant.collapse_sync_one && variant.retract_form == RetractForm::kTrylockTestExit) {
    co_await tlb_remove_table_sync_one(cpu);
  }
  // pte_free(): pagetable_free(), a put that frees the table at once.
  co_await cpu.RefPut(table, 1);
  co_await cpu.SpinUnlock(kMmapLock);  // mmap_write_unlock()
}

}  // namespace ptfuzz

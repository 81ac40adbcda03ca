#include "core/protocols/anon_fault.h"

#include "core/protocols/folio_ref.h"
#include "core/protocols/pgtable.h"
#include "core/protocols/pgtable_lockless.h"
#include "core/protocols/pte_offset_map.h"
#include "core/world.h"

namespace ptfuzz {

namespace {

// __pud_alloc() / __pmd_alloc() / __pte_alloc() for the entry at `entryp` in a table of
// `level` (whose address came from the load `dep`): returns the entry's (present) value, or 0
// when memory is exhausted, with the token for loads through it.
Task<Loaded> alloc_table_if_none(Cpu& cpu, PhysAddr entryp, PtLevel level, Dep dep) {
  // Named after the allocator of the table level being filled in, for the trace.
  static constexpr FuncInfo kAllocFuncs[] = {
      {"__pte_alloc", "mm/memory.c", HashName("__pte_alloc")},  // fills a pmd entry
      {"__pmd_alloc", "mm/memory.c", HashName("__pmd_alloc")},  // fills a pud entry
      {"__pud_alloc", "mm/memory.c", HashName("__pud_alloc")},  // fills a p4d (= pgd) entry
      {"__p4d_alloc", "mm/memory.c", HashName("__p4d_alloc")},  // fills a pgd entry (5 levels)
  };
  const PtGeometry& g = cpu.world->geometry();
  FuncScope scope(cpu, &kAllocFuncs[g.PositionOf(level) - 1]);
  // pXd_none(*pXd): a plain read in __handle_mm_fault() (on PAE a pmd is two loads).
  const Loaded entry = co_await pxx_get(cpu, entryp, level, MemOrder::kPlain, dep);
  if (EntryPresent(entry)) co_return entry;
  const int child_level = static_cast<int>(cpu.world->ChildTableLevel(level));
  const FrameId table = static_cast<FrameId>(co_await cpu.AllocPage(child_level));
  if (table == kNoFrame) co_return Loaded{};  // VM_FAULT_OOM
  // __pud_alloc() / __pmd_alloc(): smp_wmb() before taking the lock, so the zeroed table is
  // visible before the entry that publishes it ("See comment in pmd_install()").
  if (level != PtLevel::kPmd) co_await cpu.Fence(FenceKind::kWmb);
  // pmd_lock() / pud_lock(): mm->page_table_lock (no split PMD locks modelled).
  co_await cpu.SpinLock(kMmPageTableLock);
  Loaded now = co_await pxx_get(cpu, entryp, level, MemOrder::kPlain, dep);
  bool installed = false;
  if (!EntryPresent(now)) {
    // pmd_install(): smp_wmb() under the lock, then pmd_populate(); the PTE table's zeroing is
    // ordered before the entry that makes it reachable to lockless walkers.
    if (level == PtLevel::kPmd) co_await cpu.Fence(FenceKind::kWmb);
    // The table is this CPU's own allocation: its later loads through the entry see the zeroing
    // without a dependency.
    now = Loaded{MakeEntry(table, kTableEntryFlags), kNoDep};
    if (level == PtLevel::kPmd) {
      co_await pmd_populate(cpu, entryp, table);
    } else {
      co_await cpu.Store(entryp, now.value, level, MemOrder::kOnce);  // pud/p4d_populate()
    }
    installed = true;
  }
  co_await cpu.SpinUnlock(kMmPageTableLock);
  // pte_free() -> pagetable_free() -> __free_pages(): a put, not a plain free. A speculative
  // reference (GUP-fast's try-get on a reused frame, kernel-mm.md section 12) may still hold the
  // page; its holder's put then frees it.
  if (!installed) co_await cpu.RefPut(table, 1);
  co_return now;
}

Task<void> do_anonymous_page(Cpu& cpu, PhysAddr pmdp, Dep pmdp_dep, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "do_anonymous_page", "mm/memory.c");
  // vma_alloc_zeroed_movable_folio(): allocated before taking the PTL.
  const FrameId folio = static_cast<FrameId>(co_await cpu.AllocPage(-1));
  if (folio == kNoFrame) co_return;  // VM_FAULT_OOM
  const MappedPte mapped = co_await pte_offset_map_lock(cpu, pmdp, pmdp_dep, addr);
  if (mapped.table == kNoFrame) {
    co_await folio_put(cpu, folio);
    co_return;
  }
  const PhysAddr ptep = EntryAddr(mapped.table, TableIndex(addr, PtLevel::kPte));
  // vmf_pte_changed() / pte_none(ptep_get(pte)): READ_ONCE under the PTL.
  if (!EntryNone(co_await pxx_get(cpu, ptep, PtLevel::kPte, MemOrder::kOnce, mapped.dep))) {
    // vmf_pte_changed(): another thread mapped it first; release our folio.
    co_await pte_unmap_unlock(cpu, mapped.table);
    co_await folio_put(cpu, folio);
    co_return;
  }
  // __folio_mark_uptodate(): smp_wmb() so the zeroed contents are visible before the PTE.
  co_await cpu.Fence(FenceKind::kWmb);
  // folio_add_new_anon_rmap(); set_pte_at() (native_set_pte(): WRITE_ONCE): the allocation's
  // reference becomes the mapping's.
  co_await set_pte(cpu, ptep, MakeEntry(folio, kAnonPteFlags));
  co_await pte_unmap_unlock(cpu, mapped.table);
}

Task<void> handle_mm_fault(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "handle_mm_fault", "mm/memory.c");
  // p4d_alloc(), pud_alloc() down to the pud: one table per level the MMU walks (folded levels'
  // helpers resolve to the same slots under the lock; core/geometry.h).
  const PtGeometry& g = cpu.world->geometry();
  FrameId table = cpu.world->pgd_of(cpu.mm);
  Loaded pud{0, kNoDep};
  for (int position = g.TopPosition(); position >= 2; --position) {
    const PhysAddr entryp = EntryAddr(table, IndexAtPosition(addr, position));
    pud = co_await alloc_table_if_none(cpu, entryp, g.LevelAtPosition(position), pud.dep);
    if (pud.value == 0) co_return;
    table = EntryFrame(pud);
  }
  // With two levels walked the pmd entries are the top table's.
  const PhysAddr pmdp = EntryAddr(table, TableIndex(addr, PtLevel::kPmd));
  Loaded pmd;
  if (!cpu.world->SplitEntries(PtLevel::kPmd)) {
    pmd = co_await alloc_table_if_none(cpu, pmdp, PtLevel::kPmd, pud.dep);
    if (pmd.value == 0) co_return;
  } else {
    // On PAE the pmd read a walker maps the PTE table from is the subject (Z06): the walk reads
    // the pmd once, as the variant's kernel did (today __pte_offset_map(), with interrupts off),
    // checks it and derives the table from that same value. Only a none pmd sends it to
    // __pte_alloc(), after which it reads the pmd again. (On 64-bit entries the value
    // alloc_table_if_none() read serves: nothing in the modelled scenarios clears a pmd, and
    // that keeps the recorded x86-64 and arm64 schedules' steps.)
    pmd = co_await pte_offset_map_read_pmd(cpu, pmdp, pud.dep);
    if (!EntryPresent(pmd)) {
      if ((co_await alloc_table_if_none(cpu, pmdp, PtLevel::kPmd, pud.dep)).value == 0) co_return;
      pmd = co_await pte_offset_map_read_pmd(cpu, pmdp, pud.dep);
      if (!EntryPresent(pmd)) co_return;  // the fault is retried
    }
  }
  cpu.world->oracles().OnEntryUse(cpu, pmdp, pmd, Oracles::EntryUse::kTablePointer);
  // handle_pte_fault(): ptep_get_lockless() of the entry; a present PTE makes the fault
  // spurious.
  const PhysAddr ptep = EntryAddr(EntryFrame(pmd), TableIndex(addr, PtLevel::kPte));
  if (ptep >> kPageShift >= cpu.world->memory().num_frames()) co_return;  // pmd_bad()
  if (!EntryNone(co_await ptep_get_lockless(cpu, ptep, pmd.dep))) co_return;
  co_await do_anonymous_page(cpu, pmdp, pud.dep, addr);
}

}  // namespace

Task<void> AnonFaultActor(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "user_write", "arch/x86/mm/fault.c");
  co_await handle_mm_fault(cpu, addr);
  // The faulting instruction is retried: the hardware walk fills this CPU's TLB. If a racing zap
  // removed the PTE again the access would fault once more; the model stops there.
  co_await cpu.TlbFill(addr);
}

}  // namespace ptfuzz

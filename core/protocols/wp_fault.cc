#include "core/protocols/wp_fault.h"

#include "core/protocols/folio_ref.h"
#include "core/protocols/pgtable.h"
#include "core/protocols/pte_offset_map.h"
#include "core/protocols/tlb_flush.h"
#include "core/world.h"

namespace ptfuzz {

namespace {

// wp_page_copy(): the old page stays referenced by do_wp_page()'s get_page() until the end.
Task<void> wp_page_copy(Cpu& cpu, PhysAddr pmdp, Dep pmdp_dep, VirtAddr addr, uint64_t orig) {
  PTFUZZ_KERNEL_FUNC(cpu, "wp_page_copy", "mm/memory.c");
  const FrameId old_page = EntryFrame(orig);
  const FrameId new_page = static_cast<FrameId>(co_await cpu.AllocPage(-1));
  if (new_page != kNoFrame) {
    // cow_user_page(): the copy reads the old page's contents (not a race the model tracks).
    // __SetPageUptodate(): smp_wmb() before the PTE publishes the copy.
    co_await cpu.Fence(FenceKind::kWmb);
    const LockedPte locked = co_await pte_offset_map_lock_get(cpu, pmdp, pmdp_dep, addr);
    const PhysAddr ptep = locked.ptep;
    bool replaced = false;
    if (locked.table != kNoFrame) {
      if (locked.pte.value == orig) {  // pte_same()
        // ptep_clear_flush_notify(): clear, then flush_tlb_page().
        co_await ptep_get_and_clear(cpu, ptep);
        co_await flush_tlb_mm_range(cpu, addr, addr + kPageSize);
        // page_add_new_anon_rmap(); set_pte_at_notify(): the new page, writable and dirty.
        cpu.world->oracles().OnCowReplace(cpu, addr, old_page);
        co_await set_pte(cpu, ptep, MakeEntry(new_page, kAnonPteFlags));
        // page_remove_rmap(old_page).
        co_await cpu.RmwLoc(MapcountLoc(old_page), RmwOp::kAdd, ~uint64_t{0}, 0, MemOrder::kFull);
        replaced = true;
      }
      co_await pte_unmap_unlock(cpu, locked.table);
    }
    // put_page(new_page), where new_page is the old page once it was replaced: the mapping's
    // reference; or the unused copy.
    co_await folio_put(cpu, replaced ? old_page : new_page);
  }
  co_await folio_put(cpu, old_page);  // do_wp_page()'s get_page()
}

Task<void> handle_write_fault(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "do_wp_page", "mm/memory.c");
  const PmdSlot slot = co_await walk_to_pmd(cpu, addr);
  if (slot.pmdp == 0) co_return;
  const LockedPte locked = co_await pte_offset_map_lock_get(cpu, slot.pmdp, slot.dep, addr);
  if (locked.table == kNoFrame) co_return;
  const FrameId table = locked.table;
  const PhysAddr ptep = locked.ptep;
  const Loaded pte = locked.pte;
  // Not present (not in these scenarios), or writable already (a spurious fault): nothing to do.
  if (!EntryPresent(pte) || PteWrite(pte) || EntryFrame(pte) >= cpu.world->memory().num_frames()) {
    co_await pte_unmap_unlock(cpu, table);
    co_return;
  }
  const FrameId page = EntryFrame(pte);
  // page_count(page) != 1: shared (fork), or referenced by someone else (a pin): copy.
  const Loaded refs = co_await cpu.LoadLoc(RefcountLoc(page), MemOrder::kOnce);
  if (refs.value == 1) {
    // wp_page_reuse(): maybe_mkwrite(pte_mkdirty()); the W bit is set under the PTL.
    co_await set_pte(cpu, ptep, pte.value | kPteWrite | kPteDirty);
    co_await pte_unmap_unlock(cpu, table);
    co_return;
  }
  co_await cpu.RefAdd(page, 1);  // get_page()
  co_await pte_unmap_unlock(cpu, table);
  co_await wp_page_copy(cpu, slot.pmdp, slot.dep, addr, pte.value);
}

}  // namespace

Task<void> WriteFaultActor(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "user_write", "arch/x86/mm/fault.c");
  co_await cpu.SpinLock(kMmapLock);  // mmap_read_lock() (exclusive here, see the header)
  co_await handle_write_fault(cpu, addr);
  co_await cpu.SpinUnlock(kMmapLock);
  // The retried write: the hardware walk fills this CPU's TLB.
  co_await cpu.TlbFill(addr);
}

}  // namespace ptfuzz

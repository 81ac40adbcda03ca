#include "core/protocols/migrate.h"

#include "core/protocols/folio_ref.h"
#include "core/protocols/page_alloc.h"
#include "core/protocols/pgtable.h"
#include "core/protocols/pte_offset_map.h"
#include "core/protocols/tlb_flush.h"
#include "core/world.h"

namespace ptfuzz {

namespace {

// page_vma_mapped_walk()'s read of the PTE of the folio's page `i` (its PTL held, as `locked`
// says): the first was read with the lock.
Task<uint64_t> folio_pte(Cpu& cpu, const LockedPte& locked, uint32_t i) {
  if (i == 0) co_return locked.pte.value;
  const PhysAddr ptep = locked.ptep + 8 * i;
  co_return (co_await pxx_get(cpu, ptep, PtLevel::kPte, MemOrder::kOnce, locked.pte.dep)).value;
}

}  // namespace

Task<FolioRange> get_large_folio(Cpu& cpu, VirtAddr addr) {
  World& world = *cpu.world;
  const PmdSlot slot = co_await walk_to_pmd(cpu, addr);
  if (slot.pmdp == 0) co_return FolioRange{};
  const LockedPte locked = co_await pte_offset_map_lock_get(cpu, slot.pmdp, slot.dep, addr);
  if (locked.table == kNoFrame) co_return FolioRange{};
  const uint64_t pte = locked.pte.value;
  FolioRange f;
  if (EntryPresent(pte) && EntryFrame(pte) < world.memory().num_frames()) {
    f.head = co_await page_folio(cpu, EntryFrame(pte), locked.pte.dep);
    f.nr = 1u << world.memory().frame(f.head).order;
  }
  if (f.nr <= 1) {
    co_await pte_unmap_unlock(cpu, locked.table);
    co_return FolioRange{};
  }
  f.first_addr = addr - uint64_t{EntryFrame(pte) - f.head} * kPageSize;
  f.pmdp = slot.pmdp;
  f.pmd_dep = slot.dep;
  // The PTE holds a reference, so the count is not 0.
  co_await cpu.RefAdd(f.head, 1);
  co_await pte_unmap_unlock(cpu, locked.table);
  co_return f;
}

Task<void> try_to_migrate(Cpu& cpu, const FolioRange& f) {
  PTFUZZ_KERNEL_FUNC(cpu, "try_to_migrate_one", "mm/rmap.c");
  const LockedPte locked = co_await pte_offset_map_lock_get(cpu, f.pmdp, f.pmd_dep, f.first_addr);
  if (locked.table == kNoFrame) co_return;
  for (uint32_t i = 0; i < f.nr; ++i) {
    const PhysAddr ptep = locked.ptep + 8 * i;
    const VirtAddr addr = f.first_addr + uint64_t{i} * kPageSize;
    // page_vma_mapped_walk(): the PTE must still map this page of the folio.
    const uint64_t pte = co_await folio_pte(cpu, locked, i);
    if (!EntryPresent(pte) || EntryFrame(pte) != f.head + i) continue;
    // ptep_clear_flush(): clear, then flush_tlb_page() (the PTE was accessible).
    const uint64_t pteval = co_await ptep_get_and_clear(cpu, ptep);
    co_await flush_tlb_mm_range(cpu, addr, addr + kPageSize);
    co_await set_pte(cpu, ptep, MigrationEntry(pteval));
    // page_remove_rmap(subpage), then folio_put(folio): the mapping's reference, on the head.
    co_await cpu.RmwLoc(MapcountLoc(f.head + i), RmwOp::kAdd, ~uint64_t{0}, 0, MemOrder::kFull);
    co_await folio_put(cpu, f.head);
  }
  co_await pte_unmap_unlock(cpu, locked.table);
}

Task<void> remove_migration_ptes(Cpu& cpu, const FolioRange& f, FrameId dst) {
  PTFUZZ_KERNEL_FUNC(cpu, "remove_migration_pte", "mm/migrate.c");
  const LockedPte locked = co_await pte_offset_map_lock_get(cpu, f.pmdp, f.pmd_dep, f.first_addr);
  if (locked.table == kNoFrame) co_return;
  for (uint32_t i = 0; i < f.nr; ++i) {
    const PhysAddr ptep = locked.ptep + 8 * i;
    const uint64_t entry = co_await folio_pte(cpu, locked, i);
    if (!IsMigrationEntry(entry) || EntryFrame(entry) != f.head + i) continue;
    const FrameId page = dst + i;
    // folio_get(): the folio holds references of its own (the split's or the migration's), so
    // never from zero. After a split the page is a folio of its own.
    co_await cpu.RefAdd(dst == f.head ? cpu.world->memory().FolioOf(page) : dst, 1);
    // page_add_anon_rmap().
    co_await cpu.RmwLoc(MapcountLoc(page), RmwOp::kAdd, 1, 0, MemOrder::kFull);
    // set_pte_at(): the new page's pfn; writability, young and dirty from the migration entry.
    co_await set_pte(cpu, ptep,
                     (entry & ~(kPteMigration | kPtePfnMask)) | kPtePresent | MakeEntry(page, 0));
  }
  co_await pte_unmap_unlock(cpu, locked.table);
}

Task<void> folio_undo_large_rmappable(Cpu& cpu, FrameId folio) {
  PTFUZZ_KERNEL_FUNC(cpu, "folio_undo_large_rmappable", "mm/huge_memory.c");
  // data_race(list_empty(&folio->_deferred_list)): nothing to do when it is on no list.
  if ((co_await cpu.LoadLoc(DeferredListLoc(folio), MemOrder::kPlain)).value == kNotQueued) {
    co_return;
  }
  co_await cpu.IrqDisable();  // spin_lock_irqsave()
  co_await cpu.SpinLock(kSplitQueueLock);
  // list_del_init(), from the queue or from a scanner's private list alike.
  if ((co_await cpu.LoadLoc(DeferredListLoc(folio), MemOrder::kPlain)).value != kNotQueued) {
    co_await cpu.StoreLoc(DeferredListLoc(folio), kNotQueued, MemOrder::kPlain);
  }
  co_await cpu.SpinUnlock(kSplitQueueLock);
  co_await cpu.IrqEnable();
}

namespace {

// folio_migrate_mapping() (mm/migrate.c) of an anonymous folio (no mapping), whose only expected
// reference is the migration's isolation one: true when migration may proceed.
Task<bool> folio_migrate_mapping(Cpu& cpu, FrameId folio) {
  PTFUZZ_KERNEL_FUNC(cpu, "folio_migrate_mapping", "mm/migrate.c");
  constexpr uint64_t kExpected = 1;
  if (cpu.world->variant().migrate_freeze_unmapped) {
    // folio_ref_freeze(folio, expected_count): cmpxchg to 0, fully ordered.
    const uint64_t old =
        co_await cpu.RmwLoc(RefcountLoc(folio), RmwOp::kCmpxchg, kExpected, 0, MemOrder::kFull);
    if (old != kExpected) co_return false;  // -EAGAIN
    // "Take off deferred split queue while frozen and memcg set."
    co_await folio_undo_large_rmappable(cpu, folio);
    // folio_ref_unfreeze(): atomic_set_release().
    co_await cpu.StoreLoc(RefcountLoc(folio), kExpected, MemOrder::kRelease);
  } else {
    // if (folio_ref_count(folio) != expected_count) return -EAGAIN;
    const Loaded count = co_await cpu.LoadLoc(RefcountLoc(folio), MemOrder::kOnce);
    if (count.value != kExpected) co_return false;
  }
  // "No turning back from here": the folio's identity (memcg, flags, the anon_vma link) moves to
  // the new folio (folio_migrate_flags(), mem_cgroup_migrate()).
  co_return true;
}

}  // namespace

Task<void> MigrateFolioActor(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "migrate_pages", "mm/migrate.c");
  World& world = *cpu.world;
  // The isolation reference (folio_get() + folio_isolate_lru()).
  const FolioRange f = co_await get_large_folio(cpu, addr);
  if (f.head == kNoFrame) co_return;
  const uint32_t order = world.memory().frame(f.head).order;
  co_await try_to_migrate(cpu, f);
  const FrameId dst = static_cast<FrameId>(co_await cpu.AllocFolio(order));
  if (dst != kNoFrame) co_await prep_compound_page(cpu, dst, order);
  if (dst == kNoFrame || !co_await folio_migrate_mapping(cpu, f.head)) {
    // -ENOMEM or -EAGAIN: the new folio goes back, the old one is mapped again and put back.
    if (dst != kNoFrame) co_await folio_put(cpu, dst);
    co_await remove_migration_ptes(cpu, f, f.head);
    co_await folio_put(cpu, f.head);
    co_return;
  }
  co_await remove_migration_ptes(cpu, f, dst);
  // migrate_folio_done(src): the old folio is released as exclusive, its isolation reference the
  // last one. Then the new folio's allocation reference (its mappings hold their own).
  world.oracles().OnMigratedFolioReleased(cpu, f.head, 1);
  co_await folio_put(cpu, f.head);
  co_await folio_put(cpu, dst);
}

}  // namespace ptfuzz

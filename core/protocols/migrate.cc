#include "core/protocols/migrate.h"

#include "core/protocols/folio_ref.h"
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

}  // namespace ptfuzz

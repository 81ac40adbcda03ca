// Folio migration (mm/migrate.c, mm/rmap.c, v6.10): the PTEs of a large anonymous folio become
// migration entries, the folio's mapping (its identity) moves to a new folio once its refcount is
// what the migrator expects, and the migration entries are replaced by PTEs of the new folio.
// split_huge_page() uses the same unmap and remap (core/protocols/split_huge_page.h).
//
//   migrate_pages() of one folio (move_pages(2)):
//     isolate:  pte_offset_map_lock(); folio = page_folio(); folio_get(); unlock
//     try_to_migrate()                      migration entries, the mappings' references dropped
//     dst = alloc_pages(order); prep_compound_page()
//     folio_migrate_mapping(expected = 1):  an anonymous folio has no mapping, so before v6.10
//       (6f9696865c45? Hugh Dickins, "mm: fix crashes from deferred split racing folio
//       migration") it only checked folio_ref_count() == expected; since, it freezes the count
//       and takes the folio off the deferred split queue while frozen
//       (folio_undo_large_rmappable()), then unfreezes
//     the identity moves (mem_cgroup_migrate() and the folio's flags: the point of no return)
//     remove_migration_ptes(src, dst)       the PTEs now map dst
//     folio_put(src), folio_put(dst)        the isolation and allocation references
//
// The folio lock, the LRU and the copy of the contents are not modelled: nothing here races them.
#ifndef PTFUZZ_CORE_PROTOCOLS_MIGRATE_H_
#define PTFUZZ_CORE_PROTOCOLS_MIGRATE_H_

#include "core/cpu.h"
#include "core/task.h"

namespace ptfuzz {

// A migration entry (include/linux/swapops.h make_writable_migration_entry()): not present, and
// it keeps the pfn and, since v6.1 (2e3468778dbe), the young and dirty bits, so that
// remove_migration_pte() rebuilds the PTE the page had.
inline constexpr uint64_t kPteMigration = uint64_t{1} << 10;
inline constexpr uint64_t MigrationEntry(uint64_t pte) {
  return (pte & ~kPtePresent) | kPteMigration;
}
inline constexpr bool IsMigrationEntry(uint64_t entry) {
  return (entry & kPtePresent) == 0 && (entry & kPteMigration) != 0;
}

// A large folio's pages as the unmap and remap see them: the head, how many, and the address of
// the first (the folio is mapped by consecutive PTEs of one table, page i at first_addr + i
// pages), with the pmd slot of that table.
struct FolioRange {
  FrameId head = kNoFrame;
  uint32_t nr = 0;
  VirtAddr first_addr = 0;
  PhysAddr pmdp = 0;
  Dep pmd_dep = kNoDep;
};

// The large folio mapped at `addr` with a reference taken on it, as its unmappers find it: the
// PTE under its PTL (pte_offset_map_lock()), vm_normal_folio() (page_folio() of the page it
// maps), folio_get() while the PTE still maps it, pte_unmap_unlock(). head == kNoFrame (and no
// reference) when the page there is not part of a large folio.
Task<FolioRange> get_large_folio(Cpu& cpu, VirtAddr addr);

// try_to_migrate() -> try_to_migrate_one() (mm/rmap.c): every PTE mapping a page of the folio
// becomes a migration entry, under the PTL (ptep_clear_flush(): clear and flush); each drops its
// mapping's reference on the folio.
Task<void> try_to_migrate(Cpu& cpu, const FolioRange& f);

// remove_migration_ptes() -> remove_migration_pte() (mm/migrate.c): each migration entry of page
// i of `f` becomes a PTE of page i of the folio at `dst` (dst == f.head: the same pages, each
// referenced on the folio it belongs to now, as after a split), with the old entry's bits.
Task<void> remove_migration_ptes(Cpu& cpu, const FolioRange& f, FrameId dst);

// folio_undo_large_rmappable() (mm/huge_memory.c): takes the folio off whichever deferred split
// list it is on, under the queue's lock (a racy list_empty() first).
Task<void> folio_undo_large_rmappable(Cpu& cpu, FrameId folio);

// The ACTOR_MIGRATE_FOLIO actor: move_pages(2) of the large folio mapped at `addr` to a new
// folio (nothing when the page there is not part of a large folio).
Task<void> MigrateFolioActor(Cpu& cpu, VirtAddr addr);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_MIGRATE_H_

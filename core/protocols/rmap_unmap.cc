#include "core/protocols/rmap_unmap.h"

#include "core/protocols/arch.h"
#include "core/protocols/folio_ref.h"
#include "core/protocols/pte_offset_map.h"
#include "core/protocols/tlb_flush.h"
#include "core/world.h"

namespace ptfuzz {

namespace {

// try_to_unmap_one() for a lazyfree folio mapped by the PTE at `ptep` (its PTL held). Returns
// true when it discarded the mapping, false when it restored it.
Task<bool> try_to_unmap_one(Cpu& cpu, PhysAddr ptep, FrameId folio) {
  PTFUZZ_KERNEL_FUNC(cpu, "try_to_unmap_one", "mm/rmap.c");
  const ProtocolVariant& variant = cpu.world->variant();
  // TTU_BATCH_FLUSH: ptep_get_and_clear() and set_tlb_ubc_flush_pending(); no flush yet.
  const uint64_t pteval =
      co_await cpu.Xchg(ptep, 0, PtLevel::kPte, PtepGetAndClearOrder(*cpu.world));
  if (!EntryPresent(pteval)) co_return false;
  if (variant.unmap_lazyfree_check_refs) {
    // "Synchronize with gup_pte_range(): clear PTE; barrier; read refcount" (6c8e2a256915).
    if (variant.unmap_lazyfree_sb_mb) co_await cpu.Fence(FenceKind::kMb);
    const uint64_t ref = co_await cpu.LoadLoc(RefcountLoc(folio), MemOrder::kOnce);
    const uint64_t map = co_await cpu.LoadLoc(MapcountLoc(folio), MemOrder::kOnce);
    // Orders the reads of the refcount and of the dirty flag (__remove_mapping()).
    co_await cpu.Fence(FenceKind::kRmb);
    if (ref != 1 + map) {
      // Someone else holds the page (a GUP reference): map it again and give up.
      co_await cpu.Store(ptep, pteval, PtLevel::kPte, MemOrder::kOnce);  // set_pte_at()
      co_return false;
    }
  }
  // discard: the page's contents are dropped; it is not mapped here again.
  cpu.world->oracles().OnDiscard(cpu, folio);
  // folio_remove_rmap_pte(): atomic_add_negative(-1, &_mapcount), value-returning.
  co_await cpu.RmwLoc(MapcountLoc(folio), RmwOp::kAdd, ~uint64_t{0}, 0, MemOrder::kFull);
  co_await folio_put(cpu, folio);  // the page table's reference
  co_return true;
}

}  // namespace

Task<void> ReclaimLazyfreeActor(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "shrink_folio_list", "mm/vmscan.c");
  // page_vma_mapped_walk(): the upper levels are plain dereferences under the mmap/rmap locks.
  const Loaded pgd = co_await cpu.Load(EntryAddr(cpu.world->pgd(), TableIndex(addr, PtLevel::kPgd)),
                                       PtLevel::kPgd, MemOrder::kPlain);
  if (!EntryPresent(pgd)) co_return;
  const Loaded pud = co_await cpu.Load(EntryAddr(EntryFrame(pgd), TableIndex(addr, PtLevel::kPud)),
                                       PtLevel::kPud, MemOrder::kPlain, pgd.dep);
  if (!EntryPresent(pud)) co_return;
  const PhysAddr pmdp = EntryAddr(EntryFrame(pud), TableIndex(addr, PtLevel::kPmd));
  const MappedPte mapped = co_await pte_offset_map_lock(cpu, pmdp, pud.dep, addr);
  if (mapped.table == kNoFrame) co_return;
  const PhysAddr ptep = EntryAddr(mapped.table, TableIndex(addr, PtLevel::kPte));
  const uint64_t pte = co_await cpu.Load(ptep, PtLevel::kPte, MemOrder::kOnce, mapped.dep);
  const FrameId folio = EntryFrame(pte);
  // folio_isolate_lru(): reclaim works on the folio with a reference of its own.
  if (!EntryPresent(pte) || folio >= cpu.world->memory().num_frames() ||
      !co_await folio_try_get(cpu, folio)) {
    co_await cpu.SpinUnlock(mapped.table);
    co_return;
  }
  const bool discarded = co_await try_to_unmap_one(cpu, ptep, folio);
  co_await cpu.SpinUnlock(mapped.table);  // pte_unmap_unlock()
  // try_to_unmap_flush(): the batched flush happens before the folio may be freed.
  if (discarded) co_await flush_tlb_mm_range(cpu, addr, addr + kPageSize);
  // folio_ref_freeze(folio, 1) and free when reclaim's is the last reference, otherwise
  // folio_putback_lru(): either way, the isolation reference goes.
  co_await folio_put(cpu, folio);
}

}  // namespace ptfuzz

#include "core/protocols/rmap_unmap.h"

#include "core/protocols/pgtable.h"
#include "core/protocols/folio_ref.h"
#include "core/protocols/pte_offset_map.h"
#include "core/protocols/tlb_flush.h"
#include "core/world.h"

namespace ptfuzz {

namespace {

// The end of an unmap once the PTE no longer maps `folio`: folio_remove_rmap_pte()
// (atomic_add_negative(-1, &_mapcount), value-returning) and the page table's reference put.
Task<void> folio_remove_rmap_pte(Cpu& cpu, FrameId folio) {
  PTFUZZ_KERNEL_FUNC(cpu, "folio_remove_rmap_pte", "mm/rmap.c");
  co_await cpu.RmwLoc(MapcountLoc(folio), RmwOp::kAdd, ~uint64_t{0}, 0, MemOrder::kFull);
  co_await folio_put(cpu, folio);
}

// try_to_unmap_one() for a lazyfree folio mapped by the PTE at `ptep` (its PTL held). Returns
// true when it discarded the mapping, false when it restored it.
Task<bool> try_to_unmap_one(Cpu& cpu, PhysAddr ptep, FrameId folio) {
  PTFUZZ_KERNEL_FUNC(cpu, "try_to_unmap_one", "mm/rmap.c");
  const ProtocolVariant& variant = cpu.world->variant();
  // TTU_BATCH_FLUSH: ptep_get_and_clear() and set_tlb_ubc_flush_pending(); no flush yet.
  const uint64_t pteval = co_await ptep_get_and_clear(cpu, ptep);
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
      co_await set_pte(cpu, ptep, pteval);  // set_pte_at()
      co_return false;
    }
  }
  // discard: the page's contents are dropped; it is not mapped here again.
  cpu.world->oracles().OnDiscard(cpu, folio);
  co_await folio_remove_rmap_pte(cpu, folio);
  co_return true;
}

// What shrink_folio_list() reached through rmap: the PTE (its PTL held) and the isolated folio.
struct Isolated {
  FrameId table = kNoFrame;  // the PTE table whose PTL is held; kNoFrame: nothing to reclaim
  PhysAddr ptep = 0;
  FrameId folio = kNoFrame;
};

// page_vma_mapped_walk() to the PTE of `addr` under the PTL, and folio_isolate_lru(): reclaim
// works on the folio with a reference of its own.
Task<Isolated> walk_and_isolate(Cpu& cpu, VirtAddr addr) {
  // The upper levels are plain dereferences under the mmap/rmap locks.
  const Loaded pgd =
      co_await cpu.Load(EntryAddr(cpu.world->pgd_of(cpu.mm), TableIndex(addr, PtLevel::kPgd)),
                        PtLevel::kPgd, MemOrder::kPlain);
  if (!EntryPresent(pgd)) co_return Isolated{};
  const Loaded pud = co_await cpu.Load(EntryAddr(EntryFrame(pgd), TableIndex(addr, PtLevel::kPud)),
                                       PtLevel::kPud, MemOrder::kPlain, pgd.dep);
  if (!EntryPresent(pud)) co_return Isolated{};
  const PhysAddr pmdp = EntryAddr(EntryFrame(pud), TableIndex(addr, PtLevel::kPmd));
  const MappedPte mapped = co_await pte_offset_map_lock(cpu, pmdp, pud.dep, addr);
  if (mapped.table == kNoFrame) co_return Isolated{};
  const PhysAddr ptep = EntryAddr(mapped.table, TableIndex(addr, PtLevel::kPte));
  const uint64_t pte = co_await pxx_get(cpu, ptep, PtLevel::kPte, MemOrder::kOnce, mapped.dep);
  const FrameId folio = EntryFrame(pte);
  if (!EntryPresent(pte) || folio >= cpu.world->memory().num_frames() ||
      !co_await folio_try_get(cpu, folio)) {
    co_await pte_unmap_unlock(cpu, mapped.table);
    co_return Isolated{};
  }
  co_return Isolated{mapped.table, ptep, folio};
}

// After try_to_unmap_one(): unlock, the deferred flush when the page was unmapped, and the
// isolation reference dropped (folio_ref_freeze(folio, 1) and free when reclaim's is the last
// reference, otherwise folio_putback_lru()).
Task<void> finish_reclaim(Cpu& cpu, const Isolated& iso, VirtAddr addr, bool unmapped) {
  co_await pte_unmap_unlock(cpu, iso.table);
  if (unmapped) co_await flush_tlb_mm_range(cpu, addr, addr + kPageSize);  // try_to_unmap_flush()
  co_await folio_put(cpu, iso.folio);
}

// try_to_unmap_one() for an exclusive anonymous (swap-backed) folio being swapped out: clear
// the PTE, then folio_try_share_anon_rmap_pte(): the page becomes shared with the swap cache, so
// it must not be pinned. Returns true when it unmapped the page, false when it restored the PTE.
Task<bool> try_to_unmap_one_anon(Cpu& cpu, PhysAddr ptep, FrameId folio) {
  PTFUZZ_KERNEL_FUNC(cpu, "try_to_unmap_one", "mm/rmap.c");
  const ProtocolVariant& variant = cpu.world->variant();
  const uint64_t pteval = co_await ptep_get_and_clear(cpu, ptep);
  if (!EntryPresent(pteval)) co_return false;
  {
    PTFUZZ_KERNEL_FUNC(cpu, "folio_try_share_anon_rmap_pte", "include/linux/rmap.h");
    // "Paired with the memory barrier in try_grab_folio()": the clear before the pinned check.
    if (variant.share_anon_mb) co_await cpu.Fence(FenceKind::kMb);
    // folio_maybe_dma_pinned(): a small folio's refcount carries the pin bias.
    const uint64_t ref = co_await cpu.LoadLoc(RefcountLoc(folio), MemOrder::kOnce);
    if (ref >= static_cast<uint64_t>(kGupPinCountingBias)) {
      // -EBUSY: map the page again and give up on it.
      co_await set_pte(cpu, ptep, pteval);  // set_pte_at()
      co_return false;
    }
    cpu.world->oracles().OnUnshare(cpu, folio);
    // ClearPageAnonExclusive(): clear_bit(), a non-value-returning atomic ...
    co_await cpu.RmwLoc(AnonExclusiveLoc(folio), RmwOp::kXchg, 0, 0, MemOrder::kRelaxed);
    // ... then, conceptually an smp_wmb() paired with the smp_rmb() in gup_must_unshare().
    co_await cpu.Fence(FenceKind::kMbAfterAtomic);
  }
  // set_pte_at(swp_pte): the PTE now holds a swap entry (not present).
  co_await set_pte(cpu, ptep, kSwapEntry);
  co_await folio_remove_rmap_pte(cpu, folio);
  co_return true;
}

}  // namespace

Task<void> ReclaimLazyfreeActor(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "shrink_folio_list", "mm/vmscan.c");
  const Isolated iso = co_await walk_and_isolate(cpu, addr);
  if (iso.table == kNoFrame) co_return;
  const bool discarded = co_await try_to_unmap_one(cpu, iso.ptep, iso.folio);
  co_await finish_reclaim(cpu, iso, addr, discarded);
}

Task<void> SwapoutAnonActor(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "shrink_folio_list", "mm/vmscan.c");
  const Isolated iso = co_await walk_and_isolate(cpu, addr);
  if (iso.table == kNoFrame) co_return;
  const bool unmapped = co_await try_to_unmap_one_anon(cpu, iso.ptep, iso.folio);
  co_await finish_reclaim(cpu, iso, addr, unmapped);
}

}  // namespace ptfuzz

#include "core/protocols/fork.h"

#include "core/protocols/folio_ref.h"
#include "core/protocols/pgtable.h"
#include "core/protocols/pte_offset_map.h"
#include "core/protocols/tlb_flush.h"
#include "core/world.h"

namespace ptfuzz {

namespace {

constexpr uint32_t kChildMm = 1;

// raw_write_seqcount_begin() / _end(): the single writer's increment (under the mmap write lock,
// a plain read of its own value and a WRITE_ONCE), with smp_wmb() after it (begin) or before it
// (end). The variant fork_seq_full_barrier puts smp_mb() after the begin instead.
Task<void> write_seqcount_bump(Cpu& cpu, bool begin) {
  const Loc seq = WriteProtectSeqLoc(cpu.mm);
  if (!begin) co_await cpu.Fence(FenceKind::kWmb);
  const Loaded now = co_await cpu.LoadLoc(seq, MemOrder::kPlain);
  co_await cpu.StoreLoc(seq, now.value + 1, MemOrder::kOnce);
  if (begin) {
    co_await cpu.Fence(cpu.world->variant().fork_seq_full_barrier ? FenceKind::kMb
                                                                   : FenceKind::kWmb);
  }
}

// copy_present_pte() for an anonymous page whose parent PTE is `pte` (read under the PTL).
Task<void> copy_present_pte(Cpu& cpu, PhysAddr src_ptep, uint64_t pte, PhysAddr dst_ptep) {
  PTFUZZ_KERNEL_FUNC(cpu, "copy_present_pte", "mm/memory.c");
  World& world = *cpu.world;
  const FrameId page = EntryFrame(pte);
  if (world.variant().fork_copies_pinned) {
    // page_needs_cow_for_dma() -> page_maybe_dma_pinned(): page_ref_count() (atomic_read).
    const Loaded refs = co_await cpu.LoadLoc(RefcountLoc(page), MemOrder::kOnce);
    if (refs.value >= kGupPinCountingBias) {
      // copy_present_page(): the child gets its own copy, writable; the parent keeps the page
      // (and its write permission): the pin stays with the process that took it.
      const FrameId copy = static_cast<FrameId>(co_await cpu.AllocPage(-1));
      if (copy == kNoFrame) co_return;  // -ENOMEM: the fork fails
      co_await set_pte(cpu, dst_ptep, MakeEntry(copy, kAnonPteFlags));
      co_return;
    }
  }
  // get_page(); page_dup_rmap(): the child maps the same page.
  co_await cpu.RefAdd(page, 1);
  co_await cpu.RmwLoc(MapcountLoc(page), RmwOp::kAdd, 1, 0, MemOrder::kRelaxed);
  uint64_t child = pte & ~kPteAccessed;  // pte_mkold()
  if (PteWrite(pte)) {
    // ptep_set_wrprotect(): clear_bit(_PAGE_BIT_RW), a locked RMW of the word holding the bit
    // (x86-PAE: the low half). The W bit is set (read under the PTL, which keeps every other
    // writer of it away), so clearing it subtracts it.
    const Loc word = world.SplitEntries(PtLevel::kPte) ? PtHalfLoc(src_ptep, /*high=*/false)
                                                       : PtEntryLoc(src_ptep);
    co_await cpu.RmwLoc(word, RmwOp::kAdd, ~kPteWrite + 1, 0, MemOrder::kFull);
    child &= ~kPteWrite;  // pte_wrprotect()
  }
  co_await set_pte(cpu, dst_ptep, child);
}

Task<void> copy_page_range(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "copy_page_range", "mm/memory.c");
  World& world = *cpu.world;
  // is_cow_mapping(): a private anonymous mapping. The sequence came with GUP-fast's check of it
  // (57efa1fe5957): the variant without one has neither.
  const bool seq = world.variant().gup_write_protect_seq;
  if (seq) co_await write_seqcount_bump(cpu, /*begin=*/true);
  const PmdSlot slot = co_await walk_to_pmd(cpu, addr);
  // The child's PTE slot: its tables are the new mm's, reachable by nobody else yet.
  const PhysAddr dst_ptep = world.LeafSlot(addr, kChildMm);
  if (slot.pmdp != 0 && dst_ptep != 0) {
    const LockedPte src = co_await pte_offset_map_lock_get(cpu, slot.pmdp, slot.dep, addr);
    if (src.table != kNoFrame) {
      if (EntryPresent(src.pte) && EntryFrame(src.pte) < world.memory().num_frames()) {
        co_await copy_present_pte(cpu, src.ptep, src.pte.value, dst_ptep);
      }
      co_await pte_unmap_unlock(cpu, src.table);
    }
  }
  if (seq) co_await write_seqcount_bump(cpu, /*begin=*/false);
}

}  // namespace

Task<void> ForkActor(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "dup_mmap", "kernel/fork.c");
  co_await cpu.SpinLock(kMmapLock);  // mmap_write_lock_killable(oldmm)
  co_await copy_page_range(cpu, addr);
  // flush_tlb_mm(oldmm): the parent's TLB may still allow writes through the old PTE.
  co_await flush_tlb_mm_range(cpu, addr, addr + kPageSize);
  co_await cpu.SpinUnlock(kMmapLock);
}

}  // namespace ptfuzz

// Tlb: one CPU's translation cache.
//
// An entry caches vaddr -> frame as the hardware walker found it (core/world.cc, kTlbFill). It is
// removed only by a flush of a range covering it: locally (flush_tlb_local), by the IPI handler
// (flush_tlb_func() in arch/x86/mm/tlb.c) or by a broadcast invalidation (arm64 TLBI). The oracle
// "a data page is freed only after the TLB flush that covers it" (include/asm-generic/tlb.h:
// unhook, invalidate, free) asks whether any TLB still maps a frame being freed.
//
// The paging-structure cache (Intel SDM 4.10.3, arm64's walk cache) keeps, per 2 MiB range, the
// PTE table the last walk went through, so a later walk of that range starts at the table without
// reading the upper levels. Invalidations of any address in the range (INVLPG, TLBI VAE1IS) drop
// it with the TLB entries. The hardware walker agents fill it (World::HwWalkStep); the oracles
// ask whether a page table is freed while a cache still points to it (Z15).
//
// Not modelled yet: capacity evictions, ASIDs/PCIDs (entries are the mm 0's).
#ifndef PTFUZZ_CORE_TLB_H_
#define PTFUZZ_CORE_TLB_H_

#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "core/pte.h"

namespace ptfuzz {

struct TlbEntry {
  VirtAddr vaddr;
  FrameId frame;
  uint32_t generation;
};

// A paging-structure cache entry: the PTE table (and its generation) for [pmd_start, +2 MiB).
struct PscEntry {
  VirtAddr pmd_start;
  FrameId table;
  uint32_t generation;
};

class Tlb {
 public:
  void Fill(VirtAddr vaddr, FrameId frame, uint32_t generation) {
    // Replaces the TLB entry for vaddr; the walk that filled it keeps its cached table.
    entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                  [&](const TlbEntry& e) { return e.vaddr == vaddr; }),
                   entries_.end());
    entries_.push_back({vaddr, frame, generation});
  }
  // Removes every entry in [start, end), and every paging-structure cache entry whose range
  // overlaps it; returns how many TLB entries.
  uint32_t FlushRange(VirtAddr start, VirtAddr end) {
    psc_.erase(std::remove_if(psc_.begin(), psc_.end(),
                              [&](const PscEntry& e) {
                                return e.pmd_start < end && start < e.pmd_start + kPmdSize;
                              }),
               psc_.end());
    const size_t before = entries_.size();
    entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                  [&](const TlbEntry& e) { return e.vaddr >= start && e.vaddr < end; }),
                   entries_.end());
    return static_cast<uint32_t>(before - entries_.size());
  }
  const TlbEntry* FindFrame(FrameId frame) const {
    for (const TlbEntry& e : entries_) {
      if (e.frame == frame) return &e;
    }
    return nullptr;
  }
  absl::Span<const TlbEntry> entries() const { return entries_; }

  void FillPsc(VirtAddr pmd_start, FrameId table, uint32_t generation) {
    for (PscEntry& e : psc_) {
      if (e.pmd_start == pmd_start) {
        e = {pmd_start, table, generation};
        return;
      }
    }
    psc_.push_back({pmd_start, table, generation});
  }
  const PscEntry* FindPsc(VirtAddr pmd_start) const {
    for (const PscEntry& e : psc_) {
      if (e.pmd_start == pmd_start) return &e;
    }
    return nullptr;
  }
  const PscEntry* FindPscTable(FrameId table, uint32_t generation) const {
    for (const PscEntry& e : psc_) {
      if (e.table == table && e.generation == generation) return &e;
    }
    return nullptr;
  }

 private:
  absl::InlinedVector<TlbEntry, 4> entries_;  // insertion order; a handful of entries
  absl::InlinedVector<PscEntry, 2> psc_;
};

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_TLB_H_

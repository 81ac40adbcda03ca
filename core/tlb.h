// Tlb: one CPU's translation cache.
//
// An entry caches vaddr -> frame as the hardware walker found it (core/world.cc, kTlbFill). It is
// removed only by a flush of a range covering it: locally (flush_tlb_local), by the IPI handler
// (flush_tlb_func() in arch/x86/mm/tlb.c) or by a broadcast invalidation (arm64 TLBI). The oracle
// "a data page is freed only after the TLB flush that covers it" (include/asm-generic/tlb.h:
// unhook, invalidate, free) asks whether any TLB still maps a frame being freed.
//
// Not modelled yet: paging-structure caches, capacity evictions, ASIDs/PCIDs.
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

class Tlb {
 public:
  void Fill(VirtAddr vaddr, FrameId frame, uint32_t generation) {
    FlushRange(vaddr, vaddr + kPageSize);
    entries_.push_back({vaddr, frame, generation});
  }
  // Removes every entry in [start, end); returns how many.
  uint32_t FlushRange(VirtAddr start, VirtAddr end) {
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

 private:
  absl::InlinedVector<TlbEntry, 4> entries_;  // insertion order; a handful of entries
};

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_TLB_H_

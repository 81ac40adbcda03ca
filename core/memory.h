// PhysMemory: the simulated machine's physical frames and its page allocator.
//
// Every frame has a state (free, data page, page table of a level), an allocation generation that
// is bumped on every allocation (so "the same pfn" and "the same page" can be told apart: the
// freed-and-reused case of seed 003), and a folio refcount (`folio->_refcount`) with the kernel's
// semantics, which core/world.cc applies: try-get is add-unless-zero, put frees at zero.
//
// The allocator keeps a LIFO free list, like the per-CPU page lists in mm/page_alloc.c, so by
// default the most recently freed frame is reused first. Which free frame an allocation returns
// is a Decider answer (DecisionKind::kAllocFrame): option i is the i-th most recently freed frame.
//
// Contents: only page-table frames have modelled contents (their 512 entries, stored sparsely
// since a simulated table holds a handful of entries). Contents survive a free, as real memory
// does, until the frame is reallocated and zeroed (pte_alloc_one() and clear_user_highpage() both
// hand out zeroed pages).
//
// This class does no yielding and no checking of protocol rules; the World does both.
#ifndef PTFUZZ_CORE_MEMORY_H_
#define PTFUZZ_CORE_MEMORY_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "core/pte.h"

namespace ptfuzz {

// GUP_PIN_COUNTING_BIAS (include/linux/mm.h): a FOLL_PIN on a small folio adds this much to its
// refcount; folio_maybe_dma_pinned() is "refcount >= the bias".
inline constexpr int kGupPinCountingBias = 1024;

enum class FrameState : uint8_t { kFree, kData, kPageTable };

// The compound_head word of a tail page of the folio whose head is `head`.
inline constexpr uint64_t CompoundHeadWord(FrameId head) { return (uint64_t{head} << 1) | 1; }
// compound_head() of a page whose compound_head word is `word`: the head it names, or the page
// itself.
inline constexpr FrameId CompoundHeadOf(FrameId page, uint64_t word) {
  return (word & 1) != 0 ? static_cast<FrameId>(word >> 1) : page;
}

struct FrameInfo {
  FrameState state = FrameState::kFree;
  PtLevel level = PtLevel::kPte;  // meaningful when state == kPageTable
  // invariant: bumped by every Allocate(); 0 means never allocated.
  uint32_t generation = 0;
  // folio->_refcount. invariant (checked by Oracles): 0 exactly when the frame is free.
  int64_t refcount = 0;
  // The folio's mapcount: page-table entries mapping this data page. Set by setup and kept by
  // the reclaim actor (core/protocols/rmap_unmap.cc); zap and the anonymous fault do not update
  // it yet (no gup_vs_zap actor reads it). Reset by every allocation.
  int64_t mapcount = 0;
  // PageAnonExclusive: the anonymous page belongs to exactly one mm, so GUP may pin it read-only
  // without unsharing. Set by setup for mapped pages, cleared by a swap-out that shares the page
  // (core/protocols/rmap_unmap.cc). Reset by every allocation.
  uint64_t anon_exclusive = 0;
  // References held from outside the run: long-term pins taken before it started (an RDMA
  // registration: Mapping.pins), which nothing in the run drops. The end-of-run refcount check
  // accounts for them. Reset by every allocation.
  int64_t external_refs = 0;
  // folio->mapping (kPageMappingAnon, InodeMapping(), or 0 once truncated). Reset by every
  // allocation.
  uint64_t mapping = 0;
  // page->compound_head (include/linux/page-flags.h): 0 for a head or an order-0 page, and for a
  // tail page of a large folio its head's address with bit 0 set (CompoundHeadWord()). A shared
  // word (CompoundHeadLoc): page_folio() reads it, a split or a free clears it. Reset by every
  // allocation.
  uint64_t compound_head = 0;
  // The folio's order on its head page (folio_order(): 2^order frames from the head); 0 for an
  // order-0 page and for tails. Bookkeeping (the head's flags word is not a location here).
  uint8_t order = 0;
  // HVO remapped the vmemmap page holding this frame's struct page read-only (VmemmapLoc).
  // Reset by every allocation.
  uint64_t struct_page_ro = 0;
  // PG_tail in the two-word compound layout (PageTailLoc). Reset by every allocation.
  uint64_t page_tail = 0;
  // DeferredListLoc: which deferred split list the folio is on. Reset by every allocation and
  // every free (the free path's folio_undo_large_rmappable()).
  uint64_t deferred_list = 0;
  // History, for violation reports only.
  uint32_t alloc_step = 0;
  uint32_t free_step = 0;
  CpuId alloc_cpu = 0;
  CpuId free_cpu = 0;
  bool ever_freed = false;
};

class PhysMemory {
 public:
  explicit PhysMemory(uint32_t num_frames);

  uint32_t num_frames() const { return static_cast<uint32_t>(frames_.size()); }
  const FrameInfo& frame(FrameId f) const { return frames_[f]; }
  FrameInfo& mutable_frame(FrameId f) { return frames_[f]; }
  // Ground truth of page_folio(f): the head of the folio frame `f` belongs to now.
  FrameId FolioOf(FrameId f) const { return CompoundHeadOf(f, frames_[f].compound_head); }

  uint32_t num_free() const { return static_cast<uint32_t>(free_list_.size()); }
  // Option `i` of an allocation: the i-th most recently freed frame.
  FrameId FreeFrameOption(uint32_t i) const { return free_list_[free_list_.size() - 1 - i]; }

  // The heads of the naturally aligned blocks of 2^order frames that are all free, lowest first
  // (the buddy allocator hands out aligned blocks).
  std::vector<FrameId> FreeAlignedBlocks(uint32_t order) const;

  // Takes `f` off the free list, bumps its generation, zeroes it, refcount 1 (the allocation's).
  void Allocate(FrameId f, FrameState state, PtLevel level, uint32_t step, CpuId cpu);
  // Puts `f` at the hot end of the free list. REQUIRES: f is allocated.
  void Free(FrameId f, uint32_t step, CpuId cpu);

  uint64_t ReadWord(FrameId f, uint32_t index) const;
  void WriteWord(FrameId f, uint32_t index, uint64_t value);
  // The non-zero entries of frame `f`, by ascending index.
  std::vector<std::pair<uint32_t, uint64_t>> NonZeroWords(FrameId f) const;

 private:
  std::vector<FrameInfo> frames_;
  std::vector<FrameId> free_list_;  // back() is the most recently freed
  // Sparse contents: (index, value) pairs in insertion order, zeros dropped.
  std::vector<absl::InlinedVector<std::pair<uint32_t, uint64_t>, 4>> words_;
};

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_MEMORY_H_

// What every shared access says about itself: which location it touches and with which ordering
// (STYLE.md 2.2; docs/memory-models.md).
//
// Locations. Everything a protocol shares lives at a `Loc`, one 64-bit word of the simulated
// machine, named by a space and a payload:
//   - kPtEntry: a page-table entry; the payload is its physical address (core/pte.h EntryAddr),
//     so a PT-entry Loc is the PhysAddr itself.
//   - kRefcount: folio->_refcount of a frame; the payload is the frame.
//   - kMapcount: the folio's mapcount (folio->_mapcount + 1 for a small folio: the number of
//     page-table entries mapping it); the payload is the frame.
//   - kAnonExclusive: the PageAnonExclusive bit of an anonymous page (1 set, 0 clear); the
//     payload is the frame.
//   - kLock: a spinlock word (a split PTL, by PTE-table frame, or mm->page_table_lock).
//   - kVar: a plain shared variable of a litmus test; the payload is its index.
//   - kMmUsers: mm->mm_users, the mm's user count (payload 0); 1 until the exit path's mmput().
//   - kPtHalf: one 32-bit half of a split page-table entry (x86-PAE pte_low / pte_high, and
//     pmd_low / pmd_high); the payload is the entry's address, plus 4 for the high half. On a
//     machine with split entries the kPtEntry Loc of such an entry names both halves at once:
//     what a 64-bit atomic (cmpxchg8b) reads and writes.
// The World keeps the ground truth of each (core/world.cc ReadLoc / WriteLoc); the memory model
// (core/store_buffer.h, core/relaxed_memory.h) decides which value a CPU's load sees.
//
// Orders. Each access names the kernel primitive it models (tools/memory-model/Documentation/
// ordering.txt in the kernel tree describes them):
//   kPlain     a C access (`*p`, `pmd_none(*pmd)`): treated as kOnce; the compiler's freedom to
//              tear, fuse or invent plain accesses is not modelled (docs/memory-models.md).
//   kOnce      READ_ONCE / WRITE_ONCE and atomic_read / atomic_set: no ordering.
//   kAcquire   smp_load_acquire, and the _acquire RMW forms: orders this access before every
//              later access of the CPU.
//   kRelease   smp_store_release, spin_unlock, and the _release RMW forms: orders every earlier
//              access before this store, cumulatively (what this CPU has observed propagates
//              before it).
//   kRelaxed   the _relaxed RMW forms, non-value-returning atomics (atomic_inc, folio_ref_add),
//              and a failed cmpxchg: atomic, unordered.
//   kFull      value-returning RMWs (xchg, cmpxchg that succeeds, atomic_*_return,
//              atomic_add_unless that succeeds): an smp_mb() on each side.
#ifndef PTFUZZ_CORE_MEM_ORDER_H_
#define PTFUZZ_CORE_MEM_ORDER_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "core/pte.h"

namespace ptfuzz {

using Loc = uint64_t;

enum class LocSpace : uint8_t {
  kPtEntry = 0,
  kRefcount = 1,
  kLock = 2,
  kVar = 3,
  kMapcount = 4,
  kAnonExclusive = 5,
  kPtHalf = 6,
  kMmUsers = 7,
  kFolioMapping = 8,  // folio->mapping of a frame (include/linux/mm_types.h)
  kInode = 9,         // the first word of an inode's address_space (i_mapping->a_ops) read through
                      // folio->mapping
  kTlbFlushPending = 10,  // mm->tlb_flush_pending of mm `payload` (include/linux/mm_types.h)
  kWriteProtectSeq = 11,  // mm->write_protect_seq of mm `payload` (a seqcount, kernel/fork.c)
  kCompoundHead = 12,     // page->compound_head of frame `payload` (include/linux/mm_types.h)
  kVmemmap = 13,          // the vmemmap PTE mapping frame `payload`'s struct page: 1 read-only
  kPageTail = 14,         // PG_tail of page->flags of frame `payload` (the two-word layout of
                          // compound pages before 1d798ca3f164)
  kDeferredList = 15,     // where folio `payload`'s _deferred_list link is (DeferredListLoc)
};

inline constexpr int kLocSpaceShift = 60;
inline constexpr uint64_t kLocPayloadMask = (uint64_t{1} << kLocSpaceShift) - 1;

inline constexpr Loc MakeLoc(LocSpace space, uint64_t payload) {
  return (uint64_t{static_cast<uint8_t>(space)} << kLocSpaceShift) | (payload & kLocPayloadMask);
}
inline constexpr LocSpace LocSpaceOf(Loc loc) {
  return static_cast<LocSpace>(loc >> kLocSpaceShift);
}
inline constexpr uint64_t LocPayload(Loc loc) { return loc & kLocPayloadMask; }
inline constexpr Loc PtEntryLoc(PhysAddr entry) { return MakeLoc(LocSpace::kPtEntry, entry); }
inline constexpr Loc RefcountLoc(FrameId frame) { return MakeLoc(LocSpace::kRefcount, frame); }
inline constexpr Loc LockLoc(uint64_t lock) { return MakeLoc(LocSpace::kLock, lock); }
inline constexpr Loc VarLoc(uint32_t index) { return MakeLoc(LocSpace::kVar, index); }
inline constexpr Loc MapcountLoc(FrameId frame) { return MakeLoc(LocSpace::kMapcount, frame); }
inline constexpr Loc MmUsersLoc() { return MakeLoc(LocSpace::kMmUsers, 0); }
inline constexpr Loc FolioMappingLoc(FrameId frame) {
  return MakeLoc(LocSpace::kFolioMapping, frame);
}
inline constexpr Loc InodeLoc(uint32_t inode) { return MakeLoc(LocSpace::kInode, inode); }
inline constexpr Loc TlbFlushPendingLoc(uint32_t mm) {
  return MakeLoc(LocSpace::kTlbFlushPending, mm);
}
inline constexpr Loc WriteProtectSeqLoc(uint32_t mm) {
  return MakeLoc(LocSpace::kWriteProtectSeq, mm);
}
inline constexpr Loc PtHalfLoc(PhysAddr entry, bool high) {
  return MakeLoc(LocSpace::kPtHalf, entry | (high ? 4 : 0));
}
inline constexpr bool IsPtLoc(Loc loc) {
  return LocSpaceOf(loc) == LocSpace::kPtEntry || LocSpaceOf(loc) == LocSpace::kPtHalf;
}
// The entry a kPtEntry or kPtHalf Loc belongs to, and whether it is a high half.
inline constexpr PhysAddr PtLocEntry(Loc loc) { return LocPayload(loc) & ~uint64_t{7}; }
inline constexpr bool PtLocIsHigh(Loc loc) {
  return LocSpaceOf(loc) == LocSpace::kPtHalf && (LocPayload(loc) & 4) != 0;
}
inline constexpr Loc CompoundHeadLoc(FrameId frame) {
  return MakeLoc(LocSpace::kCompoundHead, frame);
}
// 1 once HVO remapped the vmemmap page holding frame `frame`'s struct page read-only
// (mm/hugetlb_vmemmap.c vmemmap_remap_pte()): any write to that struct page then faults.
inline constexpr Loc VmemmapLoc(FrameId frame) { return MakeLoc(LocSpace::kVmemmap, frame); }
// PG_tail of frame `frame` in the two-word compound layout (CompoundHeadLayout): 1 for a tail,
// whose head pointer (page->first_page) is then CompoundHeadLoc's word.
inline constexpr Loc PageTailLoc(FrameId frame) { return MakeLoc(LocSpace::kPageTail, frame); }
// Folio `folio`'s _deferred_list link (include/linux/mm_types.h): kNotQueued, kOnSplitQueue (the
// deferred split queue), or kOnScannerList (deferred_split_scan()'s private list). Changed under
// kSplitQueueLock.
inline constexpr Loc DeferredListLoc(FrameId folio) {
  return MakeLoc(LocSpace::kDeferredList, folio);
}
inline constexpr uint64_t kNotQueued = 0;
inline constexpr uint64_t kOnSplitQueue = 1;
inline constexpr uint64_t kOnScannerList = 2;
inline constexpr Loc AnonExclusiveLoc(FrameId frame) {
  return MakeLoc(LocSpace::kAnonExclusive, frame);
}

enum class MemOrder : uint8_t { kPlain, kOnce, kAcquire, kRelease, kRelaxed, kFull };

inline constexpr absl::string_view MemOrderName(MemOrder o) {
  switch (o) {
    case MemOrder::kPlain:
      return "plain";
    case MemOrder::kOnce:
      return "once";
    case MemOrder::kAcquire:
      return "acquire";
    case MemOrder::kRelease:
      return "release";
    case MemOrder::kRelaxed:
      return "relaxed";
    case MemOrder::kFull:
      return "full";
  }
  return "?";
}

// Barriers (include/asm-generic/barrier.h). smp_mb__before_atomic / smp_mb__after_atomic are
// full barriers here: on every architecture the kernel supports they are at least that when
// combined with the atomic they bracket.
enum class FenceKind : uint8_t { kMb, kRmb, kWmb, kMbBeforeAtomic, kMbAfterAtomic };

inline constexpr absl::string_view FenceKindName(FenceKind f) {
  switch (f) {
    case FenceKind::kMb:
      return "smp_mb";
    case FenceKind::kRmb:
      return "smp_rmb";
    case FenceKind::kWmb:
      return "smp_wmb";
    case FenceKind::kMbBeforeAtomic:
      return "smp_mb__before_atomic";
    case FenceKind::kMbAfterAtomic:
      return "smp_mb__after_atomic";
  }
  return "?";
}

inline constexpr bool IsFullFence(FenceKind f) {
  return f == FenceKind::kMb || f == FenceKind::kMbBeforeAtomic || f == FenceKind::kMbAfterAtomic;
}

// The read-modify-write operations. Each reads the newest value of its location (coherence
// order), computes the new one, and writes it unless it fails.
enum class RmwOp : uint8_t {
  kXchg,       // new = a
  kCmpxchg,    // new = b if old == a; fails otherwise
  kAdd,        // new = old + a (two's complement; atomic_sub adds the negation)
  kAddUnless,  // new = old + a unless old == b; fails otherwise
};

// An address dependency: a load whose address was computed from the value an earlier load of the
// same CPU returned (every page-table walk: the next level's address comes from this entry).
// Opaque; 0 means none. Only the relaxed model looks at it (SC and TSO keep load->load order).
using Dep = uint32_t;
inline constexpr Dep kNoDep = 0;

// What a load returns: the value and the dependency token later loads through it pass on.
struct Loaded {
  uint64_t value = 0;
  Dep dep = kNoDep;
  operator uint64_t() const { return value; }  // NOLINT: a Loaded is used as its value
};

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_MEM_ORDER_H_

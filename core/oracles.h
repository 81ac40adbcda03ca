// Oracles: the invariants checked while a run executes and when it ends (kernel-mm.md 14.4).
//
// Hooks are called by the World at the operations they watch (table loads and stores, refcount
// updates, frees, end of run) and by protocols at points only they know (GUP-fast's window). Each
// hook is a few comparisons; the first violation is kept and ends the run.
//
//  - pinned page not mapped: while a GUP-fast call is in flight the oracle collects every
//    (frame, generation) its address translated to at any instant (the translation at entry, and
//    after every page-table store). The page it returns must be one of them, with the generation
//    it has when returned; "freed and reused" is reported with both generations.
//  - reference taken after unmap: from the instant GUP-fast's reference is taken until it
//    returns, the PMD slot and PTE slot it read (the PMD slot alone for a huge PMD) must map the
//    page (same generation) at some instant. A reference that lands after the leaf entry was
//    cleared is a violation at the return (the store-buffering shape of Z12/Z13); one that lands
//    after only the pmd was cleared (a THP collapse under way) is one if the leaf entry is
//    cleared before the caller releases the page (the collapse copied it under the caller, Z01),
//    and not if the unmapper saw the reference and restored the pmd.
//  - discarded while referenced / unshared while pinned: an unmapper discards a page's mapping,
//    or clears its PageAnonExclusive, while GUP-fast holds a reference or pin it returned (or
//    GUP-fast returns one it held across the discard or unshare) (Z12, Z13).
//  - refcount: never raised from 0, never below 0, freed only at 0; at the end every data page's
//    count equals the number of PTEs mapping it and every table is reachable.
//  - walker reads a freed table: a load from a frame that is not a live table of the expected
//    level; a load from a table freed and reallocated (at any level) since the walker read the
//    entry that named it (generation check); spin_lock() of a freed table's PTL; a table this
//    mm unshared and another mm wrote since (Z11); an inode freed under folio->mapping (Z19).
//  - table entry not a table: a store makes a present upper entry point to something that is not
//    a table of the next level; a walker finds a pmd that fails pmd_bad() or names no memory.
//  - stale TLB: a data page is freed while a TLB still maps it (same generation), or a page table
//    while a paging-structure cache still points to it (Z15); an unmap returns from
//    tlb_finish_mmu() while a TLB still maps an address of its range to a page that a concurrent
//    mmu_gather batch unhooked and has not flushed (the nested-gather rule, 99baac21e458).
//  - torn entry used: every read of a split (x86-PAE) entry reports the value it assembled and
//    the stores its halves came from (OnSplitRead); when that CPU then uses the value as present
//    (OnEntryUse: a table pointer, the page GUP-fast returns) and the entry never held it as a
//    whole (World::EntryExisted, judged at the use), the report names both stores. Using it for
//    GUP-fast's speculative try-get is not a use: the recheck must drop that reference.
//
//  - contpte: the entries a lockless read of a contiguous block accepted form one block (valid,
//    contiguous, consecutive pfns, equal protections); with the variant's exact-dirty switch, a
//    page reported dirty had a dirty entry of its own at some instant of the read.
//
//  - wrong-location table pointer: every entry a lockless walker uses is read from the slot the
//    page-table geometry puts it in, directly or through a local copy of that slot (Z04, Z05).
#ifndef PTFUZZ_CORE_ORACLES_H_
#define PTFUZZ_CORE_ORACLES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "core/pte.h"
#include "core/violation.h"

namespace ptfuzz {

class World;
struct Cpu;
struct MmuGather;

class Oracles {
 public:
  explicit Oracles(World& world) : world_(world) {}

  const std::optional<Violation>& violation() const { return violation_; }
  // Records `kind` unless a violation was already found. `explanation` is kernel-terms prose.
  void Report(const Cpu& cpu, ViolationKind kind, std::string explanation);
  // Deadlocks are detected by the scheduler, not at a CPU's step.
  void ReportGlobal(ViolationKind kind, std::string explanation);

  // GUP-fast's window on `cpu` for `vaddr` opens (gup_fast() entry) and closes when it returns
  // `frame` (kNoFrame when it pinned nothing). A call of several pages opens one window per page,
  // in address order, and closes them in the same order.
  void OnGupBegin(const Cpu& cpu, VirtAddr vaddr);
  void OnGupReturn(const Cpu& cpu, FrameId frame);
  // GUP-fast on `cpu` took a reference on `frame`, which it found through the PMD slot `pmdp`
  // and the PTE slot `ptep` (the slots it read itself; `ptep` 0 for a huge PMD's folio).
  // Dropped: the recheck failed and it puts the reference back.
  // `vaddr`: the page of the call's range (each page has its window).
  void OnGupRefTaken(const Cpu& cpu, VirtAddr vaddr, FrameId frame, PhysAddr pmdp, PhysAddr ptep);
  void OnGupRefDropped(const Cpu& cpu, VirtAddr vaddr);
  // A lockless walker on `cpu` loaded `value` through `entryp` as the `level` entry for `vaddr`.
  // `entryp` is a table slot, or a word of the CPU's own stack (core/pte.h IsStackAddr) when an
  // offset helper returned the address of a local: it must then hold a copy of the slot the
  // geometry assigns (World::StackSource), or the walker is reading garbage as an entry
  // (wrong-location table pointer, Z04, Z05).
  void OnWalkLoad(const Cpu& cpu, PtLevel level, VirtAddr vaddr, PhysAddr entryp, uint64_t value);
  // The mm of `cpu` dropped its share of the PMD table `table` (huge_pmd_unshare()): the table is
  // another mm's from now on. A walker of this mm that then reads from it a present entry another
  // mm wrote since walks a table it does not own (Z11).
  void OnTableUnshared(const Cpu& cpu, FrameId table);
  // GUP-fast's caller on `cpu` is done with the page it returned (the I/O completed) and is
  // about to put it.
  void OnGupRelease(const Cpu& cpu);
  // An unmapper on `cpu` discards the mapping of `frame` (try_to_unmap_one() on a lazyfree
  // page): its content is dropped, the page will not be mapped there again.
  void OnDiscard(const Cpu& cpu, FrameId frame);
  // An unmapper on `cpu` clears PageAnonExclusive of `frame` (folio_try_share_anon_rmap_pte()).
  void OnUnshare(const Cpu& cpu, FrameId frame);

  // A reader on `cpu` (`reader`, e.g. "ptep_get_lockless()") assembled `value` for the split
  // entry at `entry` from a low half written by World::split_stores()[low_src] and a high half
  // from [high_src] (-1: the value the run started with; -2: the CPU's own buffered store).
  // `recheck_src`: for a retry loop, the store its final re-read of the low half read (-3: none).
  void OnSplitRead(const Cpu& cpu, PhysAddr entry, PtLevel level, uint64_t value,
                   int32_t low_src, int32_t high_src, const char* reader,
                   int32_t recheck_src = -3);
  enum class EntryUse : uint8_t { kTablePointer, kReturnedPage };
  // The CPU uses `value`, read from `entry`, as a present entry.
  void OnEntryUse(const Cpu& cpu, PhysAddr entry, uint64_t value, EntryUse use);

  void OnTableLoad(const Cpu& cpu, FrameId table, PtLevel level);
  // GUP-fast is about to take a reference on the struct page of `value`'s pfn, which names no
  // memory (read from `entry`).
  void OnMissingPage(const Cpu& cpu, PhysAddr entry, uint64_t value);
  // A walker found `value` in the table entry at `entry` and cannot use it as a table pointer
  // (`why`: pmd_bad(), or a pfn with no memory): a corrupted page table (table_entry_not_a_table).
  void OnBadTableEntry(const Cpu& cpu, PhysAddr entry, uint64_t value, const char* why);
  // A load from inode `inode`'s address_space through folio->mapping (GUP-fast's
  // gup_fast_folio_allowed()): the inode must not have been freed (Z19).
  void OnInodeLoad(const Cpu& cpu, uint32_t inode);
  // A page-table entry (or one half of a split one) was written: `entry` now holds `value`.
  void OnTableStore(PhysAddr entry, uint64_t value);
  // arm64 contpte (core/protocols/contpte.h): a lockless read of the entry at `ptep` begins, and
  // returns `value`, which it gathered from the block entries `pass` (in block order, from the
  // block's first entry), or read alone (`pass` empty: not in a block, or the norecency read).
  void OnContReadBegin(const Cpu& cpu, PhysAddr ptep);
  void OnContRead(const Cpu& cpu, PhysAddr ptep, uint64_t value,
                  const std::vector<uint64_t>& pass);
  // A plain read of `frame`'s refcount (an unmapper's check for extra references).
  void OnRefcountRead(const Cpu& cpu, FrameId frame);
  void OnRefAdd(const Cpu& cpu, FrameId frame, int64_t old_count);
  void OnRefPut(const Cpu& cpu, FrameId frame, int64_t new_count);
  void OnFree(const Cpu& cpu, FrameId frame);
  // `cpu` returns from tlb_finish_mmu(tlb): no CPU of that mm may still translate an address of
  // the range the caller unmapped through a TLB entry to a page another mmu_gather batch
  // unhooked and has not flushed yet (mm_tlb_flush_nested(), stale_tlb_after_unmap).
  void OnTlbFinishMmu(const Cpu& cpu, const MmuGather& tlb);
  // A FOLL_PIN of `page` at `vaddr` in `cpu`'s mm that stays held (World::HoldPin()).
  void OnPinHeld(const Cpu& cpu, VirtAddr vaddr, FrameId page);
  // A COW fault of `cpu`'s mm (wp_page_copy()) replaces `old_page` at `vaddr` with a copy: the
  // pinning process must keep mapping a page it pinned (Z14, pin_lost_to_cow).
  void OnCowReplace(const Cpu& cpu, VirtAddr vaddr, FrameId old_page);
  // GUP-fast returns `page` for `vaddr` holding a reference on `folio` (what
  // try_grab_folio_fast() returned): the page must belong to that folio now (Z03).
  void OnGupFolioReturned(const Cpu& cpu, VirtAddr vaddr, FrameId page, FrameId folio);
  // An atomic write to `frame`'s refcount while HVO has its struct page mapped read-only (Z16).
  void OnReadonlyStructPageWrite(const Cpu& cpu, FrameId frame);
  // compound_head(page) found `page` a tail and read a NULL head pointer (Z18).
  void OnCompoundHeadNull(const Cpu& cpu, FrameId page);
  // Migration releases folio `folio`, whose identity it moved away after finding (or freezing)
  // its refcount at `expected`, as exclusive: the count must still be that, and the folio on no
  // deferred split list (Z17).
  void OnMigratedFolioReleased(const Cpu& cpu, FrameId folio, int64_t expected);
  void OnRunEnd();

 private:
  struct GupWindow {
    CpuId cpu;
    VirtAddr vaddr;
    std::vector<std::pair<FrameId, uint32_t>> seen;  // (frame, generation), in order seen
    // From OnGupRefTaken until the return: the reference and the slots that must still map it.
    bool ref_held = false;
    FrameId ref_frame = kNoFrame;
    uint32_t ref_generation = 0;
    PhysAddr pmdp = 0;
    PhysAddr ptep = 0;
    uint32_t ref_step = 0;
    bool covered = false;  // the slots mapped it at some instant while the reference was held
  };
  void Observe(GupWindow& window);
  // A page GUP-fast returned although its reference landed while the pmd slot it walked did
  // not map the page, the leaf (PTE) slot still did. A violation if the leaf stops mapping it
  // and the unmapper's last refcount check of the page came before the caller released it
  // (the check missed the reference, or saw it and went on: either way the unmap, a collapse's
  // copy, can overlap the caller's I/O, however long that takes); forgotten when both slots map
  // it again (the unmapper saw the reference and restored the pmd).
  struct UnmappedReturn {
    GupWindow window;
    FrameId frame;
    uint32_t generation;
    uint32_t return_step;
    std::string actor;
    const char* site;
    uint32_t release_step = ~0u;  // ~0u: not released yet
  };
  // Per frame: the step of the last refcount read by each CPU (~0u: none), for the above.
  std::vector<std::vector<uint32_t>> refcount_reads_;
  struct HeldPin {
    CpuId cpu;
    uint32_t mm;
    VirtAddr vaddr;
    FrameId page;
    uint32_t generation;
    uint32_t step;
  };
  std::vector<HeldPin> held_pins_;
  std::vector<UnmappedReturn> unmapped_returns_;
  void CheckUnmappedReturns();
  // Whether the leaf slot of `window` (the PTE slot, or the pmd slot of a huge PMD) maps its
  // referenced page now: in memory, or (relaxed model, !ground_truth) in its CPU's view.
  bool LeafMapsRef(const GupWindow& window, bool ground_truth) const;
  void ReportRefTakenAfterUnmap(const GupWindow& w, FrameId frame, uint32_t generation,
                                uint32_t return_step, const std::string& actor, const char* site,
                                const std::string& outcome);
  // Whether the slots of `window` map its referenced page now (ground truth).
  bool SlotsMapRef(const GupWindow& window) const;
  std::string FrameHistory(FrameId frame) const;

  World& world_;
  std::optional<Violation> violation_;
  std::vector<GupWindow> windows_;  // open windows, by opening order
  // Pages GUP-fast returned and whose caller still holds them: (cpu, frame), by return order.
  std::vector<std::pair<CpuId, FrameId>> returned_;
  // Discards and unshares so far, in order: what GUP-fast's reference must not outlive.
  struct Harm {
    FrameId frame;
    uint32_t step;
    ViolationKind kind;  // kDiscardedWhileReferenced or kUnsharedWhilePinned
  };
  std::vector<Harm> harms_;
  void RecordHarm(const Cpu& cpu, FrameId frame, ViolationKind kind);
  struct SplitRead {
    CpuId cpu;
    PhysAddr entry;
    PtLevel level;
    uint64_t value;
    int32_t low_src;
    int32_t high_src;
    const char* reader;
    int32_t recheck_src;
  };
  std::vector<SplitRead> split_reads_;  // the latest few per CPU, oldest first
  struct DirtyWatch {
    CpuId cpu;
    PhysAddr ptep;
    uint32_t step;
    bool dirty_seen;  // the entry was dirty at some instant since `step`
  };
  std::vector<DirtyWatch> dirty_watches_;
  // Per CPU: the table the last entry a walker used as a table pointer names, the allocation
  // generation that frame had then, and the step (OnWalkLoad): a load from that frame after it
  // was freed and reallocated (at the same level or not) is a walk of a freed table (Z02).
  struct ChildTable {
    FrameId table = kNoFrame;
    uint32_t generation = 0;
    uint32_t step = 0;
    PtLevel level = PtLevel::kPte;
  };
  absl::InlinedVector<ChildTable, 4> child_tables_;
  struct Unshare {
    FrameId table;
    uint32_t mm;
    uint32_t step;
  };
  std::vector<Unshare> unshares_;
  struct ForeignStore {  // a store into an unshared table
    PhysAddr entry;
    uint32_t step;
    uint32_t mm;
    CpuId cpu;
  };
  std::vector<ForeignStore> unshared_table_stores_;
  std::string DescribeSplitSource(int32_t src, bool high, uint64_t half) const;
};

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_ORACLES_H_

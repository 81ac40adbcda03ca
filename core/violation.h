// Violation: a finding about the simulated kernel protocol (STYLE.md 2.5), never a ptfuzz bug.
//
// A violation names the broken invariant (kernel-mm.md section 14.4), where it was detected (step,
// CPU, actor, kernel function) and explains in kernel terms what happened. The first violation
// ends the run. Its signature (kind, detecting function) is what `ptfuzz minimize` preserves.
#ifndef PTFUZZ_CORE_VIOLATION_H_
#define PTFUZZ_CORE_VIOLATION_H_

#include <cstdint>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"

#include "core/pte.h"

namespace ptfuzz {

enum class ViolationKind : uint8_t {
  // GUP-fast returned a page that was not mapped at the address, with that allocation generation,
  // at any instant of its window (Z01; the freed-and-reused case of seed 003).
  kPinnedPageNotMapped,
  // GUP-fast returned a page that, at no instant while its reference was held, was still mapped
  // by the PMD and PTE slots the walker itself read, with the generation it referenced: the
  // reference was taken after the unmap, which the unmapper's refcount check cannot see
  // (Z12, Z13; kernel-mm.md section 12).
  kRefTakenAfterUnmap,
  // An unmapper discarded a page (a lazyfree page's mapping dropped by reclaim) while a GUP
  // reference to it was live: the reference holder's I/O goes to a page the mm no longer maps
  // (Z12).
  kDiscardedWhileReferenced,
  // PageAnonExclusive was cleared (the page shared, e.g. by swap-out) while a GUP pin on it was
  // live: a later fault maps another page, and the DMA goes to the old one (Z13).
  kUnsharedWhilePinned,
  // A page-table entry value that the entry never held as a whole (its halves were read from
  // different stores of a split x86-PAE entry) was used as present: as a table pointer, or as
  // the page GUP-fast returns (Z06, Z07, Z08). A torn value that is rejected as not present, or
  // whose speculative reference the recheck drops, is allowed (kernel-mm.md section 12).
  kTornEntryUsed,
  // A lockless read of an arm64 contiguous block accepted entries that are not one block (not
  // all valid and contiguous, not consecutive pfns, or different protections) and returned a
  // value gathered from them (Z20).
  kContInconsistentRead,
  // With the exact-dirty oracle of seed 001 (a KVM-style user): a lockless read reported a page
  // dirty although its own entry was not dirty at any instant of the read (Z20).
  kFalsePositiveDirty,
  // A refcount was raised from 0: the folio was free or frozen (Z03, Z17).
  kRefcountIncFromZero,
  // A refcount went below 0.
  kRefcountUnderflow,
  // A frame was freed while references remained.
  kFreeWithReferences,
  // At the end of the run a frame's refcount differs from its mappings plus held references.
  kRefcountLeak,
  // A walker loaded from a page-table frame that is free, reused, or of another level (Z02, Z09),
  // or dereferenced an inode that was freed (Z19).
  kWalkerReadsFreedTable,
  // A data page was freed while some CPU's TLB still mapped it, or a page table while a
  // paging-structure cache still pointed to it: freed before the covering flush (Z15).
  kStaleTlbAfterFree,
  // A present table entry (pmd, pud, pgd) was set to point to a frame that is not a live page
  // table of the next level: the structure itself is broken, whoever walks it next (Z10's pmd
  // restored to pfn 0).
  kTableEntryNotTable,
  // A walker loaded an entry it uses from a location that is not the table slot the geometry puts
  // that entry in: its own stack (an offset helper returned the address of a local copy, and the
  // walk stepped or re-indexed from there), or a slot of another index or level (Z04, Z05).
  kWrongLocationTablePointer,
  // GUP-fast followed an entry whose pfn names no memory to its struct page and would take a
  // reference there: the kernel has no pfn_valid() check on this path (pte_page() is plain
  // arithmetic), so it writes a refcount that is no page's.
  kRefOnMissingPage,
  // An unmap (MADV_DONTNEED, munmap, truncation) returned from tlb_finish_mmu() while a CPU's TLB
  // still translated an address of its range to a page another, concurrent mmu_gather batch had
  // unhooked and not yet flushed: user space keeps reaching the page after the call returned
  // (mm_tlb_flush_nested(), 99baac21e458).
  kStaleTlbAfterUnmap,
  // A COW fault of a process replaced a page that process holds a FOLL_PIN on: the DMA goes to a
  // page it no longer maps (Z14).
  kPinLostToCow,
  // GUP-fast returned a page while the reference it took is on a folio that no longer contains
  // the page (split, or freed and reused, between page_folio() and the try-get): the caller's
  // put_page() drops a reference it never took from the page's own folio, and the old folio's
  // reference leaks (Z03).
  kRefOnWrongFolio,
  // A refcount RMW hit a struct page that HVO (hugetlb vmemmap optimisation) had remapped
  // read-only: a speculative PFN walker's get_page_unless_zero() on a page that became a tail
  // of a hugetlb folio (Z16).
  kWriteToReadonlyStructPage,
  // compound_head() of a page returned a NULL head pointer: the tail flag and the pointer were
  // read from two words between or out of the order their writer stored them (Z18).
  kCompoundHeadNull,
  // A migrator moved a folio's identity to a new folio after a refcount check, while a
  // reference taken after that check (a speculative getter's) is still live: the getter later
  // puts a folio the migrator released as if exclusive (Z17).
  kRepurposedWhileReferenced,
  // No CPU can run but some are unfinished (e.g. an IPI flush waiting on a CPU that waits for it).
  kDeadlock,
};

absl::string_view ViolationKindName(ViolationKind kind);
// The inverse of ViolationKindName; nullopt for an unknown name.
std::optional<ViolationKind> ViolationKindFromName(absl::string_view name);
// The invariant, one sentence.
absl::string_view ViolationInvariant(ViolationKind kind);

struct Violation {
  ViolationKind kind;
  uint32_t step = 0;
  CpuId cpu = 0;
  std::string actor;         // e.g. "gup_fast@cpu0"
  std::string site;          // the kernel function running when it was detected
  std::string explanation;   // what happened, in kernel terms
};

// What minimization preserves: the same bug, found at the same place.
std::string ViolationSignature(const Violation& v);

// What a campaign deduplicates findings by (`ptfuzz fuzz`): the scenario, its variant, the
// invariant and the operation that trips it, as "scenario/variant kind@site". Two crashes with
// the same finding signature are the same bug however differently they were scheduled.
std::string FindingSignature(absl::string_view scenario, absl::string_view variant,
                             const Violation& v);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_VIOLATION_H_

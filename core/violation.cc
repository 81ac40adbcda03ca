#include "core/violation.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace ptfuzz {

absl::string_view ViolationKindName(ViolationKind kind) {
  switch (kind) {
    case ViolationKind::kPinnedPageNotMapped: return "pinned_page_not_mapped";
    case ViolationKind::kRefTakenAfterUnmap: return "ref_taken_after_unmap";
    case ViolationKind::kDiscardedWhileReferenced: return "discarded_while_referenced";
    case ViolationKind::kUnsharedWhilePinned: return "unshared_while_pinned";
    case ViolationKind::kTornEntryUsed: return "torn_entry_used";
    case ViolationKind::kContInconsistentRead: return "contpte_inconsistent_read";
    case ViolationKind::kFalsePositiveDirty: return "false_positive_dirty";
    case ViolationKind::kRefcountIncFromZero: return "refcount_inc_from_zero";
    case ViolationKind::kRefcountUnderflow: return "refcount_underflow";
    case ViolationKind::kFreeWithReferences: return "free_with_references";
    case ViolationKind::kRefcountLeak: return "refcount_leak";
    case ViolationKind::kWalkerReadsFreedTable: return "walker_reads_freed_table";
    case ViolationKind::kStaleTlbAfterFree: return "stale_tlb_after_free";
    case ViolationKind::kTableEntryNotTable: return "table_entry_not_a_table";
    case ViolationKind::kWrongLocationTablePointer: return "wrong_location_table_pointer";
    case ViolationKind::kRefOnMissingPage: return "ref_on_missing_page";
    case ViolationKind::kStaleTlbAfterUnmap:
      return "stale_tlb_after_unmap";
    case ViolationKind::kPinLostToCow:
      return "pin_lost_to_cow";
    case ViolationKind::kRefOnWrongFolio:
      return "ref_on_wrong_folio";
    case ViolationKind::kWriteToReadonlyStructPage:
      return "write_to_readonly_struct_page";
    case ViolationKind::kCompoundHeadNull:
      return "compound_head_null";
    case ViolationKind::kRepurposedWhileReferenced:
      return "repurposed_while_referenced";
    case ViolationKind::kDeadlock: return "deadlock";
  }
  return "?";
}

std::optional<ViolationKind> ViolationKindFromName(absl::string_view name) {
  for (int k = 0; k <= static_cast<int>(ViolationKind::kDeadlock); ++k) {
    if (ViolationKindName(static_cast<ViolationKind>(k)) == name) {
      return static_cast<ViolationKind>(k);
    }
  }
  return std::nullopt;
}

absl::string_view ViolationInvariant(ViolationKind kind) {
  switch (kind) {
    case ViolationKind::kPinnedPageNotMapped:
      return "a page GUP-fast returns was mapped at that address, with the same allocation "
             "generation, at some instant of its window";
    case ViolationKind::kRefTakenAfterUnmap:
      return "after GUP-fast takes its reference, the PMD and PTE slots it walked still map the "
             "page, with the same generation, at some instant while the reference is held";
    case ViolationKind::kDiscardedWhileReferenced:
      return "a mapping is never discarded while a GUP reference to its page is live";
    case ViolationKind::kUnsharedWhilePinned:
      return "a pinned exclusive anonymous page stays exclusive until it is unpinned";
    case ViolationKind::kTornEntryUsed:
      return "a page-table entry value is used as present (a table pointer, a returned page) "
             "only if the entry held that value as a whole at some instant";
    case ViolationKind::kContInconsistentRead:
      return "a lockless read of a contiguous block returns bits gathered only from entries that "
             "are valid, contiguous, map consecutive pfns and share protections, or retries";
    case ViolationKind::kFalsePositiveDirty:
      return "(optional, for a KVM-style user) a lockless read reports a page dirty only if its "
             "own entry was dirty at some instant of the read";
    case ViolationKind::kRefcountIncFromZero:
      return "a refcount that is 0 (free or frozen) is never incremented";
    case ViolationKind::kRefcountUnderflow:
      return "a refcount never goes below 0";
    case ViolationKind::kFreeWithReferences:
      return "a frame is freed only when its refcount is 0";
    case ViolationKind::kRefcountLeak:
      return "at the end of a run every reference is accounted for by a mapping, and no "
             "page-table entry maps a free frame";
    case ViolationKind::kWalkerReadsFreedTable:
      return "a walker loads only from live memory of the kind it expects: a page table of the "
             "level it walks, or an object it holds a reference on or that RCU keeps alive for it "
             "(an inode reached through folio->mapping)";
    case ViolationKind::kStaleTlbAfterFree:
      return "a data page (or page table) is freed only after the TLB flush that removes every "
             "TLB entry (or paging-structure cache entry) that reaches it";
    case ViolationKind::kTableEntryNotTable:
      return "a present pmd, pud or pgd entry that is not a huge leaf points to a live page table "
             "of the next level";
    case ViolationKind::kWrongLocationTablePointer:
      return "every entry a walker uses is read from the live table slot that holds it for that "
             "address (or from a local copy of that slot), never from a stack word or another slot";
    case ViolationKind::kRefOnMissingPage:
      return "GUP-fast takes references only on pages that exist: a present entry it uses names a "
             "pfn with memory";
    case ViolationKind::kStaleTlbAfterUnmap:
      return "when an unmap's tlb_finish_mmu() returns, no CPU's TLB translates an address of its "
             "range to a page a concurrent unmap has unhooked and not yet flushed";
    case ViolationKind::kPinLostToCow:
      return "after a successful FOLL_PIN, the pinning process keeps mapping the pinned page: no "
             "COW replaces it while the pin is held";
    case ViolationKind::kRepurposedWhileReferenced:
      return "a folio is repurposed (migrated away, released as exclusive) only while its refcount "
             "is the one its repurposer checked or froze: no speculative reference taken after the "
             "check is live";
    case ViolationKind::kCompoundHeadNull:
      return "compound_head() of a page returns the page itself or the head of a compound page "
             "it belongs to, never NULL";
    case ViolationKind::kWriteToReadonlyStructPage:
      return "no refcount write (not even a failing atomic) reaches a struct page that HVO has "
             "remapped read-only";
    case ViolationKind::kRefOnWrongFolio:
      return "the reference GUP-fast holds for a page it returns is on the folio that contains "
             "that page";
    case ViolationKind::kDeadlock:
      return "some CPU can always make progress until every actor has finished";
  }
  return "?";
}

std::string ViolationSignature(const Violation& v) {
  return absl::StrCat(ViolationKindName(v.kind), "@", v.site);
}

std::string FindingSignature(absl::string_view scenario, absl::string_view variant,
                             const Violation& v) {
  return absl::StrCat(scenario, "/", variant, " ", ViolationSignature(v));
}

}  // namespace ptfuzz

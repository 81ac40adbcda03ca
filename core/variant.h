// ProtocolVariant: the bug-injection switches of the modelled kernel code.
//
// A scenario variant ("fixed", "no_pte_recheck", ...) names one setting of these switches
// (core/scenarios/registry.cc). Every switch defaults to the kernel's current behaviour, so a
// default-constructed ProtocolVariant is the fixed kernel. Switch names follow kernel-mm.md
// section 14.5 where one exists there.
#ifndef PTFUZZ_CORE_VARIANT_H_
#define PTFUZZ_CORE_VARIANT_H_

#include <cstdint>

namespace ptfuzz {

// How an x86-PAE walker reads a pmd it derives a PTE table from (core/protocols/
// pgtable_lockless.h pmd_read_for_walk()).
enum class PaePmdRead : uint8_t {
  kLowHighRetry,  // pmdp_get_lockless()'s retry loop (v6.2+)
  kReadAtomic,    // pmd_read_atomic(): low; if nonzero, smp_rmb() and high (v3.5-v6.1)
  kPlainLowHigh,  // *pmd as two plain loads, low half first
  kPlainHighLow,  // *pmd as two plain loads, high half first (CVE-2012-2373)
};

// How arm64's ptep_get_lockless() reads an entry of a contiguous block (core/protocols/
// contpte.h).
enum class ContpteRead : uint8_t {
  kEarlyStop,   // contpte_ptep_get_lockless() today: scan, check, stop once young and dirty seen
  kFullScan,    // v6.9: scan all CONT_PTES entries, checking each
  kNoCheck,     // the scan without the structural check (bug injection)
  kNoRecency,   // ptep_get_lockless_norecency() (RFC, seed 001): the entry alone, no A/D gathering
};

// khugepaged's retract_page_tables() (core/protocols/khugepaged.h), by era.
enum class RetractForm : uint8_t {
  kLockless,         // v6.6+ (Hugh Dickins, 2023): no mmap lock; pmd lock and PTL;
                     // pmdp_get_lockless_sync(); pte_free_defer() (RCU)
  kTrylockTestExit,  // Aug 2020 (18e77600f7a1) - 2023: mmap_write_trylock(), then
                     // khugepaged_test_exit(); pte_free() at once
  kTrylock,          // before Aug 2020: mmap_write_trylock(), no exit test; pte_free() at once
};

// GUP-fast's pXd_offset_lockless() helpers (include/linux/pgtable.h, mm/gup.c), by era; what
// they return at folded levels matters (core/geometry.h, Z04, Z05).
enum class LocklessOffset : uint8_t {
  kFixed,      // v6.11+: kGeneric plus arm64's p4d_offset_lockless() for
               // CONFIG_PGTABLE_LEVELS <= 4 returning the live pgdp (36639013b346)
  kGeneric,    // v5.10-v6.10: pXd_offset_lockless(pXdp, pXd, addr), generic form
               // pXd_offset(&pXd, addr); s390 overrides every level with the live pointer and
               // pXd_addr_end_folded() (d3f7b1bb2040), arm64 the pud (runtime folding)
  kStackCopy,  // before v5.10: pXd_offset(&pXd, addr) of the caller's local at every level, and
               // the generic pXd_addr_end() at folded levels
};

// How a compound page's tails name their head (include/linux/mm.h, include/linux/page-flags.h).
enum class CompoundHeadLayout : uint8_t {
  // One word, bit 0 the tail flag: page->compound_head (1d798ca3f164, v4.5).
  kOneWord,
  // PG_tail in page->flags and the pointer page->first_page: prep_compound_page() sets the flag,
  // then the pointer; compound_head() tests the flag, then reads the pointer (before v3.19).
  kTailFlagFirst,
  // "mm: close PageTail race" (668f9abbd433, v3.19-v4.4): the pointer, smp_wmb(), the flag;
  // compound_head() reads the flag, the pointer, smp_rmb(), the flag again.
  kRecheck,
};

struct ProtocolVariant {
  // gup_fast_pte_range(): recheck the PTE after taking the reference (mm/gup.c). Off: the
  // reference may land on a page that was freed and reused after the first read.
  bool gup_pte_recheck = true;
  // ... comparing the whole entry. Off (x86-PAE): only pte_low, the half the LOW_HIGH loop's
  // comment says decides presence; an ABA of the low word passes it (Z08).
  bool gup_pte_recheck_whole = true;
  // gup_fast_pte_range(): recheck the PMD too (70cbc3cc78a9, Z01; kernel-mm.md switch
  // drop_pmd_recheck when off). Only a PMD writer (gup_vs_thp_collapse) makes it matter.
  bool gup_pmd_recheck = true;
  // x86-PAE: how gup_fast_pmd_range() reads the pmd. Before 1180e732c985 (v6.2) it was
  // READ_ONCE(*pmdp): two 32-bit loads, low half first (Z07, kernel-mm.md switch
  // plain_pmd_read); since, pmdp_get_lockless().
  PaePmdRead gup_pmd_read = PaePmdRead::kLowHighRetry;
  // collapse_huge_page(): tlb_remove_table_sync_one() after pmdp_collapse_flush(), an IPI to
  // every CPU that waits out interrupts-off walkers even where the flush sends none (2ba99c5e0881,
  // Nov 2022; Z02; on x86-PAE it doubles as pmdp_get_lockless_sync(), Z07). Off: kernel-mm.md
  // switch drop_collapse_sync_one.
  bool collapse_sync_one = true;
  // collapse_huge_page(): vma_start_write() before check_pmd_still_valid() (Barry Song's fix of
  // the collapse / PT_RECLAIM race, Aug 2025; Z10). Off: the check first, so a MADV_DONTNEED
  // under the per-VMA lock can empty and free the table in between and the failure path
  // restores a none pmd: pfn 0 as a PTE table.
  bool collapse_vma_lock_first = true;
  // retract_page_tables(): which era's form (Z09).
  RetractForm retract_form = RetractForm::kLockless;
  // The exit path's zap_pte_range() (exit_mmap() -> unmap_vmas()): off, today's
  // pte_offset_map_lock(), one read of the pmd; on, the form before 2023 (kernel-mm.md switch
  // reread_pmd_in_pte_offset_map): zap_pmd_range() checks *pmd, then pte_offset_map_lock()
  // reads it again to compute the PTE pointer, and a transient 0 makes it pfn 0 (Z09). The old
  // exit_mmap() also ran without the mmap lock.
  bool exit_zap_rereads_pmd = false;
  // GUP-fast's offset helpers at folded levels (Z04, Z05).
  LocklessOffset gup_lockless_offset = LocklessOffset::kFixed;
  // tlb_remove_table(): free a page table at once when the mm has a single user (mm_users < 2),
  // the shortcut "mm/tlb: Remove tlb_remove_table() non-concurrent condition" removed (Peter
  // Zijlstra, 2018; Z15). Off (the kernel since): always batch, flush, then free.
  bool tlb_remove_table_single_user = false;
  // tlb_finish_mmu(): when mm_tlb_flush_nested() (another mmu_gather of the mm is in progress),
  // flush the whole mm, since this batch may have found entries the other one cleared and not
  // flushed yet ("mm: fix MADV_[FREE|DONTNEED] TLB flush miss problem", 99baac21e458, v4.13;
  // fullmm since 7a30df49f63a). Off: flush only what this batch cleared, and a MADV_DONTNEED
  // that found the entry already none returns while another CPU's TLB still maps the page.
  bool tlb_flush_nested = true;
  // tlb_remove_table() when its batch page cannot be allocated: tlb_table_invalidate() (flush
  // the TLB and paging-structure caches) before tlb_remove_table_one() frees the table after
  // tlb_remove_table_sync_one() ("mm/tlb, x86/mm: Support invalidating TLB caches for
  // RCU_TABLE_FREE", d86564a2f085, 2018). Off: the IPI only waits out interrupts-off software
  // walkers; a hardware walker's cached pointer to the freed table survives.
  bool table_invalidate_before_one = true;
  // gup_fast() with FOLL_PIN samples mm->write_protect_seq before the walk and fails (unpinning)
  // if it was odd or changed after it (57efa1fe5957, "mm/gup: prevent gup_fast from racing with
  // COW during fork", v5.11; Z14). Off: a pin taken through a PTE fork() is about to
  // write-protect survives, and the parent's next write copies the page away from the DMA.
  bool gup_write_protect_seq = true;
  // copy_present_pte(): a page that may be DMA-pinned (page_maybe_dma_pinned(): refcount at or
  // above GUP_PIN_COUNTING_BIAS) is copied for the child instead of shared (70e806e4e645, v5.9).
  bool fork_copies_pinned = true;
  // Not a kernel version: a candidate answer to the open question of docs/folios-and-fork.md.
  // copy_page_range() issues smp_mb() instead of raw_write_seqcount_begin()'s smp_wmb() after
  // making mm->write_protect_seq odd, ordering that store before page_maybe_dma_pinned()'s load.
  bool fork_seq_full_barrier = false;
  // huge_pmd_unshare(): tlb_remove_table_sync_one() after the pud is cleared (1013af4f585f, Jann
  // Horn, 2025; Z11). Off: a GUP-fast of the unsharing mm may keep walking the PMD table the
  // other sharer now owns and changes.
  bool hugetlb_unshare_sync = true;
  // destroy_inode(): free the inode after an RCU grace period (call_rcu(&inode->i_rcu,
  // i_callback), fs/inode.c), which GUP-fast's interrupts-off section holds off: what keeps
  // gup_fast_folio_allowed()'s dereference of folio->mapping safe (Z19). Off: freed at once.
  bool inode_free_rcu = true;
  // try_grab_folio_fast(): add-unless-zero. Off: a plain folio_ref_add(), which resurrects a
  // freed folio (the CONFIG_TINY_RCU shortcut of folio_ref_try_add_rcu() used where it is unsafe).
  bool gup_try_get_unless_zero = true;
  // try_get_folio() rechecks page_folio(page) == folio after taking the reference, and retries on
  // a mismatch (c24d37322548, v5.13; Z03). Without it a split between the lookup and the increment
  // leaves the reference on the old head while the page returned is a folio of its own.
  bool gup_folio_recheck = true;
  // Not a kernel version: __split_huge_page() restores the head's reference with a release
  // (page_ref_unfreeze()) instead of page_ref_inc(), ordering the tails' clear_compound_head()
  // before it; a candidate answer to the relaxed model's question (docs/folios-and-fork.md).
  bool split_head_unfreeze_release = false;
  // HVO calls synchronize_rcu() between freezing a fresh hugetlb folio and remapping its struct
  // pages read-only, and page_ref_add_unless() runs in an RCU read-side section and writes only a
  // nonzero count (page_count_writable()) (bd225530a4c7, v6.12; Z16).
  bool hvo_rcu_sync = true;
  // Z18: the layout compound_head() and prep_compound_page() use.
  CompoundHeadLayout compound_head_layout = CompoundHeadLayout::kOneWord;
  // folio_migrate_mapping() of an anonymous (mapping-less) large folio freezes its refcount with
  // the expected count and takes it off the deferred split queue while frozen, instead of only
  // checking the count (Hugh Dickins, v6.10; Z17).
  bool migrate_freeze_unmapped = true;
  // tlb_flush_mmu(): invalidate the TLB before freeing the batched pages (include/asm-generic/
  // tlb.h). Off: free first, flush after.
  bool zap_flush_before_free = true;
  // try_to_unmap_one() on a lazyfree folio: compare the refcount with the mapcount before
  // discarding (6c8e2a256915, Z12). Off: discard a clean lazyfree page unconditionally, as
  // 802a3a92ad7a "mm: reclaim MADV_FREE pages" did.
  bool unmap_lazyfree_check_refs = true;
  // ... with smp_mb() between the PTE clear and the refcount read (kernel-mm.md switch
  // drop_unmap_sb_mb when off). x86's xchg is a full barrier on its own; arm64's xchg_relaxed
  // is not.
  bool unmap_lazyfree_sb_mb = true;
  // try_grab_folio_fast(FOLL_PIN): smp_mb__after_atomic() after the pin's folio_ref_add(), before
  // the PTE recheck (088b8aa537c2, Z13 reader side; kernel-mm.md switch drop_anon_share_sb_mb).
  bool gup_pin_mb_after_atomic = true;
  // folio_try_share_anon_rmap_pte(): smp_mb() between the PTE clear and the pinned check (Z13
  // writer side). x86's xchg clear is a full barrier itself; arm64's xchg_relaxed is not.
  bool share_anon_mb = true;
  // x86-PAE native_ptep_get_and_clear(): one 64-bit exchange (pxx_xchg64, b7301f20105a, v6.2).
  // Off: the older form, xchg() of the low half, then the high half read and cleared.
  bool pae_get_and_clear_xchg64 = true;
  // x86-PAE: how the fault path reads the pmd it maps the PTE table from (Z06, Z07).
  PaePmdRead pae_pmd_read = PaePmdRead::kLowHighRetry;
  // x86-PAE __pte_offset_map(): interrupts off around pmdp_get_lockless()
  // (pmdp_get_lockless_start()/_end(), "mm/pgtable: add PAE safety to __pte_offset_map()").
  bool pae_pte_offset_map_irq_off = true;
  // arm64 contpte: the lockless read of a block entry (Z20).
  ContpteRead contpte_read = ContpteRead::kEarlyStop;
  // The optional oracle of seed 001's KVM use: a lockless read may report a page dirty only if
  // its own entry was dirty at some instant of the read (off: A/D exactness is no invariant).
  bool oracle_exact_dirty = false;
};

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_VARIANT_H_

// GUP-fast and PT_RECLAIM vs khugepaged's anonymous collapse (collapse_huge_page(), core/protocols/
// khugepaged.h): the PMD writer of bug zoo Z01 and Z07.
//
// gup_vs_thp_collapse (Z01, any architecture): GUP-fast reads the pmd and a PTE, khugepaged
// clears the pmd and flushes without waiting for it (a broadcast or paravirt flush), checks the
// page's refcount before GUP-fast's reference lands, then copies the page and frees it. GUP-fast's
// PTE recheck passes (the PTE is cleared only later), so without the PMD recheck of 70cbc3cc78a9 it
// returns a page no longer mapped. tlb_remove_table_sync_one() after the clear (2ba99c5e0881)
// closes the same window from the writer's side.
//
// pae_gup_vs_collapse (Z07, x86-PAE): the same writer against the halves of the pmd. The old PTE
// table sits at 4 GiB, so its pmd has a nonzero high word; clearing it between GUP-fast's two
// loads of READ_ONCE(*pmdp) (before 1180e732c985) yields {old low, 0}: a present pmd naming
// frame 0 (the pgd) as a PTE table. pmdp_get_lockless()'s loop rejects that, but when the
// collapse fails (a pinned page) and restores the same table, the low word is back and the loop
// accepts {low, 0} (the ABA of Z08 at the PMD level) unless the reader's interrupts-off section
// holds the restore off: with IPI flushes the flush does, with broadcast and paravirt flushes only
// the sync IPI (on PAE, what pmdp_get_lockless_sync() is for).
//
// Defaults:
//  - gup_vs_thp_collapse: ARCH_X86_64, 2 CPUs, IPI flushes, 8 frames; page P = 0x7f0000000000;
//    GUP-fast on CPU 0 at P, khugepaged on CPU 1 collapsing P's 2 MiB range.
//  - pae_gup_vs_collapse: ARCH_X86_PAE, 3 CPUs, IPI flushes, 16 frames; four pages at
//    0x7f0000200000 (the next PMD range) take frames 0-7 with the upper tables, so P's PTE table is
//    frame 8 (pfn 0x100000, at 4 GiB) and P frame 9. GUP-fast on CPU 0 at P, khugepaged on CPU 1,
//    and pin_user_pages_fast() on CPU 2 at P, whose pin makes the collapse fail when it lands
//    before the refcount check.
#ifndef PTFUZZ_CORE_SCENARIOS_GUP_VS_THP_COLLAPSE_H_
#define PTFUZZ_CORE_SCENARIOS_GUP_VS_THP_COLLAPSE_H_

#include "core/scenarios/registry.h"

namespace ptfuzz {

inline constexpr uint64_t kCollapsePage = 0x7f0000000000;

ScenarioSpec GupVsThpCollapseSpec();
ScenarioSpec PaeGupVsCollapseSpec();
// collapse_vs_pt_reclaim (Z10): khugepaged's collapse vs a MADV_DONTNEED of the whole range with
// PT_RECLAIM (core/protocols/pt_reclaim.h). Before the fix the collapse checks the pmd, then
// takes the VMA write lock; the madvise, under the per-VMA read lock, empties the table, clears
// the pmd and frees the table in between; the collapse's flush then returns a none pmd, and its
// failure path restores pmd_pgtable() of none: pfn 0 (here f0, the pgd) as a PTE table.
// Default: ARCH_X86_64, 2 CPUs, IPI flushes, 8 frames; page P = 0x7f0000000000; khugepaged on
// CPU 0 and the madvise on CPU 1, both on P's range. GUP-fast may be added as a walker of the
// table the madvise frees (RCU keeps it until GUP-fast enables interrupts).
ScenarioSpec CollapseVsPtReclaimSpec();
// gup_vs_collapse_table_free (Z02): GUP-fast, khugepaged's collapse, then MADV_DONTNEED of the
// huge range, whose zap_huge_pmd() frees the table the collapse deposited at once (pte_free()).
// GUP-fast read the old pmd before the collapse cleared it and walks that table after the free,
// unless something waited for its interrupts-off section between the clear and the deposit: an
// IPI flush, or the sync IPI of 2ba99c5e0881. Default: ARCH_X86_64, 3 CPUs, IPI flushes, 8
// frames; GUP-fast on CPU 0, khugepaged on CPU 1 and the madvise on CPU 2, all on P's range.
ScenarioSpec GupVsCollapseTableFreeSpec();
// retract_vs_exit (Z09, seed 002): khugepaged's retract_page_tables() vs the exit path's zap.
// Before 2020 the retract, under mmap_write_trylock(), did not test for an exiting mm; the exit
// path, holding no mmap lock, checked the pmd and read it again in pte_offset_map_lock(): a
// retract in between made the second read 0 and the zap read "PTEs" from pfn 0 (here f0, the
// pgd). 18e77600f7a1 made the retract skip an mm whose mm_users is 0 (the exit path's
// khugepaged_exit() orders the two through the mmap lock); since 2023 the retract takes no mmap
// lock and the zap reads the pmd once (pte_offset_map_lock()), with the table freed by RCU.
// Default: ARCH_X86_64, 2 CPUs, IPI flushes, 8 frames; P's range has an empty PTE table
// (Mapping.table_only); the retract on CPU 0 and the exit on CPU 1.
ScenarioSpec RetractVsExitSpec();

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_SCENARIOS_GUP_VS_THP_COLLAPSE_H_

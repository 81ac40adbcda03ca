// khugepaged's anonymous collapse: collapse_huge_page() (mm/khugepaged.c, v6.6-v6.12;
// kernel-mm.md section 8.1), the PMD writer of bug zoo Z01 and Z07.
//
// The sequence modelled, after khugepaged's scan picked the PMD range of `addr`:
//   alloc_charge_folio()                    the huge folio (one frame here, core/pte.h)
//   vma_start_write()                       the VMA write lock (switch collapse_vma_lock_first)
//   check_pmd_still_valid()                 walk to the pmd; give up if none or already huge
//   pmd_lock()                              mm->page_table_lock
//   _pmd = pmdp_collapse_flush()            pmdp_huge_get_and_clear() + flush_tlb_range()
//   spin_unlock()
//   tlb_remove_table_sync_one()             IPI and wait (2ba99c5e0881; switch collapse_sync_one)
//   pte_offset_map_lock(&_pmd)              the old PTE table, from the local copy, its PTL;
//                                           NULL if _pmd is none (a PT_RECLAIM freed the table)
//   __collapse_huge_page_isolate()          per PTE: present, refcount == mapcount, isolate
//   spin_unlock(pte_ptl)
//   failure: pmd_lock(); pmd_populate(pmd_pgtable(_pmd)) (pfn 0 if _pmd was none); unlock; put
//            the isolated pages and the folio
//   success: __collapse_huge_page_copy_succeeded(): per PTE, release the isolation reference,
//            ptep_clear(), folio_remove_rmap_pte(), free_page_and_swap_cache()
//            __folio_mark_uptodate() (smp_wmb), pmd_lock(), folio_add_new_anon_rmap(),
//            pgtable_trans_huge_deposit(old table), set_pmd_at(huge PMD), unlock
//
// Left out, because nothing in the scenarios that use it can observe them: mmap_write_lock()
// (it excludes faults and other mmap-lock users; GUP-fast never takes it, and the madvise of
// PT_RECLAIM takes only the VMA lock), anon_vma_lock_write() (excludes rmap walkers), the MMU notifiers, the scan phase
// (hpage_collapse_scan_pmd(): its checks are repeated under the locks by the isolate step), swap-in,
// and the copy of the data itself. The isolate step reads the PTEs of the range that the run can
// populate (the setup mappings and the actors' addresses in it); the others of its 512 are none
// throughout, and reading them would add steps and change nothing.
#ifndef PTFUZZ_CORE_PROTOCOLS_KHUGEPAGED_H_
#define PTFUZZ_CORE_PROTOCOLS_KHUGEPAGED_H_

#include "core/cpu.h"
#include "core/task.h"

namespace ptfuzz {

// pmdp_collapse_flush() (mm/pgtable-generic.c): clears the PMD of the huge range at `haddr` and
// flushes its TLB entries. Returns the old PMD.
Task<uint64_t> pmdp_collapse_flush(Cpu& cpu, PhysAddr pmdp, VirtAddr haddr);

// The ACTOR_KHUGEPAGED_COLLAPSE actor: collapse_huge_page() of the PMD range containing `addr`.
Task<void> CollapseHugePageActor(Cpu& cpu, VirtAddr addr);

// The ACTOR_KHUGEPAGED_RETRACT actor: retract_page_tables() (mm/khugepaged.c; kernel-mm.md
// section 8.2) for the PMD range containing `addr`, after collapse_file() put a huge folio in the
// page cache and unmapped the small pages: the empty PTE table is unhooked and freed. In the form
// the variant names (ProtocolVariant::retract_form):
//   today:       pmd_lock(); the PTL (from *pmd); pmdp_collapse_flush(); pmdp_get_lockless_sync();
//                unlock both; pte_free_defer() (freed after an RCU grace period)
//   2020-2023:   mmap_write_trylock() (skip the mm if it fails); khugepaged_test_exit() (skip a
//                dying mm: mm_users is 0); pmd_lock(); pmdp_collapse_flush(); unlock;
//                [tlb_remove_table_sync_one() since 2ba99c5e0881]; pte_free() at once; unlock
//   before 2020: the same without the exit test (Z09)
// The i_mmap lock, the VMA checks and the MMU notifiers are not modelled.
Task<void> RetractPageTablesActor(Cpu& cpu, VirtAddr addr);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_KHUGEPAGED_H_

// hugetlb PMD-table sharing: huge_pmd_unshare() in one mm while GUP-fast walks it, and the other
// sharer reusing the table afterwards (mm/hugetlb.c; v6.6-v6.17; bug zoo Z11).
//
// Two mms mapping the same MAP_SHARED hugetlbfs range at PUD-aligned addresses share one PMD
// table (huge_pmd_share()); its page's refcount counts the sharers. Unmapping the range in one of
// them does not clear the shared entries but only that mm's pud:
//   __unmap_hugepage_range():
//     i_mmap_lock_write(mapping)            the rmap lock of the shared file
//     huge_pte_lock()                       the PMD table's lock
//     huge_pmd_unshare(): if the table is shared (refcount > 1):
//       pud_clear(pud)                      this mm no longer reaches the table ...
//       put_page(table)                     ... and no longer counts as a sharer
//       tlb_remove_table_sync_one()         1013af4f585f (2025): wait out lockless walkers of this
//                                           mm that read the pud before the clear
//     otherwise clear the entry (huge_ptep_get_and_clear()) and put the page after the flush
//     unlock; flush the range on this mm's CPUs (a4a118f2eead: under the i_mmap lock, since once
//     it is dropped the other sharer may change what the table maps); i_mmap_unlock_write()
// The remaining sharer owns the table from then on and may reuse it for anything its own range
// holds: unmap its piece of the file (the same function: now it is the only user, so the entry
// itself is cleared) and map something else there (MAP_FIXED | MAP_HUGETLB anonymous memory, whose
// fault installs a private page in the same table). Its TLB flushes interrupt only its own CPUs.
// What keeps a GUP-fast of the first mm, still walking the table it read from its pud, from
// pinning that private page is the first mm's IPI: tlb_remove_table_sync_one(), or, where
// flushes are IPIs, its own flush; both done before the i_mmap lock the second mm's unmap needs is
// released.
// Modelled for PMD-sized hugetlb pages on the default four-level geometry; a hugetlb page is one
// frame (core/pte.h); the hugetlb fault mutex and VMA locks are not modelled (one thread per mm).
#ifndef PTFUZZ_CORE_PROTOCOLS_HUGETLB_H_
#define PTFUZZ_CORE_PROTOCOLS_HUGETLB_H_

#include "core/cpu.h"
#include "core/task.h"

namespace ptfuzz {

// The ACTOR_HUGETLB_UNSHARE actor: munmap() of the hugetlb range at `addr` in the CPU's mm.
Task<void> HugetlbUnshareActor(Cpu& cpu, VirtAddr addr);

// The ACTOR_HUGETLB_REMAP actor: munmap() of the hugetlb range at `addr` in the CPU's mm, then
// mmap(MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB) there and a write fault.
Task<void> HugetlbRemapActor(Cpu& cpu, VirtAddr addr);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_HUGETLB_H_

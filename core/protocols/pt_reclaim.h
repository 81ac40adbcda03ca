// PT_RECLAIM: freeing a PTE table that a zap emptied (mm/pt_reclaim.c, CONFIG_PT_RECLAIM, v6.14+;
// kernel-mm.md section 8), and the MADV_DONTNEED of a whole 2 MiB range that reaches it.
//
// madvise(MADV_DONTNEED) of a range of at least PMD_SIZE (reclaim_pt_is_enabled()) zaps every
// PTE of the table, then try_to_free_pte():
//   pmd_lock(); __pte_offset_map() (the table from one pmd read); the PTL
//   every PTE still none?  (a fault may have refilled one)
//   pmd_clear(); unlock both
//   pte_free_tlb(): the table goes into the mmu_gather batch, freed after the flush and an RCU
//   grace period (tlb_remove_table(), CONFIG_MMU_GATHER_RCU_TABLE_FREE)
// The madvise runs under the per-VMA read lock, not the mmap lock: khugepaged's mmap write lock
// does not exclude it, only its vma_start_write() does (bug zoo Z10).
//
// A huge PMD in the range is zapped by zap_huge_pmd() (core/protocols/huge_memory.h), which frees
// its deposited table at once. Not modelled: the try-lock of the pmd lock (taken unconditionally here), the fallback when the table batch
// cannot be allocated (tlb_remove_table_one()).
#ifndef PTFUZZ_CORE_PROTOCOLS_PT_RECLAIM_H_
#define PTFUZZ_CORE_PROTOCOLS_PT_RECLAIM_H_

#include "core/cpu.h"
#include "core/protocols/mmu_gather.h"
#include "core/task.h"

namespace ptfuzz {

// try_to_free_pte(mm, pmd, addr, tlb): frees the PTE table under `pmdp` (the range at
// `pmd_start`) if all its entries are none.
Task<void> try_to_free_pte(Cpu& cpu, PhysAddr pmdp, Dep pmdp_dep, VirtAddr pmd_start,
                           MmuGather& tlb);

// The ACTOR_MADV_DONTNEED_RANGE actor: madvise(MADV_DONTNEED) of the 2 MiB range containing
// `addr` under the per-VMA lock, with PT_RECLAIM.
Task<void> MadvDontneedRangeActor(Cpu& cpu, VirtAddr addr);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_PT_RECLAIM_H_

// Huge-PMD teardown: zap_huge_pmd() (mm/huge_memory.c, v6.6-v6.12), as MADV_DONTNEED of a whole
// 2 MiB range reaches it (zap_pmd_range() in mm/memory.c).
//
//   pmd_lock(); still pmd_trans_huge()?
//   orig = pmdp_huge_get_and_clear_full()      the exchange, as pmdp_huge_get_and_clear()
//   tlb_remove_pmd_tlb_entry()
//   folio_remove_rmap_pmd()                    mapcount - 1
//   zap_deposited_table(): pgtable_trans_huge_withdraw(); pte_free()   freed NOW, no RCU, no
//                                                                      flush: why a collapse
//                                                                      that deposited the table
//                                                                      must first wait out
//                                                                      GUP-fast (Z02)
//   spin_unlock(); tlb_remove_page_size(): the folio is freed after the flush
//
// Not modelled: the huge zero page, DAX and special mappings, the split a partial range needs.
#ifndef PTFUZZ_CORE_PROTOCOLS_HUGE_MEMORY_H_
#define PTFUZZ_CORE_PROTOCOLS_HUGE_MEMORY_H_

#include "core/cpu.h"
#include "core/protocols/mmu_gather.h"
#include "core/task.h"

namespace ptfuzz {

// Returns true when it zapped a huge PMD at `pmdp` (the range at `haddr`), false when the pmd
// was no longer huge once locked.
Task<bool> zap_huge_pmd(Cpu& cpu, MmuGather& tlb, PhysAddr pmdp, VirtAddr haddr);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_HUGE_MEMORY_H_

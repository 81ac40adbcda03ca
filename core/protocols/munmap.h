// munmap() of a range by the mm's only user: unmap_region() -> unmap_vmas() (zap the PTEs) and
// free_pgtables() (unhook and free the emptied page tables), then tlb_finish_mmu() (mm/mmap.c,
// mm/memory.c free_pte_range(), mm/mmu_gather.c; v4.14-v6.12, the same steps).
//
//   mmap_write_lock()
//   zap_pte_range()        every PTE of the range cleared under the PTL, its page queued
//   free_pte_range():      pmd_clear(); pte_free_tlb() -> tlb_remove_table()
//   tlb_finish_mmu():      flush the TLB (and with it every paging-structure cache entry of the
//                          range), then free the batched tables (after an RCU grace period) and
//                          pages
// The tables' freeing is what bug zoo Z15 is about: tlb_remove_table() once freed the table at
// once for a single-user mm (ProtocolVariant::tlb_remove_table_single_user), before the flush.
// The range is the whole 2 MiB of one PTE table; upper tables are kept (free_pgtables() frees
// them only when their whole span goes, which no scenario needs).
#ifndef PTFUZZ_CORE_PROTOCOLS_MUNMAP_H_
#define PTFUZZ_CORE_PROTOCOLS_MUNMAP_H_

#include "core/cpu.h"
#include "core/task.h"

namespace ptfuzz {

// The ACTOR_MUNMAP_RANGE actor: munmap() of the 2 MiB range containing `addr`.
Task<void> MunmapRangeActor(Cpu& cpu, VirtAddr addr);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_MUNMAP_H_

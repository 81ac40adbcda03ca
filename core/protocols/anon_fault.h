// An anonymous write fault and the user access that follows it (mm/memory.c handle_mm_fault() ->
// __handle_mm_fault() -> handle_pte_fault() -> do_anonymous_page(); v6.6-v6.12).
//
// Sequence modelled:
//   walk down from the pgd; at each level whose entry is none, __pud_alloc() / __pmd_alloc() /
//   __pte_alloc(): allocate a zeroed table, take mm->page_table_lock, and if the entry is still
//   none publish it (smp_wmb() then pXd_populate(): the table is filled before it is reachable);
//   otherwise another CPU won and the new table is freed with pte_free()
//   handle_pte_fault(): a present PTE means the fault is spurious (another thread mapped it)
//   do_anonymous_page(): alloc the folio (before any lock; which frame: a Decider answer),
//   pte_offset_map_lock(), recheck pte_none() (else release the folio and return), set_pte_at(),
//   unlock
//   the retried user access: the hardware walker fills this CPU's TLB
// The mmap read lock / VMA lock is held throughout and excludes nothing that runs here (zap also
// holds it for read).
#ifndef PTFUZZ_CORE_PROTOCOLS_ANON_FAULT_H_
#define PTFUZZ_CORE_PROTOCOLS_ANON_FAULT_H_

#include "core/cpu.h"
#include "core/task.h"

namespace ptfuzz {

// The ACTOR_ANON_FAULT actor: a user write to `addr` that faults, then completes.
Task<void> AnonFaultActor(Cpu& cpu, VirtAddr addr);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_ANON_FAULT_H_

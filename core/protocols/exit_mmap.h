// The last user of an mm exits: mmput() (kernel/fork.c) -> __mmput() -> khugepaged_exit()
// (mm/khugepaged.c) -> exit_mmap() (mm/mmap.c) -> unmap_vmas() -> ... -> zap_pte_range()
// (mm/memory.c), for the 2 MiB range of `addr` (bug zoo Z09, seed 002).
//
//   atomic_dec_and_test(&mm->mm_users)        fully ordered; only the last user goes on
//   khugepaged_exit(): mmap_write_lock(); mmap_write_unlock()   waits for khugepaged to leave
//                                                              the mm (__khugepaged_exit())
//   exit_mmap(): [mmap_read_lock() since 2022] unmap_vmas(): the zap of the range
//   tlb_finish_mmu()
// The zap reads the pmd as the variant's era did (ProtocolVariant::exit_zap_rereads_pmd): today
// pte_offset_map_lock() derives the table from one read; before 2023 zap_pmd_range() checked
// *pmd and pte_offset_map_lock() read it again, and exit_mmap() took no mmap lock at all, so
// khugepaged's retract could clear the pmd in between. free_pgtables() is not modelled.
#ifndef PTFUZZ_CORE_PROTOCOLS_EXIT_MMAP_H_
#define PTFUZZ_CORE_PROTOCOLS_EXIT_MMAP_H_

#include "core/cpu.h"
#include "core/task.h"

namespace ptfuzz {

// The ACTOR_EXIT_MMAP actor.
Task<void> ExitMmapActor(Cpu& cpu, VirtAddr addr);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_EXIT_MMAP_H_

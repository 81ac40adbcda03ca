// A user write to a write-protected anonymous PTE: handle_mm_fault() -> do_wp_page() (mm/memory.c,
// v5.9-v5.18: "mm: do_wp_page() simplification", 09854ba94c6a, reuses a page only when its
// refcount is 1).
//
//   mmap_read_lock()
//   pte_offset_map_lock(); pte = ptep_get()       present and writable: nothing to do
//   do_wp_page():
//     page_count(page) == 1: wp_page_reuse()       set the W and dirty bits
//     otherwise: get_page(old); unlock; wp_page_copy():
//       alloc the new page; copy; pte_offset_map_lock()
//       pte_same(): ptep_clear_flush() (xchg, flush), set_pte_at(new, writable),
//                   page_remove_rmap(old), put_page(old)   the mapping's reference
//       unlock; put_page(old)                               do_wp_page()'s reference
//   mmap_read_unlock()
//
// A page another process shares after fork() is copied: the writer gets a new page. So is a page
// pinned for DMA (its refcount carries GUP_PIN_COUNTING_BIAS): the oracle pin_lost_to_cow reports
// a copy that takes the mapping away from a page the same process holds a FOLL_PIN on (Z14).
// The mmap read lock is modelled as exclusive: its only other holder in the scenarios is fork()'s
// write lock.
#ifndef PTFUZZ_CORE_PROTOCOLS_WP_FAULT_H_
#define PTFUZZ_CORE_PROTOCOLS_WP_FAULT_H_

#include "core/cpu.h"
#include "core/task.h"

namespace ptfuzz {

// The ACTOR_WRITE_FAULT actor: a user write to `addr`, its fault if the PTE is write-protected,
// and the retried access that fills this CPU's TLB.
Task<void> WriteFaultActor(Cpu& cpu, VirtAddr addr);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_WP_FAULT_H_

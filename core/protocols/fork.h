// fork(): dup_mmap() -> copy_page_range() -> copy_pte_range() -> copy_present_pte() of one
// anonymous page into the child (kernel/fork.c, mm/memory.c; v5.11-v5.18, after "mm: Do early cow
// for pinned pages during fork() for ptes" (70e806e4e645, v5.9) and "mm/gup: prevent gup_fast from
// racing with COW during fork" (57efa1fe5957, v5.11), before PageAnonExclusive took over the
// pinned-page decision in v5.19).
//
//   mmap_write_lock(oldmm)
//   copy_page_range():
//     raw_write_seqcount_begin(&src_mm->write_protect_seq)    seq++ (odd), smp_wmb()
//     pte_offset_map_lock(src)                                 the parent's PTL (the child's table
//                                                              is private until fork returns)
//     pte = ptep_get(src_pte)
//     page_needs_cow_for_dma(): page_maybe_dma_pinned(page)    refcount >= GUP_PIN_COUNTING_BIAS
//       yes: copy_present_page(): the child gets a copy, the parent keeps its writable page
//       no:  get_page(); page_dup_rmap()                        shared
//            ptep_set_wrprotect(src_pte)                        atomic clear of the W bit
//            set_pte_at(child, pte_wrprotect(pte_mkold(pte)))
//     pte_unmap_unlock()
//     raw_write_seqcount_end()                                 smp_wmb(), seq++ (even)
//   flush_tlb_mm(oldmm)                                         the parent's writable TLB entries
//   mmap_write_unlock(oldmm)
//
// GUP-fast FOLL_PIN (core/protocols/gup_fast.h) reads the sequence around its walk: a pin taken
// through the PTE while fork decides to share the page, before the write-protect, fails and is
// dropped. Without that (ProtocolVariant::gup_write_protect_seq off) the pin survives, the page is
// shared, and the parent's next write copies it away from the DMA (bug zoo Z14).
// Simplifications: the child's page tables exist before the run (dup_mmap()'s allocation of them
// races nothing); mm->has_pinned is taken as set (fork always checks the page), which only adds
// checks.
#ifndef PTFUZZ_CORE_PROTOCOLS_FORK_H_
#define PTFUZZ_CORE_PROTOCOLS_FORK_H_

#include "core/cpu.h"
#include "core/task.h"

namespace ptfuzz {

// The ACTOR_FORK actor: fork() of the running mm (mm 0) into mm 1, for the page at `addr`.
Task<void> ForkActor(Cpu& cpu, VirtAddr addr);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_FORK_H_

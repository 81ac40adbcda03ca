// pte_offset_map_lock() (mm/pgtable-generic.c, v6.6+; Hugh Dickins' series that let it fail).
//
// Reads the pmd once, derives the PTE table from that value, takes the table's split PTL and then
// rechecks pmd_same() against a fresh read; on a mismatch it unlocks and retries. On return the
// caller holds the PTL of `table`, or `table` is kNoFrame (pmd none: nothing to map).
//
// The retry loop is bounded only by the schedule: each iteration is several yield points, so an
// adversarial scheduler that keeps changing the pmd reaches the step bound (a reported livelock).
#ifndef PTFUZZ_CORE_PROTOCOLS_PTE_OFFSET_MAP_H_
#define PTFUZZ_CORE_PROTOCOLS_PTE_OFFSET_MAP_H_

#include "core/cpu.h"
#include "core/task.h"

namespace ptfuzz {

struct MappedPte {
  FrameId table = kNoFrame;  // the PTE table whose PTL is held
  uint64_t pmdval = 0;       // the pmd value it was derived from
  Dep dep = kNoDep;          // the load of pmdval: PTE accesses are address-dependent on it
};

// __pte_offset_map()'s read of the pmd: pmdp_get_lockless(), bracketed on x86-PAE by
// pmdp_get_lockless_start()/_end() (interrupts off, so no TLB-flush IPI, and with it no change
// of the pmd from one table to another, completes between the two halves' loads; switch
// pae_pte_offset_map_irq_off). On PAE the read itself is the variant's (pmd_read_for_walk()).
// The caller must be running with interrupts enabled.
OpOrTask<LoadAwaiter, Loaded> pte_offset_map_read_pmd(Cpu& cpu, PhysAddr pmdp, Dep pmdp_dep);

// `pmdp_dep`: the load the pmd's address was computed from (the pud). Enters an RCU read-side
// section (__pte_offset_map()'s rcu_read_lock()), which pte_unmap_unlock() ends, or which it ends
// itself when it returns no table: a table freed by RCU (pte_free_defer(), tlb_remove_table())
// stays a table while the caller uses it.
Task<MappedPte> pte_offset_map_lock(Cpu& cpu, PhysAddr pmdp, Dep pmdp_dep, VirtAddr addr);

// pte_offset_map_lock() of the table holding `addr`'s PTE, then ptep_get() of that PTE (READ_ONCE
// under the PTL), the start of every locked PTE update (fork's copy, the write fault). Declares
// no kernel function of its own: the read is the caller's. `table` is kNoFrame when there is no
// PTE table, and then nothing is held.
struct LockedPte {
  FrameId table = kNoFrame;
  PhysAddr ptep = 0;
  Loaded pte;
};
Task<LockedPte> pte_offset_map_lock_get(Cpu& cpu, PhysAddr pmdp, Dep pmdp_dep, VirtAddr addr);

// pte_unmap_unlock(): spin_unlock() of the PTL, then pte_unmap()'s rcu_read_unlock().
OpAwaiter pte_unmap_unlock(Cpu& cpu, FrameId table);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_PTE_OFFSET_MAP_H_

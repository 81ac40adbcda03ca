// Lockless page-table entry reads: ptep_get_lockless() and pmdp_get_lockless()
// (include/linux/pgtable.h, v6.6-v6.12).
//
// Without CONFIG_GUP_GET_PXX_LOW_HIGH (every 64-bit architecture) both are a single READ_ONCE of
// the entry, which is what is modelled here: one READ_ONCE load, one yield point. The 32-bit PAE variant,
// two loads of the halves with a retry on the low word (kernel-mm.md section 3), replaces these
// functions when split entries are modelled (Z06-Z08).
#ifndef PTFUZZ_CORE_PROTOCOLS_PGTABLE_LOCKLESS_H_
#define PTFUZZ_CORE_PROTOCOLS_PGTABLE_LOCKLESS_H_

#include "core/cpu.h"

namespace ptfuzz {

// `dep`: the load the entry's address was computed from (the pmd for a PTE), kNoDep when the
// address is known otherwise.
inline LoadAwaiter ptep_get_lockless(Cpu& cpu, PhysAddr ptep, Dep dep = kNoDep) {
  return cpu.Load(ptep, PtLevel::kPte, MemOrder::kOnce, dep);
}
inline LoadAwaiter pmdp_get_lockless(Cpu& cpu, PhysAddr pmdp, Dep dep = kNoDep) {
  return cpu.Load(pmdp, PtLevel::kPmd, MemOrder::kOnce, dep);
}

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_PGTABLE_LOCKLESS_H_

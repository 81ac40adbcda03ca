// Lockless page-table entry reads: ptep_get_lockless() and pmdp_get_lockless()
// (include/linux/pgtable.h, v6.6-v6.12).
//
// Without CONFIG_GUP_GET_PXX_LOW_HIGH (every 64-bit architecture) both are a single READ_ONCE of
// the entry, which is what is modelled here: one load, one yield point. The 32-bit PAE variant,
// two loads of the halves with a retry on the low word (kernel-mm.md section 3), replaces these
// functions when split entries are modelled (Z06-Z08).
#ifndef PTFUZZ_CORE_PROTOCOLS_PGTABLE_LOCKLESS_H_
#define PTFUZZ_CORE_PROTOCOLS_PGTABLE_LOCKLESS_H_

#include "core/cpu.h"

namespace ptfuzz {

inline OpAwaiter ptep_get_lockless(Cpu& cpu, PhysAddr ptep) { return cpu.Load(ptep, PtLevel::kPte); }
inline OpAwaiter pmdp_get_lockless(Cpu& cpu, PhysAddr pmdp) { return cpu.Load(pmdp, PtLevel::kPmd); }

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_PGTABLE_LOCKLESS_H_

// Lockless page-table entry reads: ptep_get_lockless() and pmdp_get_lockless()
// (include/linux/pgtable.h, v6.6-v6.12; kernel-mm.md section 3).
//
// 64-bit entries (every 64-bit architecture): one READ_ONCE of the entry.
//
// x86-PAE (CONFIG_GUP_GET_PXX_LOW_HIGH): the entry is two 32-bit halves, read with the retry
// loop
//     do { low = *low_half; smp_rmb(); high = *high_half; smp_rmb(); } while (low != *low_half);
// (plain loads in the kernel). Its comment argues that the pair is consistent because an entry
// never goes from one present page to another without a TLB flush in between, and the reader's
// interrupts-off section holds that flush off. Seed 000 shows that neither premise holds:
// MADV_DONTNEED drops the PTL before its flush and a paravirt flush sends no IPI, so an ABA of
// the low word (present, cleared, re-established with the same low word and another high word)
// inside the loop returns a value the entry never held (bug zoo Z08). ptfuzz reports every such
// value to the oracles (Oracles::OnSplitRead), which object when it is used.
#ifndef PTFUZZ_CORE_PROTOCOLS_PGTABLE_LOCKLESS_H_
#define PTFUZZ_CORE_PROTOCOLS_PGTABLE_LOCKLESS_H_

#include "core/cpu.h"
#include "core/task.h"
#include "core/variant.h"

namespace ptfuzz {

// `dep`: the load the entry's address was computed from (the pmd for a PTE), kNoDep when the
// address is known otherwise. On a machine with neither split entries nor contiguous blocks each
// is the plain READ_ONCE awaitable (no coroutine frame; OpOrTask, core/task.h).
OpOrTask<LoadAwaiter, Loaded> ptep_get_lockless(Cpu& cpu, PhysAddr ptep, Dep dep = kNoDep);
OpOrTask<LoadAwaiter, Loaded> pmdp_get_lockless(Cpu& cpu, PhysAddr pmdp, Dep dep = kNoDep);

// How a walker that derives a PTE table from the pmd read it on x86-PAE, per the variant's
// kernel (ProtocolVariant::pae_pmd_read): pmdp_get_lockless() (v6.2+), pmd_read_atomic()
// (3.5-6.1: the low half; only if it is not zero, smp_rmb() and the high half), or a plain
// dereference compiled to two loads in either order (before 3.5: CVE-2012-2373, Z06). On 64-bit
// entries: pmdp_get_lockless().
OpOrTask<LoadAwaiter, Loaded> pmd_read_for_walk(Cpu& cpu, PhysAddr pmdp, Dep dep);

// The same read in the form `how` names, whatever the variant says about the fault path: GUP-fast
// has its own history (ProtocolVariant::gup_pmd_read).
OpOrTask<LoadAwaiter, Loaded> pmd_read_as(Cpu& cpu, PhysAddr pmdp, Dep dep, PaePmdRead how);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_PGTABLE_LOCKLESS_H_

// Page-table entry accessors, as each architecture implements them.
//
// Generic code calls set_pte_at(), ptep_get_and_clear(), pmd_populate(), ptep_get() (include/
// linux/pgtable.h); what one call does to memory depends on the architecture:
//  - 64-bit entries (x86-64, arm64): one access of the whole entry.
//  - x86-PAE (arch/x86/include/asm/pgtable-3level.h, kernel-mm.md section 4.1): a PTE or PMD is
//    two 32-bit words, pte_low (present and the other flags, pfn bits 0-19) and pte_high (pfn
//    bits 20 and up), and the CPU can access only one at a time unless it uses cmpxchg8b:
//      native_set_pte():            high, smp_wmb(), low       (the present bit goes last)
//      native_pte_clear():          low, smp_wmb(), high       (the present bit goes first)
//      native_ptep_get_and_clear(): pxx_xchg64(), one locked 64-bit exchange (v6.2+); before,
//                                   xchg() of the low half, then the high half read and cleared
//                                   (variant switch pae_get_and_clear_xchg64)
//      native_pmdp_get_and_clear(): the same, on the PMD
//      native_set_pmd() (pmd_populate, set_pmd_at): pxx_xchg64(), an atomic 64-bit store
//                                   (set_64bit() before v6.2: the same cmpxchg8b)
//      ptep_get() / a plain *pmd:   READ_ONCE of a 64-bit type on a 32-bit CPU: two loads, low
//                                   then high, not atomic
// The upper levels (pud, pgd) are 64-bit words in every configuration (World::SplitEntries).
//
// Each returns the plain awaitable on machines without split entries (no coroutine frame) and a
// Task on x86-PAE (OpOrTask, core/task.h).
//
// Every read of a split entry reports its halves' provenance to the oracles
// (Oracles::OnSplitRead), and every use of an entry value as present (a table pointer, a page
// returned to a caller) is checked against the entry's history (Oracles::OnEntryUse).
#ifndef PTFUZZ_CORE_PROTOCOLS_PGTABLE_H_
#define PTFUZZ_CORE_PROTOCOLS_PGTABLE_H_

#include "core/cpu.h"
#include "core/task.h"

namespace ptfuzz {

// ptep_get() / pmdp_get() / a plain `*pmd` of the entry at `p` in a table of `level`, with the
// access kind `order` (kPlain or kOnce). On PAE: low half, then high half (two loads, each its
// own step); `high_first` reads them the other way round (what a compiler may also emit).
OpOrTask<LoadAwaiter, Loaded> pxx_get(Cpu& cpu, PhysAddr p, PtLevel level, MemOrder order, Dep dep,
                                      bool high_first = false);

// set_pte_at() -> native_set_pte() (x86) / __set_pte() (arm64): WRITE_ONCE of the entry; PAE:
// high half, smp_wmb(), low half.
OpOrTask<OpAwaiter, void> set_pte(Cpu& cpu, PhysAddr ptep, uint64_t pte);

// ptep_get_and_clear(): the arch's exchange with 0 (x86-64 xchg, fully ordered; arm64
// xchg_relaxed; PAE pxx_xchg64 or the older two-step form). Returns the old entry.
OpOrTask<OpAwaiter, uint64_t> ptep_get_and_clear(Cpu& cpu, PhysAddr ptep);

// The pmd slot of `addr` as a walker that holds the mmap or VMA lock finds it (mm_find_pmd(),
// zap_pmd_range()'s descent): plain dereferences of the pgd (p4d folded) and pud, which cannot go
// away under that lock. `pmdp` is 0 when an upper level is none; `dep` is the pud load's token.
struct PmdSlot {
  PhysAddr pmdp = 0;
  Dep dep = kNoDep;
};
Task<PmdSlot> walk_to_pmd(Cpu& cpu, VirtAddr addr);
// The same descent stopped at the pud (huge_pte_offset()): its slot and value; `pudp` is 0 when
// the pgd is none.
struct PudSlot {
  PhysAddr pudp = 0;
  Loaded pud;
};
Task<PudSlot> walk_to_pud(Cpu& cpu, VirtAddr addr);

// pmdp_huge_get_and_clear() (x86 native_pmdp_get_and_clear(), arm64 via __ptep_get_and_clear()):
// the PMD's exchange with 0, ordered as ptep_get_and_clear(). Returns the old entry.
OpOrTask<OpAwaiter, uint64_t> pmdp_huge_get_and_clear(Cpu& cpu, PhysAddr pmdp);

// pmd_clear(): WRITE_ONCE of 0 on 64-bit entries; PAE native_pmd_clear(): the low half, smp_wmb(),
// the high half (the present bit goes first).
OpOrTask<OpAwaiter, void> pmd_clear(Cpu& cpu, PhysAddr pmdp);

// set_pmd() (x86 native_set_pmd(), arm64 set_pmd()): WRITE_ONCE of the entry on 64-bit entries;
// PAE: pxx_xchg64(), an atomic (and fully ordered) 64-bit store. pmd_populate() (a PTE table) and
// set_pmd_at() (a huge PMD) both come here.
OpOrTask<OpAwaiter, void> set_pmd(Cpu& cpu, PhysAddr pmdp, uint64_t pmd);
inline OpOrTask<OpAwaiter, void> pmd_populate(Cpu& cpu, PhysAddr pmdp, FrameId pte_table) {
  return set_pmd(cpu, pmdp, MakeEntry(pte_table, kTableEntryFlags));
}
inline OpOrTask<OpAwaiter, void> set_pmd_at(Cpu& cpu, PhysAddr pmdp, uint64_t huge_pmd) {
  return set_pmd(cpu, pmdp, huge_pmd);
}

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_PGTABLE_H_

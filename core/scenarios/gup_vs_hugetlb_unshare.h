// gup_vs_hugetlb_unshare: GUP-fast in one process while it unmaps a hugetlb range whose PMD table
// it shares with another process, which then changes the table (bug zoo Z11; fix 1013af4f585f
// "mm/hugetlb: fix huge_pmd_unshare() vs GUP-fast race", Jann Horn, 2025; follow-up by David
// Hildenbrand, Dec 2025, moving the IPI into the mmu_gather).
//
// GUP-fast reads its pud and gets the shared PMD table; munmap() in the same process
// (huge_pmd_unshare()) clears that pud and drops the process's share, and the other process, now
// the table's only user, unmaps its piece of the file and maps private anonymous hugetlb memory
// there, whose fault installs a new page in the same table. GUP-fast, still inside its
// interrupts-off section, reads that entry from a table that is no longer its mm's and pins the
// other process's private page. The other process's unmap needs the file's i_mmap lock, which
// the unsharing munmap() holds until its tlb_remove_table_sync_one() (the fix) or, where flushes
// are IPIs, its own TLB flush has waited for GUP-fast; its own flushes interrupt only its CPUs.
//
// Default configuration: x86-64, paravirt flushes (no IPI), SC, 10 frames, 3 CPUs; the hugetlb
// page at 0x7f0000000000 is mapped by mm 0 and mm 1 through one shared PMD table. CPU 0: GUP-fast
// (mm 0); CPU 1: munmap() of the range (mm 0); CPU 2: munmap(), mmap() of anonymous hugetlb
// memory and a write fault (mm 1).
#ifndef PTFUZZ_CORE_SCENARIOS_GUP_VS_HUGETLB_UNSHARE_H_
#define PTFUZZ_CORE_SCENARIOS_GUP_VS_HUGETLB_UNSHARE_H_

#include "core/scenarios/registry.h"

namespace ptfuzz {

ScenarioSpec GupVsHugetlbUnshareSpec();

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_SCENARIOS_GUP_VS_HUGETLB_UNSHARE_H_

// zap_vs_zap: two MADV_DONTNEED calls on the same page race, and the one that finds the entry
// already cleared returns while a third CPU's TLB still maps the page ("mm: fix
// MADV_[FREE|DONTNEED] TLB flush miss problem", Minchan Kim, 99baac21e458, v4.13; the flush
// became fullmm in 7a30df49f63a, v5.2).
//
// MADV_DONTNEED holds the mmap lock only for reading, so two threads may zap one range at once.
// The first clears the PTE and queues the page in its mmu_gather; the TLB flush comes at its
// tlb_finish_mmu(), after the page-table lock is dropped. The second finds the PTE none, has
// nothing to flush and returns: user space on a CPU whose TLB still maps the page keeps reading
// and writing it although madvise() returned (the writes vanish with the page). Since v4.13
// every mmu_gather raises mm->tlb_flush_pending, and a tlb_finish_mmu() that sees another batch
// in progress (mm_tlb_flush_nested()) flushes the whole mm.
//
// Default configuration: x86-64, IPI flushes, SC, 8 frames, 3 CPUs. Page 0x7f0000000000 is mapped
// and in CPU 2's TLB (user space there uses it). CPUs 0 and 1: MADV_DONTNEED of the page
// (zap_page_range_single()). One preemption finds the bug: CPU 0 clears the entry, CPU 1 runs to
// its return.
#ifndef PTFUZZ_CORE_SCENARIOS_ZAP_VS_ZAP_H_
#define PTFUZZ_CORE_SCENARIOS_ZAP_VS_ZAP_H_

#include "core/scenarios/registry.h"

namespace ptfuzz {

ScenarioSpec ZapVsZapSpec();

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_SCENARIOS_ZAP_VS_ZAP_H_

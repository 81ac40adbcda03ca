// pfn_walker_vs_hvo: a speculative PFN walker's refcount write lands on a struct page that HVO
// has just remapped read-only ("mm/hugetlb_vmemmap: fix race with speculative PFN walkers", Yu
// Zhao, bd225530a4c7, v6.12; zoo Z16).
//
// Memory compaction scans pfns and takes get_page_unless_zero() on whatever page it meets. It
// reads page B's refcount (1: an anonymous page) and is preempted. MADV_DONTNEED frees B; a
// hugetlb pool allocation takes the aligned block B belongs to, B becomes a tail of the hugetlb
// folio, and HVO remaps the tails' struct pages read-only. The walker's cmpxchg (it would fail:
// the count is 0 now) writes to the read-only vmemmap and faults. Since v6.12 the walker's add
// runs inside rcu_read_lock() and only on a count it read nonzero with an acquire, and HVO calls
// synchronize_rcu() between freezing the folio and the remap.
//
// Default configuration: x86-64, IPI flushes, SC, 8 frames, 3 CPUs. Pages at 0x7f0000000000 (f4)
// and 0x7f0000001000 (f5) are mapped. CPU 0: the PFN walker at f5; CPU 1: MADV_DONTNEED of the 2
// MiB range (both pages, and the emptied PTE table); CPU 2: a hugetlb folio of 4 frames for the
// pool, with HVO (only f4-f7 can hold it, once both pages are freed). One preemption finds the
// bug: the walker stops after its read, the other two run to their end.
#ifndef PTFUZZ_CORE_SCENARIOS_PFN_WALKER_VS_HVO_H_
#define PTFUZZ_CORE_SCENARIOS_PFN_WALKER_VS_HVO_H_

#include "core/scenarios/registry.h"

namespace ptfuzz {

ScenarioSpec PfnWalkerVsHvoSpec();

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_SCENARIOS_PFN_WALKER_VS_HVO_H_

// gup_vs_split: GUP-fast takes its reference on a large folio that a concurrent split_huge_page()
// has just split, and returns a tail page that is no longer part of it ("mm/gup: fix
// try_grab_compound_head() race with split_huge_page()", Jann Horn, c24d37322548, v5.13; zoo Z03).
//
// GUP-fast reads the PTE of a tail page t and computes folio = page_folio(t): the head h. If the
// split runs to completion right then (unmap to migration entries, freeze h's refcount, clear
// t's compound_head, unfreeze, remap the very same PTE values), the try-get on h succeeds (h is a
// live order-0 page now, mapped by its own PTE) and the PTE recheck passes: GUP-fast returns t
// with its reference on h. The caller's put_page(t) then drops a reference t never got, and h's
// leaks. Since v5.13 try_get_folio() rechecks page_folio(page) == folio after the increment and
// retries on a mismatch.
//
// The split's unmap flushes the TLB with the PTL held (ptep_clear_flush()): with flush IPIs that
// flush waits for GUP-fast's interrupts-off section, so GUP-fast cannot straddle the whole split
// and even the buggy kernel is clean; the race needs flushes that do not interrupt (arm64's
// broadcast TLBI, a paravirt flush), seed 003's setting.
//
// Default configuration: arm64, broadcast flushes, SC, 8 frames, 2 CPUs. An order-1 folio (head
// and one tail) is mapped at 0x7f0000000000 and 0x7f0000001000. CPU 0: GUP-fast of the tail's
// address; CPU 1: MADV_PAGEOUT of the head's address, which splits the folio. One preemption
// finds the bug: GUP-fast stops after page_folio(), the split runs to its end.
#ifndef PTFUZZ_CORE_SCENARIOS_GUP_VS_SPLIT_H_
#define PTFUZZ_CORE_SCENARIOS_GUP_VS_SPLIT_H_

#include "core/scenarios/registry.h"

namespace ptfuzz {

ScenarioSpec GupVsSplitSpec();

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_SCENARIOS_GUP_VS_SPLIT_H_

// pfn_walker_vs_compound_alloc: a speculative compound_head() meets a page while
// prep_compound_page() makes it a tail, and reads a NULL head pointer ("mm: close PageTail race",
// David Rientjes, 668f9abbd433, v3.19; "mm: make compound_head() robust", Kirill Shutemov,
// 1d798ca3f164, v4.5; zoo Z18).
//
// Compaction's page_count(page) on a pfn it scans, with no reference, reads compound_head(page).
// Before v3.19 the tail flag (PG_tail in page->flags) and the head pointer (page->first_page) were
// two words that prep_compound_page() set flag first: a reader between the two stores sees a tail
// and a NULL head, and page_count() dereferences it. v3.19 stores the pointer first, with
// smp_wmb(), and compound_head() rereads the flag after an smp_rmb(); v4.5 folds both into one
// word, bit 0 of page->compound_head, read once.
//
// Default configuration: x86-64, IPI flushes, SC, 8 frames, 3 CPUs. Pages at 0x7f0000000000 (f4)
// and 0x7f0000001000 (f5) are mapped. CPU 0: compaction's page_count() of f5; CPU 1: MADV_DONTNEED
// of the 2 MiB range, which frees both pages; CPU 2: a driver's compound allocation of 4 frames
// (only f4-f7 can hold it once both pages are freed). One preemption finds the old bug: the
// allocation stops between its two stores.
#ifndef PTFUZZ_CORE_SCENARIOS_PFN_WALKER_VS_COMPOUND_ALLOC_H_
#define PTFUZZ_CORE_SCENARIOS_PFN_WALKER_VS_COMPOUND_ALLOC_H_

#include "core/scenarios/registry.h"

namespace ptfuzz {

ScenarioSpec PfnWalkerVsCompoundAllocSpec();

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_SCENARIOS_PFN_WALKER_VS_COMPOUND_ALLOC_H_

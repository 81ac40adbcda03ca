// tlb_remove_table_lazy: munmap() by the only user of an mm frees a PTE table while another CPU,
// holding the mm lazily, still caches a pointer to it in its paging-structure cache (bug zoo
// Z15; "mm/tlb: Remove tlb_remove_table() non-concurrent condition", Peter Zijlstra, 2018, found
// while Jann Horn was debugging; companion "mm/tlb, x86/mm: Support invalidating TLB caches for
// RCU_TABLE_FREE").
//
// tlb_remove_table() used to free a table at once when atomic_read(&mm->mm_users) < 2: a
// single-user mm cannot have a concurrent software walker. But mm_users counts tasks; a kernel
// thread that ran on another CPU after the task keeps the mm loaded in lazy-TLB mode (mm_count),
// and that CPU's hardware walker may walk it speculatively and cache the PTE table's address. The
// table must outlive every such cached pointer, i.e. be freed only after the TLB flush that
// invalidates the paging-structure caches; freed at once, the walker can follow the pointer into
// whatever the page becomes next.
//
// The same rule on the fallback path: when tlb_remove_table() cannot allocate its batch page
// (Scenario.table_batch_alloc_fails), tlb_remove_table_one() frees each table at once after
// tlb_remove_table_sync_one(); only tlb_table_invalidate() before it (the 2018 companion commit,
// d86564a2f085) keeps a hardware walker's cached pointer from outliving the table.
//
// Default configuration: x86-64, IPI flushes, SC, 8 frames, 2 CPUs. Page 0x7f0000000000 is mapped
// (in CPU 0's TLB). CPU 0: munmap() of its 2 MiB range (the mm's only user); CPU 1 idles with the
// mm loaded lazily and its hardware walker walks the mapped page speculatively (hw_walkers).
#ifndef PTFUZZ_CORE_SCENARIOS_TLB_REMOVE_TABLE_LAZY_H_
#define PTFUZZ_CORE_SCENARIOS_TLB_REMOVE_TABLE_LAZY_H_

#include "core/scenarios/registry.h"

namespace ptfuzz {

ScenarioSpec TlbRemoveTableLazySpec();

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_SCENARIOS_TLB_REMOVE_TABLE_LAZY_H_

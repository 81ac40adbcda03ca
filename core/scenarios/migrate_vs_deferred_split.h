// migrate_vs_deferred_split: the deferred split shrinker takes a speculative reference on a
// large folio that migration has just found exclusive by an unfrozen refcount check ("mm: fix
// crashes from deferred split racing folio migration", Hugh Dickins, Jul 2024, v6.10; zoo Z17).
//
// folio_migrate_mapping() of an anonymous folio, which has no mapping, only compared its refcount
// with the expected count (the migration's isolation reference) and then moved the folio's
// identity to the new folio, releasing the old one as if nobody else could reach it. The folio
// was still on the deferred split queue, where deferred_split_scan() finds it and folio_try_get()
// succeeds after the check: the shrinker later puts the folio and splices it back onto the queue,
// a double free or a corrupted list ("Bad page state"). The fix freezes the count with the
// expected value, so the try-get fails, and takes the folio off the queue while frozen.
// bug-zoo.md calls this interleaving a reconstruction; the model checks its invariant (only a
// frozen count excludes speculative getters) where migration repurposes the folio, not the list
// corruption that follows: when migration releases the folio as exclusive, nobody else may hold
// it, and it may not be on the shrinker's private list (Oracles::OnMigratedFolioReleased()).
//
// Default configuration: x86-64, IPI flushes, SC, 8 frames, 2 CPUs. An order-1 folio (f4, f5) is
// mapped at 0x7f0000000000 and on the deferred split queue. CPU 0: move_pages() of it (the new
// folio is f6, f7); CPU 1: the deferred split shrinker. One preemption finds the bug: the shrinker
// stops between its folio_put() and its list_splice_tail(), with the folio on its private list,
// and migration runs to its release (bug-zoo.md's estimate, two, has the shrinker hold its
// reference across the check instead, which is found too).
#ifndef PTFUZZ_CORE_SCENARIOS_MIGRATE_VS_DEFERRED_SPLIT_H_
#define PTFUZZ_CORE_SCENARIOS_MIGRATE_VS_DEFERRED_SPLIT_H_

#include "core/scenarios/registry.h"

namespace ptfuzz {

ScenarioSpec MigrateVsDeferredSplitSpec();

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_SCENARIOS_MIGRATE_VS_DEFERRED_SPLIT_H_

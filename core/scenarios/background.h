// Background actors: a scenario as it would run on a busy machine (issue 9's scale benchmark).
//
// Scenario.background_actors = K adds K CPUs after the scenario's own, each running one actor on
// its own page of a 1 GiB region above every address the scenario uses (so they share the PGD
// and PUD tables with it and have their own PMD and PTE tables), cycling through
//   - GUP-fast of a mapped page (lockless walks, interrupts off: it holds off IPI flushes),
//   - an anonymous fault of an unmapped page (page and PTE-table allocations: the allocator's
//     free list changes under the scenario's own allocations),
//   - MADV_DONTNEED of a mapped page (a zap whose TLB flush reaches every CPU, by IPI where the
//     machine flushes by IPI, and whose freed page the scenario may reuse); not in scenarios of
//     other page-table geometries, whose zap would walk four levels (the first two only there).
// Their pages and tables are set up from the frames added for them (the coldest free frames), so
// the scenario's own frame layout is as on a quiet machine; at run time their faults compete for
// the same free frames as the scenario's allocations. They never touch the scenario's pages, so
// they add steps, choices and interference but no new race on its data: a fixed variant stays
// clean (tests/core/background_test.cc).
#ifndef PTFUZZ_CORE_SCENARIOS_BACKGROUND_H_
#define PTFUZZ_CORE_SCENARIOS_BACKGROUND_H_

#include <cstdint>

#include "proto/schedule.pb.h"

namespace ptfuzz {

inline constexpr uint32_t kMaxBackgroundActors = 12;

// The scenario as it runs: `s` with its background actors, their CPUs, pages and frames made
// explicit, and background_actors cleared. `s` unchanged when it has none.
proto::Scenario WithBackgroundActors(const proto::Scenario& s);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_SCENARIOS_BACKGROUND_H_

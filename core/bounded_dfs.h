// Bounded depth-first exploration of schedules (issue 9's systematic baseline, in the spirit of
// CHESS's preemption bounding): every run within `max_deviations` non-default Decider answers of
// the default schedule, each exactly once. A run is named by its raw-tape prefix (TapeDecider:
// the prefix's answers, then 0 forever); its children deviate at one decision after the prefix.
// Deviations count every kind of answer (a context switch, another frame, an older store), so
// under the relaxed model a stale read costs one like a preemption does.
#ifndef PTFUZZ_CORE_BOUNDED_DFS_H_
#define PTFUZZ_CORE_BOUNDED_DFS_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "core/world.h"
#include "proto/schedule.pb.h"

namespace ptfuzz {

// Calls `visit` with each run's raw-tape prefix and result, depth first; stops early when it
// returns false. REQUIRES: ValidateScenario(scenario).ok().
void ExploreWithinDeviations(
    const proto::Scenario& scenario, int max_deviations, const SimOptions& options,
    const std::function<bool(const std::vector<uint32_t>& prefix, const RunResult& result)>& visit);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_BOUNDED_DFS_H_

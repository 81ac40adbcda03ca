// The baseline strategies run to the first violation (issue 9): the sampling deciders of
// core/sampling_decider.h, calibrated on the scenario's default run, and bounded DFS by
// iterative deepening. Shared by `ptfuzz explore`, `ptfuzz bench` and the tests; no clocks here
// (callers time what they report).
#ifndef PTFUZZ_CORE_STRATEGIES_H_
#define PTFUZZ_CORE_STRATEGIES_H_

#include <cstdint>
#include <functional>

#include "core/sampling_decider.h"
#include "core/world.h"
#include "proto/schedule.pb.h"

namespace ptfuzz {

// Fills SURW's steps per CPU from one run of `scenario` with every choice at its default, and
// PCT's k and PCTWM's k_rf from the most steps and reads-from choices of that run and of 16
// random walks.
// REQUIRES: ValidateScenario(scenario).ok().
void CalibrateSampling(const proto::Scenario& scenario, const SimOptions& options,
                       SamplingOptions* sampling);

// Runs 0, 1, ... up to `budget` runs of `scenario` under SamplingDecider(sampling, run), calling
// `visit` after each; stops early when it returns false. Returns the runs made.
uint64_t SampleRuns(const proto::Scenario& scenario, const SamplingOptions& sampling,
                    uint64_t budget, const SimOptions& options,
                    const std::function<bool(const RunResult&)>& visit);

struct DeepeningOutcome {
  uint64_t runs = 0;       // over every bound tried
  int bound = -1;          // the bound whose search found a violation, -1 when none did
  bool exhausted = false;  // every schedule within max_bound was run without a violation
};

// Bounded DFS (core/bounded_dfs.h) with bounds 0, 1, ... max_bound until a run violates or
// `budget` runs are spent; `visit` sees each run and may stop the search by returning false
// (the outcome then names the bound being searched).
DeepeningOutcome DeepenUntilViolation(const proto::Scenario& scenario, int max_bound,
                                      uint64_t budget, const SimOptions& options,
                                      const std::function<bool(const RunResult&)>& visit);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_STRATEGIES_H_

#include "core/strategies.h"

#include <algorithm>

#include "core/bounded_dfs.h"
#include "core/run.h"

namespace ptfuzz {

void CalibrateSampling(const proto::Scenario& scenario, const SimOptions& options,
                       SamplingOptions* sampling) {
  ProfilingDecider profile;
  SimOptions profiling = options;
  profiling.observer = &profile;
  RunScenario(scenario, profile, profiling);
  profile.Calibrate(sampling);
  // k and k_rf: the most steps and reads-from choices of the default run and of 16 random walks
  // (seeds fixed, so the calibration is the same every time). PCT's k bounds a run's length;
  // the default run, one CPU after another, is often shorter than the buggy one.
  for (uint64_t seed = 1; seed <= 16; ++seed) {
    ProfilingDecider walk(seed);
    SimOptions walking = options;
    walking.observer = &walk;
    RunScenario(scenario, walk, walking);
    SamplingOptions seen;
    walk.Calibrate(&seen);
    sampling->pct_steps = std::max(sampling->pct_steps, seen.pct_steps);
    sampling->rf_steps = std::max(sampling->rf_steps, seen.rf_steps);
  }
}

uint64_t SampleRuns(const proto::Scenario& scenario, const SamplingOptions& sampling,
                    uint64_t budget, const SimOptions& options,
                    const std::function<bool(const RunResult&)>& visit) {
  uint64_t run = 0;
  while (run < budget) {
    SamplingDecider decider(sampling, run);
    SimOptions run_options = options;
    // SURW counts the steps each CPU has taken.
    if (sampling.strategy == SamplingStrategy::kSurw) run_options.observer = &decider;
    const RunResult r = RunScenario(scenario, decider, run_options);
    ++run;
    if (!visit(r)) break;
  }
  return run;
}

DeepeningOutcome DeepenUntilViolation(const proto::Scenario& scenario, int max_bound,
                                      uint64_t budget, const SimOptions& options,
                                      const std::function<bool(const RunResult&)>& visit) {
  DeepeningOutcome out;
  for (int bound = 0; bound <= max_bound && out.runs < budget; ++bound) {
    bool stopped = false;
    bool found = false;
    ExploreWithinDeviations(scenario, bound, options,
                            [&](const std::vector<uint32_t>&, const RunResult& r) {
                              ++out.runs;
                              found = r.violation.has_value();
                              if (!visit(r) || found || out.runs >= budget) {
                                stopped = true;
                                return false;
                              }
                              return true;
                            });
    if (found) {
      out.bound = bound;
      return out;
    }
    if (stopped && out.runs < budget) return out;  // the caller stopped it
    if (!stopped && bound == max_bound) out.exhausted = true;
  }
  return out;
}

}  // namespace ptfuzz

#include "core/bounded_dfs.h"

#include "core/run.h"
#include "core/tape_decider.h"

namespace ptfuzz {

namespace {

// Returns false once `visit` asked to stop.
bool Explore(const proto::Scenario& scenario, std::vector<uint32_t>& prefix, int budget,
             const SimOptions& options,
             const std::function<bool(const std::vector<uint32_t>&, const RunResult&)>& visit) {
  TapeDecider decider(prefix);
  const RunResult r = RunScenario(scenario, decider, options);
  if (!visit(prefix, r)) return false;
  if (budget == 0) return true;
  // Deviate at any decision after the prefix: earlier ones are the parent's to vary.
  const size_t base = prefix.size();
  for (size_t i = base; i < r.tape.size(); ++i) {
    for (uint32_t v = 1; v < r.tape[i].num_options; ++v) {
      prefix.resize(base);
      for (size_t k = base; k < i; ++k) prefix.push_back(r.tape[k].value);
      prefix.push_back(v);
      if (!Explore(scenario, prefix, budget - 1, options, visit)) return false;
    }
  }
  prefix.resize(base);
  return true;
}

}  // namespace

void ExploreWithinDeviations(
    const proto::Scenario& scenario, int max_deviations, const SimOptions& options,
    const std::function<bool(const std::vector<uint32_t>&, const RunResult&)>& visit) {
  std::vector<uint32_t> prefix;
  Explore(scenario, prefix, max_deviations, options, visit);
}

}  // namespace ptfuzz

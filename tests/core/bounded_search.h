// A CHESS-style bounded search for tests: every schedule with at most `max_deviations` answers
// other than the default (0), i.e. every interleaving within a preemption/allocation-choice
// bound. Used to show the fixed variants clean within the bound and the buggy ones found.
#ifndef PTFUZZ_TESTS_CORE_BOUNDED_SEARCH_H_
#define PTFUZZ_TESTS_CORE_BOUNDED_SEARCH_H_

#include <functional>
#include <vector>

#include "core/run.h"
#include "core/tape_decider.h"

namespace ptfuzz::testing {

struct SearchStats {
  int runs = 0;
  int violations = 0;
  std::vector<uint32_t> first_violating_tape;
};

// Calls `visit` with every run's result.
inline SearchStats BoundedSearch(const proto::Scenario& scenario, int max_deviations,
                                 const std::function<void(const RunResult&)>& visit = nullptr) {
  SearchStats stats;
  std::function<void(std::vector<uint32_t>, int)> explore = [&](std::vector<uint32_t> prefix,
                                                                 int budget) {
    TapeDecider d(prefix);
    const RunResult r = RunScenario(scenario, d, SimOptions{});
    ++stats.runs;
    if (r.violation) {
      if (stats.violations++ == 0) stats.first_violating_tape = prefix;
    }
    if (visit) visit(r);
    if (budget == 0) return;
    // Deviate at any decision after the prefix; earlier positions were explored by the parent.
    for (size_t i = prefix.size(); i < r.tape.size(); ++i) {
      for (uint32_t v = 1; v < r.tape[i].num_options; ++v) {
        std::vector<uint32_t> next;
        for (size_t k = 0; k < i; ++k) next.push_back(r.tape[k].value);
        next.push_back(v);
        explore(next, budget - 1);
      }
    }
  };
  explore({}, max_deviations);
  return stats;
}

}  // namespace ptfuzz::testing

#endif  // PTFUZZ_TESTS_CORE_BOUNDED_SEARCH_H_

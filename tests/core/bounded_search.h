// A CHESS-style bounded search for tests: every schedule with at most `max_deviations` answers
// other than the default (0), i.e. every interleaving within a preemption/allocation-choice
// bound. Used to show the fixed variants clean within the bound and the buggy ones found.
#ifndef PTFUZZ_TESTS_CORE_BOUNDED_SEARCH_H_
#define PTFUZZ_TESTS_CORE_BOUNDED_SEARCH_H_

#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "core/bounded_dfs.h"
#include "core/run.h"
#include "core/scenarios/registry.h"
#include "core/tape_decider.h"
#include "core/violation.h"
#include "gtest/gtest.h"

namespace ptfuzz::testing {

// Scenario `name`'s default configuration with the variant, flush mode and memory model set.
inline proto::Scenario Configured(absl::string_view name, absl::string_view variant,
                                  proto::TlbFlushMode flush, proto::MemoryModel model) {
  proto::Scenario s = FindScenario(name)->default_scenario();
  s.set_variant(std::string(variant));
  s.set_tlb_flush(flush);
  s.set_memory_model(model);
  return s;
}

// One run of `s` on a raw tape, with its trace.
inline RunResult RunTraced(const proto::Scenario& s, const std::vector<uint32_t>& tape) {
  TapeDecider d(tape);
  SimOptions o;
  o.record_trace = true;
  return RunScenario(s, d, o);
}

struct SearchStats {
  int runs = 0;
  int violations = 0;
  std::vector<uint32_t> first_violating_tape;
};

// Calls `visit` with every run's result (core/bounded_dfs.h, depth first).
// `options`: how each run executes (e.g. with its trace recorded for `visit`).
inline SearchStats BoundedSearch(const proto::Scenario& scenario, int max_deviations,
                                 const std::function<void(const RunResult&)>& visit = nullptr,
                                 const SimOptions& options = SimOptions{}) {
  SearchStats stats;
  ExploreWithinDeviations(scenario, max_deviations, options,
                          [&](const std::vector<uint32_t>& prefix, const RunResult& r) {
                            ++stats.runs;
                            if (r.violation && stats.violations++ == 0) {
                              stats.first_violating_tape = prefix;
                            }
                            if (visit) visit(r);
                            return true;
                          });
  return stats;
}

// Calls `check` with every memory model and every x86 flush mode (IPI, broadcast, paravirt).
inline void ForEachModelAndFlush(
    const std::function<void(proto::MemoryModel, proto::TlbFlushMode)>& check) {
  for (proto::MemoryModel model :
       {proto::MEMORY_MODEL_SC, proto::MEMORY_MODEL_TSO, proto::MEMORY_MODEL_RELAXED}) {
    for (proto::TlbFlushMode flush :
         {proto::TLB_FLUSH_IPI, proto::TLB_FLUSH_BROADCAST, proto::TLB_FLUSH_PARAVIRT}) {
      check(model, flush);
    }
  }
}

// One configuration of a scenario's verdict test: variant, flush mode, memory model, architecture
// and how many non-default answers the search may use.
struct VerdictCase {
  const char* variant;
  proto::TlbFlushMode mode;
  proto::MemoryModel model;
  proto::Arch arch = proto::ARCH_X86_64;
  int bound = 2;
};

// Every variant of a registered scenario under both flush modes and every memory model within two
// non-default answers (four under the relaxed model, whose stale reads are answers too), plus
// arm64 (broadcast TLBI) under SC within three and under the relaxed model within four.
inline std::vector<VerdictCase> AllVerdictCases(const std::string& scenario_name) {
  std::vector<VerdictCase> cases;
  for (const VariantSpec& v : FindScenario(scenario_name)->variants) {
    const char* variant = v.name.data();  // the registry's names are string literals
    for (proto::TlbFlushMode mode : {proto::TLB_FLUSH_IPI, proto::TLB_FLUSH_BROADCAST}) {
      for (proto::MemoryModel model :
           {proto::MEMORY_MODEL_SC, proto::MEMORY_MODEL_TSO, proto::MEMORY_MODEL_RELAXED}) {
        // Under the relaxed model a stale read is an answer too: a store-buffering outcome
        // needs two of them besides the context switches.
        cases.push_back({variant, mode, model, proto::ARCH_X86_64,
                         model == proto::MEMORY_MODEL_RELAXED ? 4 : 2});
      }
    }
    cases.push_back(
        {variant, proto::TLB_FLUSH_BROADCAST, proto::MEMORY_MODEL_SC, proto::ARCH_ARM64, 3});
    cases.push_back(
        {variant, proto::TLB_FLUSH_BROADCAST, proto::MEMORY_MODEL_RELAXED, proto::ARCH_ARM64, 4});
  }
  return cases;
}

// "no_pte_recheck_broadcast_relaxed_arm64": a test-name suffix.
inline std::string VerdictCaseName(const VerdictCase& c) {
  const char* model = c.model == proto::MEMORY_MODEL_SC    ? "_sc"
                      : c.model == proto::MEMORY_MODEL_TSO ? "_tso"
                                                           : "_relaxed";
  const char* mode = c.mode == proto::TLB_FLUSH_IPI         ? "_ipi"
                     : c.mode == proto::TLB_FLUSH_BROADCAST ? "_broadcast"
                                                            : "_paravirt";
  const char* arch = c.arch == proto::ARCH_ARM64     ? "_arm64"
                     : c.arch == proto::ARCH_X86_PAE ? "_pae"
                                                     : "";
  return std::string(c.variant) + mode + model + arch;
}

// How gtest prints a case (in test listings, and so in the names ctest discovers): readable and the
// same in every build, never the struct's bytes (which hold a pointer).
inline void PrintTo(const VerdictCase& c, std::ostream* os) {
  *os << VerdictCaseName(c) << " bound " << c.bound;
}

// Every run of `scenario` (its variant set to c.variant) within c.bound non-default answers
// reaches exactly the verdict `ptfuzz scenarios` promises for its configuration: only clean runs
// for "clean"; otherwise the expected violation at least once, and nothing but it, the variant's
// `also` kinds and clean.
inline void ExpectVerdictWithinBound(const std::string& scenario_name, const VerdictCase& c,
                                     int min_runs) {
  const ScenarioSpec* spec = FindScenario(scenario_name);
  ASSERT_NE(spec, nullptr);
  const VariantSpec* variant = FindVariant(*spec, c.variant);
  ASSERT_NE(variant, nullptr);
  proto::Scenario s = spec->default_scenario();
  s.set_variant(c.variant);
  s.set_tlb_flush(c.mode);
  s.set_memory_model(c.model);
  s.set_arch(c.arch);
  const std::string expected(ExpectedVerdict(*variant, s));
  std::map<std::string, int> verdicts;
  const SearchStats stats = BoundedSearch(s, c.bound, [&](const RunResult& r) {
    ++verdicts[r.violation ? std::string(ViolationKindName(r.violation->kind))
                           : std::string(OutcomeName(r.outcome))];
  });
  std::string tape;
  for (uint32_t v : stats.first_violating_tape) tape += std::to_string(v) + " ";
  SCOPED_TRACE("first violating raw tape: [" + tape + "]");
  EXPECT_GT(stats.runs, min_runs);
  if (expected == "clean") {
    EXPECT_EQ(verdicts.size(), 1u);
    EXPECT_EQ(verdicts["clean"], stats.runs);
  } else {
    EXPECT_GT(verdicts[expected], 0) << "the bounded search never reached " << expected;
  }
  for (const auto& [verdict, n] : verdicts) {
    EXPECT_TRUE(verdict == expected || verdict == "clean" || IsAlsoVerdict(*variant, verdict))
        << verdict << " x" << n;
  }
}

}  // namespace ptfuzz::testing

#endif  // PTFUZZ_TESTS_CORE_BOUNDED_SEARCH_H_

// The baseline schedulers (core/sampling_decider.h): deterministic per (seed, run), the default
// schedule at p = 0, uniform answers, and what they find replays strictly.
#include "core/sampling_decider.h"

#include <array>
#include <ostream>
#include <vector>

#include "core/run.h"
#include "core/scenarios/registry.h"
#include "core/strategies.h"
#include "core/strict_decider.h"
#include "gtest/gtest.h"
#include "tests/core/bounded_search.h"

namespace ptfuzz {

// gtest prints the parameter by name in test listings (so in ctest's test names).
void PrintTo(SamplingStrategy strategy, std::ostream* os) { *os << SamplingStrategyName(strategy); }

namespace {

std::vector<uint32_t> Answers(const SamplingOptions& options, uint64_t run, int n) {
  SamplingDecider d(options, run);
  std::vector<uint32_t> out;
  for (int i = 0; i < n; ++i) out.push_back(d.Decide(DecisionKind::kSchedule, 3));
  return out;
}

TEST(SamplingDeciderTest, SameSeedAndRunSameAnswers) {
  SamplingOptions o;
  o.seed = 7;
  EXPECT_EQ(Answers(o, 3, 64), Answers(o, 3, 64));
  EXPECT_NE(Answers(o, 3, 64), Answers(o, 4, 64));
  SamplingOptions other = o;
  other.seed = 8;
  EXPECT_NE(Answers(o, 3, 64), Answers(other, 3, 64));
}

TEST(SamplingDeciderTest, RandomWalkIsUniform) {
  SamplingOptions o;
  SamplingDecider d(o, 0);
  std::array<int, 4> counts{};
  for (int i = 0; i < 40000; ++i) ++counts[d.Decide(DecisionKind::kSchedule, 4)];
  for (int c : counts) {
    EXPECT_GT(c, 9000);
    EXPECT_LT(c, 11000);
  }
}

TEST(SamplingDeciderTest, PreemptionProbabilityZeroIsTheDefaultSchedule) {
  SamplingOptions o;
  o.strategy = SamplingStrategy::kRandomPreemption;
  o.preemption_probability = 0;
  const proto::Scenario s = testing::Configured("gup_vs_split", "no_folio_recheck",
                                                proto::TLB_FLUSH_BROADCAST, proto::MEMORY_MODEL_SC);
  SamplingDecider d(o, 5);
  const RunResult r = RunScenario(s, d, SimOptions{});
  const RunResult def = testing::RunTraced(s, {});
  ASSERT_EQ(r.tape.size(), def.tape.size());
  for (size_t i = 0; i < r.tape.size(); ++i) EXPECT_EQ(r.tape[i].value, 0u);
  EXPECT_EQ(r.trace_hash, def.trace_hash);
}

// Random preemption finds Z03's one-preemption bug, and the schedule it found replays strictly
// to the same violation.
TEST(SamplingDeciderTest, FindingReplays) {
  SamplingOptions o;
  o.strategy = SamplingStrategy::kRandomPreemption;
  const proto::Scenario s = testing::Configured("gup_vs_split", "no_folio_recheck",
                                                proto::TLB_FLUSH_BROADCAST, proto::MEMORY_MODEL_SC);
  for (uint64_t run = 0; run < 5000; ++run) {
    SamplingDecider d(o, run);
    const RunResult r = RunScenario(s, d, SimOptions{});
    if (!r.violation) continue;
    StrictDecider strict(r.tape);
    const RunResult again = RunScenario(s, strict, SimOptions{});
    ASSERT_TRUE(again.violation.has_value());
    EXPECT_EQ(again.violation->kind, r.violation->kind);
    EXPECT_EQ(again.trace_hash, r.trace_hash);
    return;
  }
  FAIL() << "random preemption found nothing in 5000 runs";
}

// PCT at depth 1 has no change point: each choice runs the highest-priority runner, so no run
// preempts a runner that can still go on. At depth 3 it finds Z03 and the finding replays.
TEST(SamplingDeciderTest, PctDepthOneNeverPreempts) {
  SamplingOptions o;
  o.strategy = SamplingStrategy::kPct;
  o.pct_depth = 1;
  const proto::Scenario s = testing::Configured("gup_vs_split", "no_folio_recheck",
                                                proto::TLB_FLUSH_BROADCAST, proto::MEMORY_MODEL_SC);
  for (uint64_t run = 0; run < 50; ++run) {
    SamplingDecider d(o, run);
    const RunResult r = RunScenario(s, d, SimOptions{});
    EXPECT_EQ(r.preemptions, 0u) << "run " << run;
  }
}

TEST(SamplingDeciderTest, PctFindsAndReplays) {
  SamplingOptions o;
  o.strategy = SamplingStrategy::kPct;
  o.pct_depth = 3;
  o.pct_steps = 60;
  const proto::Scenario s = testing::Configured("gup_vs_split", "no_folio_recheck",
                                                proto::TLB_FLUSH_BROADCAST, proto::MEMORY_MODEL_SC);
  for (uint64_t run = 0; run < 5000; ++run) {
    SamplingDecider d(o, run);
    const RunResult r = RunScenario(s, d, SimOptions{});
    SamplingDecider again_decider(o, run);
    EXPECT_EQ(RunScenario(s, again_decider, SimOptions{}).trace_hash, r.trace_hash);
    if (!r.violation) continue;
    StrictDecider strict(r.tape);
    const RunResult again = RunScenario(s, strict, SimOptions{});
    ASSERT_TRUE(again.violation.has_value());
    EXPECT_EQ(again.trace_hash, r.trace_hash);
    return;
  }
  FAIL() << "PCT found nothing in 5000 runs";
}

// Each strategy, run by SampleRuns() with CalibrateSampling(), finds Z03's one-preemption bug,
// deterministically (the same seed finds it after the same number of runs) and replayably.
class StrategyTest : public ::testing::TestWithParam<SamplingStrategy> {};

TEST_P(StrategyTest, FindsDeterministicallyAndReplays) {
  const proto::Scenario s = testing::Configured("gup_vs_split", "no_folio_recheck",
                                                proto::TLB_FLUSH_BROADCAST, proto::MEMORY_MODEL_SC);
  SamplingOptions o;
  o.strategy = GetParam();
  o.seed = 3;
  CalibrateSampling(s, SimOptions{}, &o);
  auto first_violation = [&](RunResult* found) {
    return SampleRuns(s, o, 200000, SimOptions{}, [&](const RunResult& r) {
      if (!r.violation) return true;
      *found = r;
      return false;
    });
  };
  RunResult a, b;
  const uint64_t runs_a = first_violation(&a);
  const uint64_t runs_b = first_violation(&b);
  ASSERT_TRUE(a.violation.has_value()) << "nothing in " << runs_a << " runs";
  EXPECT_EQ(runs_a, runs_b);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  StrictDecider strict(a.tape);
  const RunResult again = RunScenario(s, strict, SimOptions{});
  ASSERT_TRUE(again.violation.has_value());
  EXPECT_EQ(again.trace_hash, a.trace_hash);
}

std::string StrategyName(const ::testing::TestParamInfo<SamplingStrategy>& info) {
  return std::string(SamplingStrategyName(info.param));
}

INSTANTIATE_TEST_SUITE_P(All, StrategyTest,
                         ::testing::Values(SamplingStrategy::kRandomPreemption,
                                           SamplingStrategy::kPct, SamplingStrategy::kPctwm,
                                           SamplingStrategy::kPos, SamplingStrategy::kSurw),
                         StrategyName);

TEST(SamplingDeciderTest, NamesRoundTrip) {
  for (SamplingStrategy st :
       {SamplingStrategy::kRandomWalk, SamplingStrategy::kRandomPreemption, SamplingStrategy::kPct,
        SamplingStrategy::kPctwm, SamplingStrategy::kPos, SamplingStrategy::kSurw}) {
    EXPECT_EQ(SamplingStrategyFromName(SamplingStrategyName(st)), st);
  }
  EXPECT_FALSE(SamplingStrategyFromName("chess").has_value());
}

// The profile counts each CPU's steps in the default run; k bounds the steps of the default run
// (and of the random walks calibration also makes), so it covers every schedule choice.
TEST(SamplingDeciderTest, CalibrationCountsTheDefaultRun) {
  const proto::Scenario s = testing::Configured("gup_vs_split", "no_folio_recheck",
                                                proto::TLB_FLUSH_BROADCAST, proto::MEMORY_MODEL_SC);
  SamplingOptions o;
  CalibrateSampling(s, SimOptions{}, &o);
  const RunResult def = testing::RunTraced(s, {});
  uint32_t schedule_choices = 0;
  for (const CanonicalDecision& d : def.tape) schedule_choices += d.kind == DecisionKind::kSchedule;
  EXPECT_GE(o.pct_steps, def.steps);
  EXPECT_GE(o.pct_steps, schedule_choices);
  uint32_t steps = 0;
  for (const auto& [cpu, n] : o.runner_steps) steps += n;
  uint32_t cpu_steps = 0;
  for (const TraceEvent& e : def.trace) cpu_steps += IsCpuStep(e);
  EXPECT_EQ(steps, cpu_steps);
  EXPECT_EQ(o.runner_steps.size(), 2u);  // both CPUs run an actor
}

// PCTWM: a load reads the newest store except at its change points, where it reads one of the
// `rf_history` stores just older; schedule choices follow PCT.
TEST(SamplingDeciderTest, PctwmReadsOlderStoresOnlyAtChangePoints) {
  SamplingOptions o;
  o.strategy = SamplingStrategy::kPctwm;
  o.rf_changes = 1;
  o.rf_history = 2;
  o.rf_steps = 8;
  for (uint64_t run = 0; run < 200; ++run) {
    SamplingDecider d(o, run);
    int non_newest = 0;
    for (int i = 0; i < 8; ++i) {
      const uint32_t v = d.Decide(DecisionKind::kReadsFrom, 5);
      EXPECT_LE(v, 2u);
      non_newest += v != 0;
    }
    EXPECT_EQ(non_newest, 1) << "run " << run;
  }
}

// POS: the pending event with the highest priority runs; an event that races with the one that
// ran (same location, a write among them) gets a fresh priority, others keep theirs.
TEST(SamplingDeciderTest, PosRedrawsOnlyRacingEvents) {
  SamplingOptions o;
  o.strategy = SamplingStrategy::kPos;
  const uint64_t x_write = Decider::AccessKey(100, true);
  const uint64_t x_read = Decider::AccessKey(100, false);
  const uint64_t y_read = Decider::AccessKey(200, false);
  EXPECT_TRUE(Decider::AccessesRace(x_write, x_read));
  EXPECT_FALSE(Decider::AccessesRace(x_read, x_read));
  EXPECT_FALSE(Decider::AccessesRace(x_read, y_read));
  EXPECT_FALSE(Decider::AccessesRace(0, x_write));
  // Two runners' first events get independent priorities: either may run first.
  int zero_first = 0;
  for (uint64_t run = 0; run < 400; ++run) {
    SamplingDecider d(o, run);
    const uint32_t ids[] = {0, 1};
    const uint64_t accesses[] = {x_read, y_read};
    d.OnScheduleOptions(ids, accesses);
    zero_first += d.Decide(DecisionKind::kSchedule, 2) == 0;
  }
  EXPECT_GT(zero_first, 150);
  EXPECT_LT(zero_first, 250);
  // Twenty steps of two runners whose next events stay the same: when they race, both are
  // re-drawn after every step (a fair coin each time); when they do not, only the runner that
  // ran is, against the other's ever lower priority, so switches die out.
  auto switches = [&](uint64_t a0, uint64_t a1) {
    int n = 0;
    for (uint64_t run = 0; run < 400; ++run) {
      SamplingDecider d(o, run);
      const uint32_t ids[] = {0, 1};
      const uint64_t accesses[] = {a0, a1};
      uint32_t prev = 2;
      for (int i = 0; i < 20; ++i) {
        d.OnScheduleOptions(ids, accesses);
        const uint32_t pick = d.Decide(DecisionKind::kSchedule, 2);
        n += prev != 2 && pick != prev;
        prev = pick;
      }
    }
    return n;
  };
  const int racing = switches(x_write, x_read);
  const int independent = switches(x_read, y_read);
  EXPECT_GT(racing, 3000);  // about 19 * 400 / 2
  EXPECT_GT(racing, 2 * independent);
}

// Iterative deepening stops at the smallest bound that finds the bug, and says when a fixed
// variant's bound was exhausted.
TEST(StrategiesTest, DeepeningFindsAtTheSmallestBound) {
  const proto::Scenario buggy = testing::Configured(
      "gup_vs_split", "no_folio_recheck", proto::TLB_FLUSH_BROADCAST, proto::MEMORY_MODEL_SC);
  int violations = 0;
  const DeepeningOutcome found =
      DeepenUntilViolation(buggy, 4, 100000, SimOptions{}, [&](const RunResult& r) {
        violations += r.violation.has_value();
        return true;
      });
  EXPECT_EQ(found.bound, 1);
  EXPECT_EQ(violations, 1);
  EXPECT_FALSE(found.exhausted);
  const proto::Scenario fixed = testing::Configured(
      "gup_vs_split", "fixed", proto::TLB_FLUSH_BROADCAST, proto::MEMORY_MODEL_SC);
  const DeepeningOutcome clean =
      DeepenUntilViolation(fixed, 1, 100000, SimOptions{}, [](const RunResult&) { return true; });
  EXPECT_EQ(clean.bound, -1);
  EXPECT_TRUE(clean.exhausted);
  const DeepeningOutcome cut =
      DeepenUntilViolation(fixed, 3, 10, SimOptions{}, [](const RunResult&) { return true; });
  EXPECT_EQ(cut.runs, 10u);
  EXPECT_FALSE(cut.exhausted);
}

}  // namespace
}  // namespace ptfuzz

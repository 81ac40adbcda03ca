// The baseline schedulers (core/sampling_decider.h): deterministic per (seed, run), the default
// schedule at p = 0, uniform answers, and what they find replays strictly.
#include "core/sampling_decider.h"

#include <array>
#include <vector>

#include "core/run.h"
#include "core/scenarios/registry.h"
#include "core/strict_decider.h"
#include "gtest/gtest.h"
#include "tests/core/bounded_search.h"

namespace ptfuzz {
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

}  // namespace
}  // namespace ptfuzz

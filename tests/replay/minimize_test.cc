#include "replay/minimize.h"

#include "core/format_version.h"
#include "core/run.h"
#include "core/scenarios/registry.h"
#include "core/strategies.h"
#include "core/violation.h"
#include "gtest/gtest.h"

namespace ptfuzz {
namespace {

proto::Schedule Buggy(std::vector<uint32_t> tape) {
  proto::Schedule s;
  s.set_format_version(kFormatVersion);
  *s.mutable_scenario() = FindScenario("gup_vs_zap")->default_scenario();
  s.mutable_scenario()->set_variant("no_pte_recheck");
  s.mutable_scenario()->set_tlb_flush(proto::TLB_FLUSH_BROADCAST);
  s.mutable_scenario()->set_num_cpus(5);  // two idle CPUs to drop
  s.mutable_scenario()->set_num_frames(20);
  for (uint32_t v : tape) s.add_raw_tape(v);
  return s;
}

TEST(MinimizeTest, KeepsTheViolationAndShrinksTheSchedule) {
  // A noisy tape around the one preemption that matters (after GUP-fast's PTE read).
  const proto::Schedule input = Buggy({0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                       0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 2, 5});
  const RunResult original = RunSchedule(input, SimOptions{});
  ASSERT_TRUE(original.violation.has_value());
  const absl::StatusOr<Minimized> m = MinimizeSchedule(input, MinimizeOptions{});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->signature, ViolationSignature(*original.violation));
  EXPECT_TRUE(m->schedule.canonical());
  EXPECT_LT(m->schedule.scenario().num_cpus(), 5u);
  EXPECT_LT(m->schedule.scenario().num_frames(), 20u);
  EXPECT_LE(m->stats.non_default_after, m->stats.non_default_before);
  EXPECT_EQ(m->stats.preemptions, 1u);
  // The canonical result replays strictly to the same violation.
  const RunResult again = RunSchedule(m->schedule, SimOptions{});
  ASSERT_TRUE(again.violation.has_value());
  EXPECT_EQ(ViolationSignature(*again.violation), m->signature);
  EXPECT_EQ(again.trace_hash, m->result.trace_hash);
}

// A random walk's store-buffering finding (Z12 without reclaim's smp_mb(), arm64 primitives,
// the relaxed model) switches CPUs at almost every step; the minimizer's bounded searches bring
// it down to the two preemptions and one stale load the race needs, before -> after reported.
TEST(MinimizeTest, RemovesThePreemptionsARandomWalkAdds) {
  proto::Schedule input;
  input.set_format_version(kFormatVersion);
  proto::Scenario& s = *input.mutable_scenario();
  s = FindScenario("gup_vs_madv_free")->default_scenario();
  s.set_variant("no_sb_mb");
  s.set_arch(proto::ARCH_ARM64);
  s.set_tlb_flush(proto::TLB_FLUSH_BROADCAST);
  s.set_memory_model(proto::MEMORY_MODEL_RELAXED);
  SamplingOptions walk;
  RunResult found;
  SampleRuns(s, walk, 100000, SimOptions{}, [&](const RunResult& r) {
    if (!r.violation) return true;
    found = r;
    return false;
  });
  ASSERT_TRUE(found.violation.has_value());
  ASSERT_GT(found.preemptions, 4u);
  SetCanonicalTape(found.tape, &input);
  const absl::StatusOr<Minimized> m = MinimizeSchedule(input, MinimizeOptions{});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->signature, ViolationSignature(*found.violation));
  EXPECT_EQ(m->stats.preemptions_before, found.preemptions);
  EXPECT_LE(m->stats.preemptions, 2u);
  EXPECT_LE(m->stats.stale_loads, 2u);
  EXPECT_LE(m->stats.non_default_after, 4);
}

TEST(StrictReplayTest, LeftoverAnswersAfterAViolationAreADivergence) {
  const absl::StatusOr<Minimized> m =
      MinimizeSchedule(Buggy({0, 0, 0, 0, 0, 1}), MinimizeOptions{});
  ASSERT_TRUE(m.ok()) << m.status();
  proto::Schedule extra = m->schedule;
  proto::Decision* d = extra.add_tape();
  d->set_kind(proto::DECISION_SCHEDULE);
  d->set_num_options(2);
  const RunResult r = RunSchedule(extra, SimOptions{});
  EXPECT_EQ(r.outcome, Outcome::kDivergence);
  EXPECT_NE(r.divergence.message().find("left over"), absl::string_view::npos) << r.divergence;
}

TEST(MinimizeTest, CleanScheduleIsRefused) {
  proto::Schedule s = Buggy({});
  const absl::StatusOr<Minimized> m = MinimizeSchedule(s, MinimizeOptions{});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace ptfuzz

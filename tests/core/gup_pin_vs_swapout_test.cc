// gup_pin_vs_swapout (bug zoo Z13): the pin and the swap-out alone, then every variant under every
// configuration of testing::AllVerdictCases(). The two barrier variants must be found only where
// the reordering exists: the reader's under the relaxed model, the writer's only with arm64's
// xchg_relaxed clear.
#include <string>
#include <vector>

#include "core/protocols/folio_ref.h"
#include "core/run.h"
#include "core/scenarios/registry.h"
#include "core/tape_decider.h"
#include "gtest/gtest.h"
#include "tests/core/bounded_search.h"

namespace ptfuzz {
namespace {

RunResult RunOnly(proto::ActorKind keep) {
  proto::Scenario s = FindScenario("gup_pin_vs_swapout")->default_scenario();
  s.set_memory_model(proto::MEMORY_MODEL_SC);
  for (int i = s.actors_size() - 1; i >= 0; --i) {
    if (s.actors(i).kind() != keep) s.mutable_actors()->DeleteSubrange(i, 1);
  }
  const std::vector<uint32_t> none;
  TapeDecider d(none);
  SimOptions o;
  o.record_trace = true;
  return RunScenario(s, d, o);
}

TEST(GupPinTest, PinsWithTheBiasAndUnpins) {
  const RunResult r = RunOnly(proto::ACTOR_GUP_FAST_PIN);
  ASSERT_EQ(r.outcome, Outcome::kClean);
  bool pinned = false, unpinned = false;
  for (const TraceEvent& e : r.trace) {
    if (e.op == OpKind::kRefAdd && e.new_value == 1 + kGupPinCountingBias) pinned = true;
    if (e.op == OpKind::kRefPut && e.old_value == 1 + kGupPinCountingBias && e.new_value == 1) {
      unpinned = true;
    }
  }
  EXPECT_TRUE(pinned);
  EXPECT_TRUE(unpinned);
}

TEST(SwapoutTest, AloneUnmapsSharesAndFreesThePage) {
  const RunResult r = RunOnly(proto::ACTOR_SWAPOUT_ANON);
  ASSERT_EQ(r.outcome, Outcome::kClean);
  bool unshared = false, freed = false;
  for (const TraceEvent& e : r.trace) {
    if (e.op == OpKind::kRmw && LocSpaceOf(e.addr) == LocSpace::kAnonExclusive &&
        e.old_value == 1 && e.new_value == 0) {
      unshared = true;
    }
    if (e.op == OpKind::kRefPut && e.new_value == 0) freed = true;
  }
  EXPECT_TRUE(unshared);
  EXPECT_TRUE(freed);
}

using testing::VerdictCase;

class GupPinVsSwapoutBoundedTest : public ::testing::TestWithParam<VerdictCase> {};

TEST_P(GupPinVsSwapoutBoundedTest, ReachesExactlyTheExpectedVerdict) {
  testing::ExpectVerdictWithinBound("gup_pin_vs_swapout", GetParam(), 20);
}

INSTANTIATE_TEST_SUITE_P(AllVariants, GupPinVsSwapoutBoundedTest,
                         ::testing::ValuesIn(testing::AllVerdictCases("gup_pin_vs_swapout")),
                         [](const ::testing::TestParamInfo<VerdictCase>& info) {
                           return testing::VerdictCaseName(info.param);
                         });

}  // namespace
}  // namespace ptfuzz

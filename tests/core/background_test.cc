// Background actors (core/scenarios/background.h): the busy machine has the shape documented,
// is validated, replays deterministically, leaves every fixed variant clean and its bugs
// findable.
#include "core/scenarios/background.h"

#include <algorithm>
#include <string>

#include "core/run.h"
#include "core/scenarios/registry.h"
#include "core/strategies.h"
#include "core/strict_decider.h"
#include "gtest/gtest.h"
#include "tests/core/bounded_search.h"

namespace ptfuzz {
namespace {

TEST(BackgroundTest, NoneLeavesTheScenarioAsItIs) {
  const proto::Scenario s = FindScenario("gup_vs_zap")->default_scenario();
  EXPECT_EQ(WithBackgroundActors(s).SerializeAsString(), s.SerializeAsString());
}

TEST(BackgroundTest, ShapeOfFiveActors) {
  proto::Scenario s = FindScenario("gup_vs_zap")->default_scenario();
  s.set_background_actors(5);
  const proto::Scenario b = WithBackgroundActors(s);
  EXPECT_EQ(b.background_actors(), 0u);
  EXPECT_EQ(b.num_cpus(), s.num_cpus() + 5);
  EXPECT_EQ(b.num_frames(), s.num_frames() + 1 + 2 * 5);
  ASSERT_EQ(b.actors_size(), s.actors_size() + 5);
  // Three GUP-fast walks and zaps of mapped pages, two faults of unmapped ones.
  EXPECT_EQ(b.mappings_size(), s.mappings_size() + 3);
  const proto::ActorKind cycle[] = {proto::ACTOR_GUP_FAST, proto::ACTOR_ANON_FAULT,
                                    proto::ACTOR_ZAP};
  uint64_t top = 0;
  for (const proto::Actor& a : s.actors()) top = std::max<uint64_t>(top, a.vaddr());
  for (const proto::Mapping& m : s.mappings()) top = std::max<uint64_t>(top, m.vaddr());
  for (int i = 0; i < 5; ++i) {
    const proto::Actor& a = b.actors(s.actors_size() + i);
    EXPECT_EQ(a.kind(), cycle[i % 3]) << i;
    EXPECT_EQ(a.cpu(), s.num_cpus() + i);
    // Each on its own PTE table, in a 1 GiB region above the scenario's pages.
    EXPECT_GT(a.vaddr(), top);
    EXPECT_EQ(a.vaddr() % (uint64_t{1} << 21), 0u);
  }
  EXPECT_TRUE(ValidateScenario(s).ok()) << ValidateScenario(s).message();
}

TEST(BackgroundTest, GeometryScenariosGetNoZaps) {
  proto::Scenario s = FindScenario("geometry_walk_s390")->default_scenario();
  s.set_background_actors(6);
  const proto::Scenario b = WithBackgroundActors(s);
  for (int i = s.actors_size(); i < b.actors_size(); ++i) {
    EXPECT_NE(b.actors(i).kind(), proto::ACTOR_ZAP);
  }
  EXPECT_TRUE(ValidateScenario(s).ok()) << ValidateScenario(s).message();
}

TEST(BackgroundTest, AtMostTwelve) {
  proto::Scenario s = FindScenario("gup_vs_zap")->default_scenario();
  s.set_background_actors(12);
  EXPECT_TRUE(ValidateScenario(s).ok()) << ValidateScenario(s).message();
  s.set_background_actors(13);
  const absl::Status st = ValidateScenario(s);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(std::string(st.message()).find("background_actors = 13"), std::string::npos);
}

// Every scenario's fixed variant, in its default configuration, with 2 and 6 background actors:
// valid, deterministic, and clean over PCT and random-preemption samples.
class BackgroundFixedTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BackgroundFixedTest, StaysClean) {
  for (uint32_t k : {2u, 6u}) {
    proto::Scenario s = FindScenario(GetParam())->default_scenario();
    s.set_background_actors(k);
    ASSERT_TRUE(ValidateScenario(s).ok()) << ValidateScenario(s).message();
    for (SamplingStrategy strategy :
         {SamplingStrategy::kPct, SamplingStrategy::kRandomPreemption}) {
      SamplingOptions o;
      o.strategy = strategy;
      CalibrateSampling(s, SimOptions{}, &o);
      int runs = 0;
      SampleRuns(s, o, 1500, SimOptions{}, [&](const RunResult& r) {
        ++runs;
        EXPECT_FALSE(r.violation.has_value())
            << GetParam() << " with " << k << " background actors, "
            << SamplingStrategyName(strategy) << " run " << runs << ": "
            << ViolationKindName(r.violation->kind) << " at " << r.violation->site;
        if (runs == 1) {
          StrictDecider strict(r.tape);
          EXPECT_EQ(RunScenario(s, strict, SimOptions{}).trace_hash, r.trace_hash);
        }
        return !r.violation.has_value();
      });
    }
  }
}

std::vector<std::string> ScenarioNames() {
  std::vector<std::string> out;
  for (const ScenarioSpec& spec : BuiltinScenarios()) out.emplace_back(spec.name);
  return out;
}

INSTANTIATE_TEST_SUITE_P(AllScenarios, BackgroundFixedTest, ::testing::ValuesIn(ScenarioNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

// Background pages and tables come from the frames added for them: the frames the scenario's own
// allocations get at run time are those they got without a busy machine. Compared under the
// default schedule up to the first background step (the scenario's own CPUs run first, until one
// blocks): the busy machine's allocations are a prefix of the quiet one's.
TEST_P(BackgroundFixedTest, LeavesTheScenarioFramesAlone) {
  auto own_allocations = [&](uint32_t k) {
    proto::Scenario s = FindScenario(GetParam())->default_scenario();
    const uint32_t own = s.num_cpus();
    s.set_background_actors(k);
    const RunResult r = testing::RunTraced(s, {});
    std::vector<uint64_t> out;
    for (const TraceEvent& e : r.trace) {
      if (e.cpu >= own) break;
      if (e.op == OpKind::kAllocPage) out.push_back(e.ok ? e.new_value : ~uint64_t{0});
    }
    return out;
  };
  const std::vector<uint64_t> busy = own_allocations(3);
  const std::vector<uint64_t> quiet = own_allocations(0);
  ASSERT_LE(busy.size(), quiet.size());
  EXPECT_TRUE(std::equal(busy.begin(), busy.end(), quiet.begin()));
}

// A bug still shows on the busy machine, and its schedule replays strictly.
TEST(BackgroundTest, BuggyVariantStillFound) {
  proto::Scenario s = testing::Configured("gup_vs_split", "no_folio_recheck",
                                          proto::TLB_FLUSH_BROADCAST, proto::MEMORY_MODEL_SC);
  s.set_background_actors(6);
  SamplingOptions o;
  o.strategy = SamplingStrategy::kPct;
  CalibrateSampling(s, SimOptions{}, &o);
  RunResult found;
  SampleRuns(s, o, 200000, SimOptions{}, [&](const RunResult& r) {
    if (!r.violation) return true;
    found = r;
    return false;
  });
  ASSERT_TRUE(found.violation.has_value());
  EXPECT_EQ(found.violation->kind, ViolationKind::kRefOnWrongFolio);
  StrictDecider strict(found.tape);
  const RunResult again = RunScenario(s, strict, SimOptions{});
  ASSERT_TRUE(again.violation.has_value());
  EXPECT_EQ(again.trace_hash, found.trace_hash);
}

}  // namespace
}  // namespace ptfuzz

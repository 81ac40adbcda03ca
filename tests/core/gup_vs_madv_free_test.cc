// gup_vs_madv_free (bug zoo Z12): reclaim alone, then every variant under every flush mode and
// memory model, and arm64 under the relaxed model, exhaustively within a bound of non-default
// answers. The store-buffering variant must be found only where the reordering exists.
#include <string>
#include <vector>

#include "core/run.h"
#include "core/scenarios/registry.h"
#include "core/tape_decider.h"
#include "core/violation.h"
#include "gtest/gtest.h"
#include "tests/core/bounded_search.h"

namespace ptfuzz {
namespace {

proto::Scenario Scenario(const std::string& variant, proto::TlbFlushMode mode,
                         proto::MemoryModel model, proto::Arch arch = proto::ARCH_X86_64) {
  proto::Scenario s = FindScenario("gup_vs_madv_free")->default_scenario();
  s.set_variant(variant);
  s.set_tlb_flush(mode);
  s.set_memory_model(model);
  s.set_arch(arch);
  return s;
}

RunResult RunDefault(const proto::Scenario& s) {
  const std::vector<uint32_t> none;
  TapeDecider d(none);
  SimOptions o;
  o.record_trace = true;
  return RunScenario(s, d, o);
}

TEST(ReclaimLazyfreeTest, AloneDiscardsTheCleanPageAndFreesIt) {
  proto::Scenario s = Scenario("fixed", proto::TLB_FLUSH_IPI, proto::MEMORY_MODEL_SC);
  s.mutable_actors()->DeleteSubrange(0, 1);  // reclaim only
  const RunResult r = RunDefault(s);
  ASSERT_EQ(r.outcome, Outcome::kClean);
  bool cleared = false, freed = false;
  for (const TraceEvent& e : r.trace) {
    if (e.op == OpKind::kXchg && e.new_value == 0) cleared = true;
    if (e.op == OpKind::kRefPut && e.new_value == 0) freed = true;
  }
  EXPECT_TRUE(cleared);
  EXPECT_TRUE(freed) << "a lazyfree page nobody holds is discarded and freed";
}

TEST(ReclaimLazyfreeTest, AReferenceHeldAcrossTheCheckRestoresThePte) {
  // Some schedule with one preemption lets reclaim look while GUP-fast holds its reference:
  // reclaim then maps the page again (set_pte_at() of the value it cleared) and frees nothing.
  const proto::Scenario s = Scenario("fixed", proto::TLB_FLUSH_BROADCAST, proto::MEMORY_MODEL_SC);
  int restores = 0;
  const testing::SearchStats stats = testing::BoundedSearch(s, 1, [&](const RunResult& r) {
    EXPECT_FALSE(r.violation.has_value()) << r.violation->explanation;
  });
  for (uint32_t at = 0; at < 16; ++at) {
    std::vector<uint32_t> tape(at, 0);
    tape.push_back(1);
    TapeDecider d(tape);
    SimOptions o;
    o.record_trace = true;
    const RunResult r = RunScenario(s, d, o);
    for (const TraceEvent& e : r.trace) {
      restores += e.op == OpKind::kStore && e.level == PtLevel::kPte && e.new_value != 0;
    }
  }
  EXPECT_GT(stats.runs, 10);
  EXPECT_GT(restores, 0) << "no single preemption made reclaim see GUP-fast's reference";
}

// Every variant under every configuration of testing::AllVerdictCases().
using testing::VerdictCase;

class GupVsMadvFreeBoundedTest : public ::testing::TestWithParam<VerdictCase> {};

TEST_P(GupVsMadvFreeBoundedTest, ReachesExactlyTheExpectedVerdict) {
  testing::ExpectVerdictWithinBound("gup_vs_madv_free", GetParam(), 20);
}

INSTANTIATE_TEST_SUITE_P(AllVariants, GupVsMadvFreeBoundedTest,
                         ::testing::ValuesIn(testing::AllVerdictCases("gup_vs_madv_free")),
                         [](const ::testing::TestParamInfo<VerdictCase>& info) {
                           return testing::VerdictCaseName(info.param);
                         });

}  // namespace
}  // namespace ptfuzz

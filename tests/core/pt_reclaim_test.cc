// PT_RECLAIM's MADV_DONTNEED of a whole range (core/protocols/pt_reclaim.h), the RCU grace
// period that frees its table (World's rcu agents), and collapse_vs_pt_reclaim (bug zoo Z10).
#include <algorithm>
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

RunResult RunTape(const proto::Scenario& s, const std::vector<uint32_t>& tape) {
  TapeDecider d(tape);
  SimOptions o;
  o.record_trace = true;
  return RunScenario(s, d, o);
}

// madvise on cpu 1 and, unless `gup` is false, GUP-fast on cpu 0 at the same page.
proto::Scenario MadviseScenario(bool gup, proto::MemoryModel model = proto::MEMORY_MODEL_SC) {
  proto::Scenario s = FindScenario("collapse_vs_pt_reclaim")->default_scenario();
  s.set_memory_model(model);
  s.mutable_actors(0)->set_kind(proto::ACTOR_GUP_FAST);
  if (!gup) s.mutable_actors()->DeleteSubrange(0, 1);
  return s;
}

TEST(PtReclaimTest, AnEmptiedTableIsUnhookedAndFreedAfterAGracePeriod) {
  const RunResult r = RunTape(MadviseScenario(false), {});
  ASSERT_EQ(r.outcome, Outcome::kClean) << (r.violation ? r.violation->explanation : "");
  int cleared = -1, queued = -1, freed = -1;
  for (size_t i = 0; i < r.trace.size(); ++i) {
    const TraceEvent& e = r.trace[i];
    if (e.op == OpKind::kStore && e.level == PtLevel::kPmd && e.new_value == 0) cleared = i;
    if (e.op == OpKind::kCallRcu && e.addr == 3) queued = i;
    if (e.op == OpKind::kRcuCallback && e.addr == 3 && e.new_value == 0) freed = i;
  }
  EXPECT_GE(cleared, 0) << "pmd_clear()";
  EXPECT_GT(queued, cleared) << "the table is queued after the pmd is cleared and flushed";
  EXPECT_GT(freed, queued) << "and freed by the RCU callback";
}

TEST(PtReclaimTest, TheGracePeriodWaitsForGupFastsInterruptsOffSection) {
  // GUP-fast disables interrupts and reads the pmd (4 steps), then the madvise runs to the end:
  // its table can be freed only after GUP-fast enables interrupts.
  const RunResult r = RunTape(MadviseScenario(true), {0, 0, 0, 0, 1});
  ASSERT_EQ(r.outcome, Outcome::kClean) << (r.violation ? r.violation->explanation : "");
  int enabled = -1, freed = -1, pte_read = -1;
  for (size_t i = 0; i < r.trace.size(); ++i) {
    const TraceEvent& e = r.trace[i];
    if (e.cpu == 0 && e.agent < 0 && e.op == OpKind::kIrqEnable) enabled = i;
    if (e.op == OpKind::kRcuCallback && e.addr == 3) freed = i;
    if (e.cpu == 0 && e.agent < 0 && e.op == OpKind::kLoad && e.level == PtLevel::kPte) {
      pte_read = i;
    }
  }
  ASSERT_GE(freed, 0);
  EXPECT_GT(freed, enabled);
  EXPECT_GE(pte_read, 0);
  EXPECT_LT(pte_read, freed) << "GUP-fast read the unhooked table while it was still a table";
}

TEST(PtReclaimTest, NoWalkerEverReadsTheFreedTable) {
  for (proto::MemoryModel model :
       {proto::MEMORY_MODEL_SC, proto::MEMORY_MODEL_TSO, proto::MEMORY_MODEL_RELAXED}) {
    for (proto::TlbFlushMode mode : {proto::TLB_FLUSH_IPI, proto::TLB_FLUSH_BROADCAST}) {
      proto::Scenario s = MadviseScenario(true, model);
      s.set_tlb_flush(mode);
      int late_reads = 0;
      const testing::SearchStats stats = testing::BoundedSearch(s, 2, [&](const RunResult& r) {
        EXPECT_FALSE(r.violation.has_value()) << r.violation->explanation;
        late_reads += r.steps > 0;
      });
      EXPECT_GT(stats.runs, 50);
    }
  }
}

using testing::VerdictCase;

class CollapseVsPtReclaimBoundedTest : public ::testing::TestWithParam<VerdictCase> {};

TEST_P(CollapseVsPtReclaimBoundedTest, ReachesExactlyTheExpectedVerdict) {
  testing::ExpectVerdictWithinBound("collapse_vs_pt_reclaim", GetParam(), 20);
}

INSTANTIATE_TEST_SUITE_P(AllVariants, CollapseVsPtReclaimBoundedTest,
                         ::testing::ValuesIn(testing::AllVerdictCases("collapse_vs_pt_reclaim")),
                         [](const ::testing::TestParamInfo<VerdictCase>& info) {
                           return testing::VerdictCaseName(info.param);
                         });

// retract_vs_exit (Z09): the retract and the exit path's zap, every variant within the bound.
class RetractVsExitBoundedTest : public ::testing::TestWithParam<VerdictCase> {};

TEST_P(RetractVsExitBoundedTest, ReachesExactlyTheExpectedVerdict) {
  testing::ExpectVerdictWithinBound("retract_vs_exit", GetParam(), 10);
}

// Under TSO the exit path's mmap_write_unlock() sits in its store buffer, where the retract's
// trylock cannot see it released: one more answer (the drain).
std::vector<VerdictCase> RetractCases() {
  std::vector<VerdictCase> cases = testing::AllVerdictCases("retract_vs_exit");
  for (VerdictCase& c : cases) c.bound = std::max(c.bound, 3);
  return cases;
}

INSTANTIATE_TEST_SUITE_P(AllVariants, RetractVsExitBoundedTest,
                         ::testing::ValuesIn(RetractCases()),
                         [](const ::testing::TestParamInfo<VerdictCase>& info) {
                           return testing::VerdictCaseName(info.param);
                         });

TEST(RetractTest, AnAnonymousPageInTheRangeKeepsTheTable) {
  // vma->anon_vma: the retract leaves a range with anonymous pages alone.
  proto::Scenario s = FindScenario("retract_vs_exit")->default_scenario();
  s.mutable_mappings(0)->set_table_only(false);
  s.mutable_actors()->DeleteSubrange(1, 1);  // the retract only
  const RunResult r = RunTape(s, {});
  ASSERT_EQ(r.outcome, Outcome::kClean) << (r.violation ? r.violation->explanation : "");
  for (const TraceEvent& e : r.trace) {
    EXPECT_FALSE(e.op == OpKind::kXchg && e.level == PtLevel::kPmd) << "the pmd was cleared";
  }
}

TEST(RetractTest, TheExitTestSkipsADyingMm) {
  // The exit path first (mmput() and khugepaged_exit()), then the retract of 2020-2023: it takes
  // the mmap lock, reads mm_users == 0 and gives up.
  proto::Scenario s = FindScenario("retract_vs_exit")->default_scenario();
  s.set_variant("exit_test");
  const RunResult r = RunTape(s, {1});
  ASSERT_EQ(r.outcome, Outcome::kClean) << (r.violation ? r.violation->explanation : "");
  bool read_zero = false, cleared = false;
  for (const TraceEvent& e : r.trace) {
    if (e.cpu == 0 && e.op == OpKind::kLoad && LocSpaceOf(e.addr) == LocSpace::kMmUsers &&
        e.new_value == 0) {
      read_zero = true;
    }
    cleared |= e.op == OpKind::kXchg && e.level == PtLevel::kPmd;
  }
  EXPECT_TRUE(read_zero);
  EXPECT_FALSE(cleared);
}

}  // namespace
}  // namespace ptfuzz

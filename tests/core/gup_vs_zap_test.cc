// The gup_vs_zap scenario: each protocol step alone, then every variant under both TLB flush
// modes, exhaustively within a bound of two non-default answers (preemptions or allocation
// choices), which covers the one-preemption races of the bug zoo.
#include <map>
#include <string>

#include "core/run.h"
#include "core/scenarios/gup_vs_zap.h"
#include "core/scenarios/registry.h"
#include "core/tape_decider.h"
#include "core/violation.h"
#include "gtest/gtest.h"
#include "tests/core/bounded_search.h"

namespace ptfuzz {
namespace {

proto::Scenario Scenario(const std::string& variant, proto::TlbFlushMode mode) {
  proto::Scenario s = FindScenario("gup_vs_zap")->default_scenario();
  s.set_variant(variant);
  s.set_tlb_flush(mode);
  return s;
}

proto::Scenario OnlyActor(proto::ActorKind kind, uint64_t vaddr) {
  proto::Scenario s = Scenario("fixed", proto::TLB_FLUSH_IPI);
  s.clear_actors();
  proto::Actor* a = s.add_actors();
  a->set_kind(kind);
  a->set_cpu(0);
  a->set_vaddr(vaddr);
  return s;
}

RunResult RunSerial(const proto::Scenario& s) {
  const std::vector<uint32_t> none;
  TapeDecider d(none);
  SimOptions o;
  o.record_trace = true;
  return RunScenario(s, d, o);
}

int CountOps(const RunResult& r, OpKind op) {
  int n = 0;
  for (const TraceEvent& e : r.trace) n += e.op == op;
  return n;
}

TEST(GupFastTest, AloneReturnsTheMappedPageAndDropsItsReference) {
  const RunResult r = RunSerial(OnlyActor(proto::ACTOR_GUP_FAST, kGupVsZapPageA));
  EXPECT_EQ(r.outcome, Outcome::kClean);
  // irq off, 4 level loads, try-add, pmd and pte rechecks, irq on, put.
  ASSERT_EQ(r.trace.size(), 10u);
  EXPECT_EQ(r.trace[0].op, OpKind::kIrqDisable);
  EXPECT_EQ(r.trace[5].op, OpKind::kRefTryAdd);
  EXPECT_TRUE(r.trace[5].ok);
  EXPECT_EQ(std::string(r.trace[6].func->name), "gup_fast_pte_range");
  EXPECT_EQ(r.trace[6].level, PtLevel::kPmd);  // the PMD recheck
  EXPECT_EQ(r.trace[7].level, PtLevel::kPte);  // the PTE recheck
  EXPECT_EQ(r.trace[8].op, OpKind::kIrqEnable);
  EXPECT_EQ(r.trace[9].op, OpKind::kRefPut);
}

TEST(GupFastTest, UnmappedAddressPinsNothing) {
  const RunResult r = RunSerial(OnlyActor(proto::ACTOR_GUP_FAST, kGupVsZapPageA + 0x1000));
  EXPECT_EQ(r.outcome, Outcome::kClean);
  EXPECT_EQ(CountOps(r, OpKind::kRefTryAdd), 0);
}

TEST(GupFastTest, VariantWithoutPteRecheckSkipsIt) {
  proto::Scenario s = OnlyActor(proto::ACTOR_GUP_FAST, kGupVsZapPageA);
  s.set_variant("no_pte_recheck");
  const RunResult r = RunSerial(s);
  EXPECT_EQ(r.trace.size(), 9u);
}

TEST(ZapTest, AloneClearsFlushesAndFreesAfterTheFlush) {
  const RunResult r = RunSerial(OnlyActor(proto::ACTOR_ZAP, kGupVsZapPageA));
  EXPECT_EQ(r.outcome, Outcome::kClean);
  EXPECT_EQ(CountOps(r, OpKind::kXchg), 1);
  int flush = -1, put = -1, unlock = -1, xchg = -1;
  for (size_t i = 0; i < r.trace.size(); ++i) {
    if (r.trace[i].op == OpKind::kXchg) xchg = static_cast<int>(i);
    if (r.trace[i].op == OpKind::kSpinUnlock) unlock = static_cast<int>(i);
    if (r.trace[i].op == OpKind::kIpiWait) flush = static_cast<int>(i);
    if (r.trace[i].op == OpKind::kRefPut) put = static_cast<int>(i);
  }
  EXPECT_LT(xchg, unlock);   // the PTE is cleared under the PTL ...
  EXPECT_LT(unlock, flush);  // ... the PTL dropped before the flush (the Z08 window) ...
  EXPECT_LT(flush, put);     // ... and the page freed only after the flush completed.
  EXPECT_EQ(r.trace[put].new_value, 0u);
}

TEST(AnonFaultTest, AllocatesMissingTablesThenMapsAndFillsTlb) {
  // A page in another PMD region: a new PTE table must be allocated and published.
  const RunResult r = RunSerial(OnlyActor(proto::ACTOR_ANON_FAULT, kGupVsZapPageA + 0x200000));
  EXPECT_EQ(r.outcome, Outcome::kClean);
  EXPECT_EQ(CountOps(r, OpKind::kAllocPage), 2);  // PTE table + data page
  EXPECT_EQ(CountOps(r, OpKind::kStore), 2);      // pmd_populate + set_pte_at
  ASSERT_FALSE(r.trace.empty());
  EXPECT_EQ(r.trace.back().op, OpKind::kTlbFill);
  EXPECT_TRUE(r.trace.back().ok);
}

TEST(AnonFaultTest, PresentPteMakesTheFaultSpurious) {
  const RunResult r = RunSerial(OnlyActor(proto::ACTOR_ANON_FAULT, kGupVsZapPageA));
  EXPECT_EQ(r.outcome, Outcome::kClean);
  EXPECT_EQ(CountOps(r, OpKind::kAllocPage), 0);
}

// Every variant, both flush modes, every schedule with at most two non-default answers.
struct Case {
  const char* variant;
  proto::TlbFlushMode mode;
};

class GupVsZapBoundedTest : public ::testing::TestWithParam<Case> {};

TEST_P(GupVsZapBoundedTest, ReachesExactlyTheExpectedVerdict) {
  const Case& c = GetParam();
  const VariantSpec* variant = FindVariant(*FindScenario("gup_vs_zap"), c.variant);
  ASSERT_NE(variant, nullptr);
  const std::string expected(ExpectedVerdict(*variant, c.mode));
  std::map<std::string, int> verdicts;
  const testing::SearchStats stats =
      testing::BoundedSearch(Scenario(c.variant, c.mode), 2, [&](const RunResult& r) {
        ++verdicts[r.violation ? std::string(ViolationKindName(r.violation->kind))
                               : std::string(OutcomeName(r.outcome))];
      });
  EXPECT_GT(stats.runs, 100);
  if (expected == "clean") {
    EXPECT_EQ(verdicts.size(), 1u);
    EXPECT_EQ(verdicts["clean"], stats.runs);
  } else {
    EXPECT_GT(verdicts[expected], 0) << "the bounded search never reached " << expected;
    for (const auto& [verdict, n] : verdicts) {
      EXPECT_TRUE(verdict == expected || verdict == "clean") << verdict << " x" << n;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllVariants, GupVsZapBoundedTest,
    ::testing::Values(Case{"fixed", proto::TLB_FLUSH_IPI}, Case{"fixed", proto::TLB_FLUSH_BROADCAST},
                      Case{"no_pte_recheck", proto::TLB_FLUSH_IPI},
                      Case{"no_pte_recheck", proto::TLB_FLUSH_BROADCAST},
                      Case{"ref_add_not_try", proto::TLB_FLUSH_IPI},
                      Case{"ref_add_not_try", proto::TLB_FLUSH_BROADCAST},
                      Case{"free_before_flush", proto::TLB_FLUSH_IPI},
                      Case{"free_before_flush", proto::TLB_FLUSH_BROADCAST}),
    [](const ::testing::TestParamInfo<Case>& info) {
      return std::string(info.param.variant) +
             (info.param.mode == proto::TLB_FLUSH_IPI ? "_ipi" : "_broadcast");
    });

}  // namespace
}  // namespace ptfuzz

// The gup_vs_zap scenario: each protocol step alone, then every variant under both TLB flush
// modes, exhaustively within a bound of two non-default answers (preemptions or allocation
// choices), which covers the one-preemption races of the bug zoo.
#include "core/scenarios/gup_vs_zap.h"

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
                         proto::MemoryModel model = proto::MEMORY_MODEL_SC,
                         proto::Arch arch = proto::ARCH_X86_64) {
  proto::Scenario s = FindScenario("gup_vs_zap")->default_scenario();
  s.set_variant(variant);
  s.set_tlb_flush(mode);
  s.set_memory_model(model);
  s.set_arch(arch);
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
  // irq off, 4 level loads and the folded p4d read from the local copy of the pgd, try-add, pmd
  // and pte rechecks, irq on, put.
  ASSERT_EQ(r.trace.size(), 11u);
  EXPECT_EQ(r.trace[0].op, OpKind::kIrqDisable);
  // p4d_offset_lockless(pgdp, pgd, addr) of the generic helpers: &pgd, a stack word, no step.
  EXPECT_EQ(r.trace[2].level, PtLevel::kP4d);
  EXPECT_TRUE(IsStackAddr(PtLocEntry(r.trace[2].addr)));
  EXPECT_EQ(r.trace[2].step, r.trace[1].step);  // within the pgd load's step
  EXPECT_EQ(r.trace[3].step, r.trace[1].step + 1);
  EXPECT_EQ(r.trace[6].op, OpKind::kRefTryAdd);
  EXPECT_TRUE(r.trace[6].ok);
  EXPECT_EQ(std::string(r.trace[7].func->name), "gup_fast_pte_range");
  EXPECT_EQ(r.trace[7].level, PtLevel::kPmd);  // the PMD recheck
  EXPECT_EQ(r.trace[8].level, PtLevel::kPte);  // the PTE recheck
  EXPECT_EQ(r.trace[9].op, OpKind::kIrqEnable);
  EXPECT_EQ(r.trace[10].op, OpKind::kRefPut);
  EXPECT_EQ(r.steps, 10u);
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
  EXPECT_EQ(r.trace.size(), 10u);  // one recheck fewer
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

// Every variant under every configuration of testing::AllVerdictCases().
using testing::VerdictCase;

class GupVsZapBoundedTest : public ::testing::TestWithParam<VerdictCase> {};

TEST_P(GupVsZapBoundedTest, ReachesExactlyTheExpectedVerdict) {
  testing::ExpectVerdictWithinBound("gup_vs_zap", GetParam(), 100);
}

INSTANTIATE_TEST_SUITE_P(AllVariants, GupVsZapBoundedTest,
                         ::testing::ValuesIn(testing::AllVerdictCases("gup_vs_zap")),
                         [](const ::testing::TestParamInfo<VerdictCase>& info) {
                           return testing::VerdictCaseName(info.param);
                         });

}  // namespace
}  // namespace ptfuzz

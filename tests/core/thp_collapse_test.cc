// khugepaged's collapse_huge_page() (core/protocols/khugepaged.h) and the scenarios built on it:
// gup_vs_thp_collapse (bug zoo Z01) and pae_gup_vs_collapse (Z07). The collapse alone, its failure
// path, GUP-fast through the huge PMD it installs, and every variant's verdict within a bound of
// non-default answers.
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

// The last value stored to the pmd slot of the collapsed range (kPmd-level xchg or store).
uint64_t LastPmdStore(const RunResult& r) {
  uint64_t v = ~uint64_t{0};
  for (const TraceEvent& e : r.trace) {
    if ((e.op == OpKind::kStore || e.op == OpKind::kXchg) && e.level == PtLevel::kPmd &&
        e.agent < 0) {
      v = e.new_value;
    }
  }
  return v;
}

bool Freed(const RunResult& r, FrameId frame) {
  for (const TraceEvent& e : r.trace) {
    if (e.op == OpKind::kRefPut && e.addr == frame && e.new_value == 0) return true;
  }
  return false;
}

proto::Scenario CollapseOnly(proto::Arch arch) {
  proto::Scenario s = FindScenario("gup_vs_thp_collapse")->default_scenario();
  s.set_arch(arch);
  s.mutable_actors()->DeleteSubrange(0, 1);  // khugepaged only
  return s;
}

TEST(CollapseHugePageTest, AloneInstallsAHugePmdAndFreesTheOldPage) {
  for (proto::Arch arch : {proto::ARCH_X86_64, proto::ARCH_ARM64, proto::ARCH_X86_PAE}) {
    SCOPED_TRACE(proto::Arch_Name(arch));
    const RunResult r = RunTape(CollapseOnly(arch), {});
    ASSERT_EQ(r.outcome, Outcome::kClean) << (r.violation ? r.violation->explanation : "");
    const uint64_t pmd = LastPmdStore(r);
    EXPECT_TRUE(PmdHuge(pmd)) << std::hex << pmd;
    // Frames 0-3: pgd, pud, pmd, PTE table; f4 the page; f5 the huge folio.
    EXPECT_EQ(EntryFrame(pmd), 5u);
    EXPECT_TRUE(Freed(r, 4)) << "the old page is freed once copied";
    // The end-of-run oracle passed: the deposited table f3 keeps its reference.
  }
}

TEST(CollapseHugePageTest, APinnedPageMakesItRestoreTheOldTable) {
  proto::Scenario s = CollapseOnly(proto::ARCH_X86_64);
  s.mutable_mappings(0)->set_pins(1);
  const RunResult r = RunTape(s, {});
  ASSERT_EQ(r.outcome, Outcome::kClean) << (r.violation ? r.violation->explanation : "");
  EXPECT_EQ(LastPmdStore(r), MakeEntry(3, kTableEntryFlags)) << "pmd_populate() of the old table";
  EXPECT_TRUE(Freed(r, 5)) << "the unused huge folio is freed";
  EXPECT_FALSE(Freed(r, 4));
}

TEST(CollapseHugePageTest, GupFastAfterTheCollapseReturnsTheHugeFolio) {
  // khugepaged on cpu 0 runs first and, with broadcast flushes and no sync IPI, never waits.
  proto::Scenario s = FindScenario("gup_vs_thp_collapse")->default_scenario();
  s.set_variant("no_sync_one");
  s.set_tlb_flush(proto::TLB_FLUSH_BROADCAST);
  s.mutable_actors(0)->set_cpu(1);
  s.mutable_actors(1)->set_cpu(0);
  const RunResult r = RunTape(s, {});
  ASSERT_EQ(r.outcome, Outcome::kClean) << (r.violation ? r.violation->explanation : "");
  bool leaf = false, got = false;
  for (const TraceEvent& e : r.trace) {
    if (e.func != nullptr && std::string(e.func->name) == "gup_fast_pmd_leaf") leaf = true;
    if (e.op == OpKind::kRefTryAdd && e.addr == 5 && e.ok) got = true;
  }
  EXPECT_TRUE(leaf);
  EXPECT_TRUE(got) << "GUP-fast takes its reference on the huge folio f5";
}

TEST(CollapseHugePageTest, TheSyncIpiWaitsForGupFast) {
  // GUP-fast (cpu 0) runs until it has read the pmd and disabled interrupts, then khugepaged
  // runs: under broadcast flushes only the sync IPI can hold it off, so it must be waiting for
  // cpu 0 before it reads any refcount.
  proto::Scenario s = FindScenario("gup_vs_thp_collapse")->default_scenario();
  s.set_tlb_flush(proto::TLB_FLUSH_BROADCAST);
  const RunResult r = RunTape(s, {0, 0, 0, 0, 1});
  ASSERT_EQ(r.outcome, Outcome::kClean);
  bool gup_done = false, ordered = true;
  for (const TraceEvent& e : r.trace) {
    if (e.cpu == 0 && e.op == OpKind::kIrqEnable) gup_done = true;
    if (e.cpu == 1 && e.op == OpKind::kLoad && LocSpaceOf(e.addr) == LocSpace::kRefcount) {
      ordered &= gup_done;
    }
  }
  EXPECT_TRUE(ordered) << "khugepaged read a refcount while GUP-fast had interrupts off";
}

using testing::VerdictCase;

class GupVsThpCollapseBoundedTest : public ::testing::TestWithParam<VerdictCase> {};

TEST_P(GupVsThpCollapseBoundedTest, ReachesExactlyTheExpectedVerdict) {
  testing::ExpectVerdictWithinBound("gup_vs_thp_collapse", GetParam(), 20);
}

// Z01 takes three non-default answers: GUP-fast's reference between the refcount check and the
// PTE clear, and its caller still holding the page when the clear comes (the I/O in flight).
std::vector<VerdictCase> ThpCollapseCases() {
  std::vector<VerdictCase> cases = testing::AllVerdictCases("gup_vs_thp_collapse");
  for (VerdictCase& c : cases) c.bound = std::max(c.bound, 3);
  return cases;
}

INSTANTIATE_TEST_SUITE_P(AllVariants, GupVsThpCollapseBoundedTest,
                         ::testing::ValuesIn(ThpCollapseCases()),
                         [](const ::testing::TestParamInfo<VerdictCase>& info) {
                           return testing::VerdictCaseName(info.param);
                         });

// x86-PAE: what a bound of two (three under the relaxed model) reaches. The ABA of no_sync_one
// under broadcast and paravirt flushes needs four preemptions and is shown by its regression
// schedule (corpus/pae_gup_vs_collapse/regression/) instead.
std::vector<VerdictCase> PaeCases() {
  std::vector<VerdictCase> cases;
  for (const char* variant : {"fixed", "read_once_pmd", "no_sync_one"}) {
    for (proto::TlbFlushMode mode :
         {proto::TLB_FLUSH_IPI, proto::TLB_FLUSH_BROADCAST, proto::TLB_FLUSH_PARAVIRT}) {
      if (std::string(variant) == "no_sync_one" && mode != proto::TLB_FLUSH_IPI) continue;
      for (proto::MemoryModel model :
           {proto::MEMORY_MODEL_SC, proto::MEMORY_MODEL_TSO, proto::MEMORY_MODEL_RELAXED}) {
        cases.push_back({variant, mode, model, proto::ARCH_X86_PAE,
                         model == proto::MEMORY_MODEL_RELAXED ? 3 : 2});
      }
    }
  }
  return cases;
}

class PaeGupVsCollapseBoundedTest : public ::testing::TestWithParam<VerdictCase> {};

TEST_P(PaeGupVsCollapseBoundedTest, ReachesExactlyTheExpectedVerdict) {
  testing::ExpectVerdictWithinBound("pae_gup_vs_collapse", GetParam(), 20);
}

INSTANTIATE_TEST_SUITE_P(Pae, PaeGupVsCollapseBoundedTest, ::testing::ValuesIn(PaeCases()),
                         [](const ::testing::TestParamInfo<VerdictCase>& info) {
                           return testing::VerdictCaseName(info.param);
                         });

class GupVsCollapseTableFreeBoundedTest : public ::testing::TestWithParam<VerdictCase> {};

TEST_P(GupVsCollapseTableFreeBoundedTest, ReachesExactlyTheExpectedVerdict) {
  testing::ExpectVerdictWithinBound("gup_vs_collapse_table_free", GetParam(), 20);
}

INSTANTIATE_TEST_SUITE_P(
    AllVariants, GupVsCollapseTableFreeBoundedTest,
    ::testing::ValuesIn(testing::AllVerdictCases("gup_vs_collapse_table_free")),
    [](const ::testing::TestParamInfo<VerdictCase>& info) {
      return testing::VerdictCaseName(info.param);
    });

TEST(CollapseHugePageTest, AZapOfTheHugePmdFreesTheDepositedTableAtOnce) {
  const RunResult r =
      RunTape(FindScenario("gup_vs_collapse_table_free")->default_scenario(), {});
  ASSERT_EQ(r.outcome, Outcome::kClean) << (r.violation ? r.violation->explanation : "");
  bool table_freed_by_zap = false, huge_freed = false;
  for (const TraceEvent& e : r.trace) {
    if (e.op == OpKind::kRefPut && e.addr == 3 && e.new_value == 0 && e.func != nullptr &&
        std::string(e.func->name) == "zap_huge_pmd") {
      table_freed_by_zap = true;
    }
    if (e.op == OpKind::kRefPut && e.addr == 5 && e.new_value == 0) huge_freed = true;
  }
  EXPECT_TRUE(table_freed_by_zap) << "zap_deposited_table(): pte_free() of the deposited f3";
  EXPECT_TRUE(huge_freed) << "the huge folio after the flush";
}

}  // namespace
}  // namespace ptfuzz

// mmu_gather's nested-batch rule (core/protocols/mmu_gather.h): inc_tlb_flush_pending() and
// mm_tlb_flush_nested() when several unmaps of one mm may batch at once, the oracle that judges
// what a returning tlb_finish_mmu() leaves in the TLBs, and zap_vs_zap (99baac21e458).
#include <string>
#include <vector>

#include "core/run.h"
#include "core/scenarios/registry.h"
#include "core/violation.h"
#include "gtest/gtest.h"
#include "tests/core/bounded_search.h"

namespace ptfuzz {
namespace {

proto::Scenario Scenario(absl::string_view variant, proto::TlbFlushMode flush,
                         proto::MemoryModel model = proto::MEMORY_MODEL_SC) {
  return testing::Configured("zap_vs_zap", variant, flush, model);
}

int CountFlushPendingOps(const RunResult& r, OpKind op) {
  int n = 0;
  for (const TraceEvent& e : r.trace) {
    n += e.op == op && LocSpaceOf(e.addr) == LocSpace::kTlbFlushPending;
  }
  return n;
}

// With one gathering actor mm->tlb_flush_pending is read by nobody else: no steps (the partial-
// order reduction of World::MarkContended()). With two, each gather raises and lowers it
// and each tlb_finish_mmu() reads it.
TEST(NestedGatherTest, FlushPendingIsSharedOnlyWithSeveralGatherers) {
  proto::Scenario one = Scenario("fixed", proto::TLB_FLUSH_IPI);
  one.mutable_actors()->DeleteSubrange(1, 1);
  const RunResult single = testing::RunTraced(one, {});
  ASSERT_EQ(single.outcome, Outcome::kClean);
  EXPECT_EQ(CountFlushPendingOps(single, OpKind::kRmw), 0);
  EXPECT_EQ(CountFlushPendingOps(single, OpKind::kLoad), 0);

  const RunResult two = testing::RunTraced(Scenario("fixed", proto::TLB_FLUSH_IPI), {});
  ASSERT_EQ(two.outcome, Outcome::kClean);
  EXPECT_EQ(CountFlushPendingOps(two, OpKind::kRmw), 4);
  EXPECT_EQ(CountFlushPendingOps(two, OpKind::kLoad), 2);
}

// The default tape with IPI flushes: cpu 1's zap runs while cpu 0 waits for its flush IPI. The
// fixed kernel sees two batches and flushes everything (cpu 2's entry goes); without the check
// cpu 1 returns while cpu 2 still maps the page.
TEST(NestedGatherTest, ZapThatFindsTheEntryNoneFlushesAllOnlyWithTheNestedCheck) {
  const RunResult fixed = testing::RunTraced(Scenario("fixed", proto::TLB_FLUSH_IPI), {});
  ASSERT_EQ(fixed.outcome, Outcome::kClean);
  bool flushed_all = false;
  for (const TraceEvent& e : fixed.trace) {
    flushed_all |=
        e.op == OpKind::kIpiSend && e.cpu == 1 && e.new_value == 0 && e.old_value == kTaskSize;
  }
  EXPECT_TRUE(flushed_all);

  const RunResult buggy = testing::RunTraced(Scenario("no_nested_flush", proto::TLB_FLUSH_IPI), {});
  ASSERT_TRUE(buggy.violation.has_value());
  EXPECT_EQ(buggy.violation->kind, ViolationKind::kStaleTlbAfterUnmap);
  EXPECT_EQ(buggy.violation->cpu, 1u);
  EXPECT_EQ(buggy.violation->site, "tlb_finish_mmu");
}

// A zap that runs alone never trips the oracle, check or not: its own flush precedes its return.
TEST(NestedGatherTest, ALoneZapIsCleanEvenWithoutTheCheck) {
  for (proto::TlbFlushMode flush : {proto::TLB_FLUSH_IPI, proto::TLB_FLUSH_BROADCAST}) {
    proto::Scenario s = Scenario("no_nested_flush", flush);
    s.mutable_actors()->DeleteSubrange(1, 1);
    const RunResult r = testing::RunTraced(s, {});
    EXPECT_EQ(r.outcome, Outcome::kClean) << (r.violation ? r.violation->explanation : "");
  }
}

// Within two deviations: the fixed kernel is clean with every flush mode and memory model (the
// page-table lock orders the other batch's inc_tlb_flush_pending() before this one's read); the
// old one is found with every flush mode.
TEST(NestedGatherTest, BoundedSearchOldKernelFoundEverywhereFixedClean) {
  testing::ForEachModelAndFlush([&](proto::MemoryModel model, proto::TlbFlushMode flush) {
    const testing::SearchStats fixed = testing::BoundedSearch(Scenario("fixed", flush, model), 2);
    EXPECT_EQ(fixed.violations, 0) << "fixed, flush " << flush << ", model " << model;
    EXPECT_GT(fixed.runs, 50);
    const testing::SearchStats buggy =
        testing::BoundedSearch(Scenario("no_nested_flush", flush, model), 2);
    EXPECT_GT(buggy.violations, 0) << "flush " << flush << ", model " << model;
  });
}

}  // namespace
}  // namespace ptfuzz

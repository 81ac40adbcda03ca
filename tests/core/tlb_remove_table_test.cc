// Speculative hardware walkers and their paging-structure caches (World::HwWalkStep, core/tlb.h),
// munmap()'s free_pgtables() (core/protocols/munmap.h), tlb_remove_table()'s single-user shortcut
// and tlb_remove_table_lazy (Z15).
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

proto::Scenario Scenario(absl::string_view variant, proto::TlbFlushMode flush,
                         proto::MemoryModel model = proto::MEMORY_MODEL_SC) {
  return testing::Configured("tlb_remove_table_lazy", variant, flush, model);
}

TEST(HwWalkerTest, FirstWalkFillsThePagingStructureCacheLaterWalksHitIt) {
  proto::Scenario s = Scenario("fixed", proto::TLB_FLUSH_IPI);
  s.clear_actors();  // only cpu 1's walker runs (RunScenario() takes what validation would not)
  const RunResult r = testing::RunTraced(s, {});
  ASSERT_EQ(r.outcome, Outcome::kClean) << (r.violation ? r.violation->explanation : "");
  std::vector<bool> hits;
  for (const TraceEvent& e : r.trace) {
    if (e.op != OpKind::kHwWalk) continue;
    hits.push_back(e.ok);
    EXPECT_EQ(e.addr, 0x7f0000000000u);
    EXPECT_NE(e.new_value, kNoFrame);  // the page is present: the TLB is filled
  }
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_FALSE(hits[0]);  // walked from the pgd
  EXPECT_TRUE(hits[1]);   // then from the cached PTE table
  EXPECT_TRUE(hits[2]);
}

TEST(HwWalkerTest, TheFlushBeforeTheFreeDropsTheCachedTable) {
  // Walker first (it caches the table), then the munmap to the end: clean, because its flush
  // reaches cpu 1 before the table is freed.
  const RunResult r = testing::RunTraced(Scenario("fixed", proto::TLB_FLUSH_BROADCAST), {1});
  ASSERT_EQ(r.outcome, Outcome::kClean) << (r.violation ? r.violation->explanation : "");
  bool walked = false;
  for (const TraceEvent& e : r.trace) walked |= e.op == OpKind::kHwWalk && !e.ok;
  EXPECT_TRUE(walked);
}

// Within two deviations: the fixed kernel is clean with every flush mode and model; the shortcut
// is found with every flush mode (the flush comes too late whatever reaches the lazy CPU).
TEST(HwWalkerTest, BoundedSearchShortcutFoundEverywhereFixedClean) {
  testing::ForEachModelAndFlush([&](proto::MemoryModel model, proto::TlbFlushMode flush) {
    const testing::SearchStats fixed = testing::BoundedSearch(Scenario("fixed", flush, model), 2);
    EXPECT_EQ(fixed.violations, 0) << "fixed, flush " << flush << ", model " << model;
    const testing::SearchStats buggy =
        testing::BoundedSearch(Scenario("single_user_shortcut", flush, model), 2);
    EXPECT_GT(buggy.violations, 0) << "flush " << flush << ", model " << model;
  });
}

// tlb_remove_table()'s fallback when it cannot allocate its batch page: tlb_remove_table_one()
// frees the table right after the sync IPI. Fixed (tlb_table_invalidate() first) clean with
// every flush mode and model; without the invalidation found everywhere, and only when the
// allocation fails (with a batch the table waits for the flush at tlb_finish_mmu()).
TEST(HwWalkerTest, BoundedSearchBatchFailureWithoutInvalidateFoundFixedClean) {
  testing::ForEachModelAndFlush([&](proto::MemoryModel model, proto::TlbFlushMode flush) {
    proto::Scenario fixed = Scenario("fixed", flush, model);
    fixed.set_table_batch_alloc_fails(true);
    EXPECT_EQ(testing::BoundedSearch(fixed, 2).violations, 0)
        << "fixed, flush " << flush << ", model " << model;
    proto::Scenario buggy = Scenario("batch_failure_no_invalidate", flush, model);
    EXPECT_EQ(testing::BoundedSearch(buggy, 2).violations, 0)
        << "with a batch page, flush " << flush << ", model " << model;
    buggy.set_table_batch_alloc_fails(true);
    EXPECT_GT(testing::BoundedSearch(buggy, 2).violations, 0)
        << "flush " << flush << ", model " << model;
  });
}

}  // namespace
}  // namespace ptfuzz

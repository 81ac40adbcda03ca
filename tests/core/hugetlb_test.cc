// hugetlb PMD-table sharing between two mms (World::SetupMapHugetlbShared), huge_pmd_unshare()
// and the other sharer's reuse of the table (core/protocols/hugetlb.h), and gup_vs_hugetlb_unshare
// (Z11).
#include <string>
#include <vector>

#include "core/run.h"
#include "core/scenarios/registry.h"
#include "core/tape_decider.h"
#include "core/violation.h"
#include "core/world.h"
#include "gtest/gtest.h"
#include "tests/core/bounded_search.h"

namespace ptfuzz {
namespace {

proto::Scenario Scenario(absl::string_view variant, proto::TlbFlushMode flush,
                         proto::MemoryModel model = proto::MEMORY_MODEL_SC) {
  return testing::Configured("gup_vs_hugetlb_unshare", variant, flush, model);
}

TEST(HugetlbTest, SharedPmdTableIsReachedFromBothMms) {
  MachineConfig config;
  config.num_frames = 10;
  config.num_mms = 2;
  TapeDecider d({});
  World world(config, SimOptions{}, d);
  const VirtAddr v = 0x7f0000000000;
  ASSERT_TRUE(world.SetupMapHugetlbShared(v, 0));
  const PhysAddr leaf = world.LeafSlot(v);
  ASSERT_NE(leaf, 0u);
  const FrameId shared = AddrFrame(leaf);
  EXPECT_EQ(world.memory().frame(shared).refcount, 2);  // one per sharing mm
  const FrameId page = world.Translate(v);
  ASSERT_NE(page, kNoFrame);
  EXPECT_EQ(world.memory().frame(page).refcount, 2);  // the one entry + the page cache
  // mm 1's pud points to the same PMD table.
  const uint64_t pgd1 = world.memory().ReadWord(world.pgd_of(1), TableIndex(v, PtLevel::kPgd));
  const uint64_t pud1 = world.memory().ReadWord(EntryFrame(pgd1), TableIndex(v, PtLevel::kPud));
  EXPECT_EQ(EntryFrame(pud1), shared);
}

TEST(HugetlbTest, UnshareDropsOneShareAndTheLastUserReusesTheTable) {
  proto::Scenario s = Scenario("fixed", proto::TLB_FLUSH_IPI);
  s.mutable_actors()->DeleteSubrange(0, 1);  // no GUP-fast
  TapeDecider d({});
  SimOptions o;
  o.record_trace = true;
  const RunResult r = RunScenario(s, d, o);
  ASSERT_EQ(r.outcome, Outcome::kClean) << (r.violation ? r.violation->explanation : "");
  bool pud_cleared = false, table_put = false, new_entry = false;
  for (const TraceEvent& e : r.trace) {
    pud_cleared |= e.op == OpKind::kStore && e.level == PtLevel::kPud && e.new_value == 0;
    table_put |= e.op == OpKind::kRefPut && e.old_value == 2 && e.new_value == 1;
    new_entry |= e.op == OpKind::kStore && e.level == PtLevel::kPmd && PmdHuge(e.new_value);
  }
  EXPECT_TRUE(pud_cleared);
  EXPECT_TRUE(table_put);
  EXPECT_TRUE(new_entry);
}

// Within two deviations: the fixed kernel is clean everywhere; without the sync the other
// process's table is walked exactly where flushes send no IPI.
TEST(HugetlbTest, BoundedSearchSyncNeededWithoutIpiFlushes) {
  testing::ForEachModelAndFlush([&](proto::MemoryModel model, proto::TlbFlushMode flush) {
    const testing::SearchStats fixed = testing::BoundedSearch(Scenario("fixed", flush, model), 2);
    EXPECT_EQ(fixed.violations, 0) << "fixed, flush " << flush << ", model " << model;
    const testing::SearchStats buggy =
        testing::BoundedSearch(Scenario("no_unshare_sync", flush, model), 2);
    if (flush == proto::TLB_FLUSH_IPI) {
      std::string tape;
      for (const uint32_t v : buggy.first_violating_tape) tape += std::to_string(v) + " ";
      EXPECT_EQ(buggy.violations, 0) << "model " << model << " tape " << tape;
    } else {
      EXPECT_GT(buggy.violations, 0) << "flush " << flush << ", model " << model;
    }
  });
}

}  // namespace
}  // namespace ptfuzz

// Truncation of a shmem file and the last iput() (core/protocols/truncate.h), GUP-fast's
// gup_fast_folio_allowed() (FOLL_LONGTERM | FOLL_WRITE), and gup_longterm_vs_truncate (Z19).
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
  return testing::Configured("gup_longterm_vs_truncate", variant, flush, model);
}

TEST(TruncateTest, AloneUnmapsDeletesFromThePageCacheAndFreesTheInodeAfterAGracePeriod) {
  proto::Scenario s = Scenario("fixed", proto::TLB_FLUSH_IPI);
  s.mutable_actors()->DeleteSubrange(0, 1);
  const RunResult r = testing::RunTraced(s, {});
  ASSERT_EQ(r.outcome, Outcome::kClean) << (r.violation ? r.violation->explanation : "");
  int cleared = -1, mapping_null = -1, freed_page = -1, queued = -1, inode_freed = -1;
  for (size_t i = 0; i < r.trace.size(); ++i) {
    const TraceEvent& e = r.trace[i];
    const int at = static_cast<int>(i);
    if (e.op == OpKind::kXchg && e.new_value == 0) cleared = at;
    if (e.op == OpKind::kStore && LocSpaceOf(e.addr) == LocSpace::kFolioMapping) mapping_null = at;
    if (e.op == OpKind::kRefPut && e.new_value == 0) freed_page = at;
    if (e.op == OpKind::kCallRcu && LocSpaceOf(e.addr) == LocSpace::kInode) queued = at;
    if (e.op == OpKind::kRcuCallback && LocSpaceOf(e.addr) == LocSpace::kInode) inode_freed = at;
  }
  EXPECT_GE(cleared, 0);
  EXPECT_GT(mapping_null, cleared) << "unmap_mapping_range() before truncate_inode_pages()";
  EXPECT_GT(freed_page, mapping_null) << "the page cache's put frees the page";
  EXPECT_GT(queued, freed_page);
  EXPECT_GT(inode_freed, queued);
}

TEST(TruncateTest, LongtermPinOfAShmemPageDereferencesTheMapping) {
  proto::Scenario s = Scenario("fixed", proto::TLB_FLUSH_IPI);
  s.mutable_actors()->DeleteSubrange(1, 1);
  const RunResult r = testing::RunTraced(s, {});
  ASSERT_EQ(r.outcome, Outcome::kClean) << (r.violation ? r.violation->explanation : "");
  int inode_loads = 0, pins = 0;
  for (const TraceEvent& e : r.trace) {
    inode_loads += e.op == OpKind::kLoad && LocSpaceOf(e.addr) == LocSpace::kInode;
    pins += e.op == OpKind::kRefAdd;  // the pin bias after the try-get
  }
  EXPECT_EQ(inode_loads, 1);
  EXPECT_EQ(pins, 1);
}

// Within two deviations from the default schedule: the kernel today is clean under every flush
// mode and memory model; freeing the inode at once is found exactly where flushes do not wait
// for GUP-fast.
TEST(TruncateTest, BoundedSearchRcuProtectsWhereFlushesDoNotWait) {
  testing::ForEachModelAndFlush([&](proto::MemoryModel model, proto::TlbFlushMode flush) {
    const testing::SearchStats fixed = testing::BoundedSearch(Scenario("fixed", flush, model), 2);
    EXPECT_EQ(fixed.violations, 0) << "fixed, flush " << flush << ", model " << model;
    const testing::SearchStats immediate =
        testing::BoundedSearch(Scenario("inode_free_immediate", flush, model), 2);
    if (flush == proto::TLB_FLUSH_IPI) {
      EXPECT_EQ(immediate.violations, 0) << "model " << model;
    } else {
      EXPECT_GT(immediate.violations, 0) << "flush " << flush << ", model " << model;
    }
  });
}

}  // namespace
}  // namespace ptfuzz

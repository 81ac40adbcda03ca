// prep_compound_page() and compound_head() in the three layouts the kernel has had
// (core/protocols/page_alloc.h), and the scenario pfn_walker_vs_compound_alloc (Z18:
// 668f9abbd433, 1d798ca3f164).
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
  return testing::Configured("pfn_walker_vs_compound_alloc", variant, flush, model);
}

// The stores prep_compound_page() makes, in order: 'H' a head pointer, 'T' a tail flag, 'W' an
// smp_wmb() that is a step.
std::string PrepStores(const RunResult& r) {
  std::string s;
  for (const TraceEvent& e : r.trace) {
    if (e.func == nullptr || std::string(e.func->name) != "prep_compound_page") continue;
    if (e.op == OpKind::kStore && LocSpaceOf(e.addr) == LocSpace::kCompoundHead) s += 'H';
    if (e.op == OpKind::kStore && LocSpaceOf(e.addr) == LocSpace::kPageTail) s += 'T';
  }
  return s;
}

// MADV_DONTNEED, then the allocation: each layout's stores, tails of f4 at the end.
TEST(CompoundAllocTest, EachLayoutWritesItsWords) {
  for (const auto& [variant, stores] : std::vector<std::pair<const char*, std::string>>{
           {"fixed", "HHH"}, {"tail_flag_first", "THTHTH"}, {"tail_recheck", "HTHTHT"}}) {
    proto::Scenario s = Scenario(variant, proto::TLB_FLUSH_BROADCAST);
    s.mutable_actors()->DeleteSubrange(0, 1);  // no walker
    const RunResult r = testing::RunTraced(s, {});
    ASSERT_EQ(r.outcome, Outcome::kClean) << variant;
    EXPECT_EQ(PrepStores(r), stores) << variant;
  }
}

// The old layout with one preemption: the allocation stops between PG_tail and first_page, the
// walker reads a tail with a NULL head. The same schedule is clean in the later layouts.
TEST(CompoundAllocTest, TailFlagFirstFoundLaterLayoutsCleanOnTheSameSchedule) {
  const testing::SearchStats buggy =
      testing::BoundedSearch(Scenario("tail_flag_first", proto::TLB_FLUSH_BROADCAST), 2);
  ASSERT_GT(buggy.violations, 0);
  const RunResult r = testing::RunTraced(Scenario("tail_flag_first", proto::TLB_FLUSH_BROADCAST),
                                         buggy.first_violating_tape);
  ASSERT_TRUE(r.violation.has_value());
  EXPECT_EQ(r.violation->kind, ViolationKind::kCompoundHeadNull);
  EXPECT_EQ(r.violation->site, "isolate_migratepages_range");
  EXPECT_EQ(r.preemptions, 1u);
  for (const char* variant : {"fixed", "tail_recheck"}) {
    const RunResult other = testing::RunTraced(Scenario(variant, proto::TLB_FLUSH_BROADCAST),
                                               buggy.first_violating_tape);
    EXPECT_FALSE(other.violation.has_value()) << variant;
  }
}

// The v3.19 recheck under the relaxed model: no preemption, one stale load (the pointer read
// before the flag read it follows).
TEST(CompoundAllocTest, RecheckFoundOnlyWithAStaleLoad) {
  int found = 0;
  testing::BoundedSearch(
      Scenario("tail_recheck", proto::TLB_FLUSH_BROADCAST, proto::MEMORY_MODEL_RELAXED), 3,
      [&](const RunResult& r) {
        if (!r.violation) return;
        EXPECT_EQ(r.violation->kind, ViolationKind::kCompoundHeadNull);
        EXPECT_GE(r.stale_loads, 1u);
        ++found;
      });
  EXPECT_GT(found, 0);
}

using testing::VerdictCase;

class PfnWalkerVsCompoundAllocBoundedTest : public ::testing::TestWithParam<VerdictCase> {};

TEST_P(PfnWalkerVsCompoundAllocBoundedTest, ReachesExactlyTheExpectedVerdict) {
  testing::ExpectVerdictWithinBound("pfn_walker_vs_compound_alloc", GetParam(), 20);
}

// With flush IPIs, SC and TSO get four deviations: the walker's CPU takes MADV_DONTNEED's flush
// IPI on the way, and must then wait until the allocation is half done.
std::vector<VerdictCase> Cases() {
  std::vector<VerdictCase> cases = testing::AllVerdictCases("pfn_walker_vs_compound_alloc");
  for (VerdictCase& c : cases) {
    if (c.mode == proto::TLB_FLUSH_IPI && c.bound < 4) c.bound = 4;
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(AllVariants, PfnWalkerVsCompoundAllocBoundedTest,
                         ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<VerdictCase>& info) {
                           return testing::VerdictCaseName(info.param);
                         });

}  // namespace
}  // namespace ptfuzz

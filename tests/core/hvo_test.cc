// HVO against a speculative PFN walker (core/protocols/hugetlb_vmemmap.h, compaction.h):
// synchronize_rcu() as a step that waits for every read-side section begun before it, compound
// allocation in a run, the read-only struct page oracle, and the scenario pfn_walker_vs_hvo (Z16,
// bd225530a4c7).
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
  return testing::Configured("pfn_walker_vs_hvo", variant, flush, model);
}

const TraceEvent* Find(const RunResult& r, OpKind op, CpuId cpu) {
  for (const TraceEvent& e : r.trace) {
    if (e.op == op && e.cpu == cpu && e.agent < 0) return &e;
  }
  return nullptr;
}

// MADV_DONTNEED first, then the allocation: the hugetlb folio takes f4-f7 (the only free aligned
// block), f5-f7 become read-only tails, and the end-of-run accounting agrees.
TEST(HvoTest, AllocationTakesTheFreedBlockAndMakesItsTailsReadOnly) {
  proto::Scenario s = Scenario("fixed", proto::TLB_FLUSH_BROADCAST);
  s.mutable_actors()->DeleteSubrange(0, 1);  // no walker
  const RunResult r = testing::RunTraced(s, {});
  ASSERT_EQ(r.outcome, Outcome::kClean) << (r.violation ? r.violation->explanation : "");
  const TraceEvent* alloc = Find(r, OpKind::kAllocPage, 2);
  ASSERT_NE(alloc, nullptr);
  EXPECT_TRUE(alloc->ok);
  EXPECT_EQ(alloc->new_value, 4u);
  int read_only = 0;
  for (const TraceEvent& e : r.trace) {
    if (e.op == OpKind::kStore && LocSpaceOf(e.addr) == LocSpace::kVmemmap) {
      EXPECT_EQ(e.new_value, 1u);
      EXPECT_GE(LocPayload(e.addr), 5u);
      ++read_only;
    }
  }
  EXPECT_EQ(read_only, 3);
  // The fixed kernel's synchronize_rcu() ran before the first remap.
  EXPECT_NE(Find(r, OpKind::kSynchronizeRcu, 2), nullptr);
}

// The allocation before MADV_DONTNEED finds no free aligned block and does nothing.
TEST(HvoTest, NoFreeBlockNoAllocation) {
  proto::Scenario s = Scenario("fixed", proto::TLB_FLUSH_BROADCAST);
  s.mutable_actors()->DeleteSubrange(0, 2);  // only the allocation
  const RunResult r = testing::RunTraced(s, {});
  ASSERT_EQ(r.outcome, Outcome::kClean);
  const TraceEvent* alloc = Find(r, OpKind::kAllocPage, 2);
  ASSERT_NE(alloc, nullptr);
  EXPECT_FALSE(alloc->ok);
}

// The bug with one preemption: the walker reads f5's count, the others run to their end, the
// walker's cmpxchg hits the read-only struct page. The fixed kernel on the same schedule: the
// walker's RCU section holds HVO's synchronize_rcu() until its cmpxchg is done.
TEST(HvoTest, OldKernelWritesTheReadOnlyStructPageFixedWaits) {
  const testing::SearchStats buggy =
      testing::BoundedSearch(Scenario("no_rcu_sync", proto::TLB_FLUSH_BROADCAST), 1);
  ASSERT_GT(buggy.violations, 0);
  const RunResult r = testing::RunTraced(Scenario("no_rcu_sync", proto::TLB_FLUSH_BROADCAST),
                                         buggy.first_violating_tape);
  ASSERT_TRUE(r.violation.has_value());
  EXPECT_EQ(r.violation->kind, ViolationKind::kWriteToReadonlyStructPage);
  EXPECT_EQ(r.violation->site, "page_ref_add_unless");
  EXPECT_EQ(r.preemptions, 1u);

  // In the fixed kernel, any run where the walker entered its section before HVO called
  // synchronize_rcu() has the grace period end after the walker's section.
  int waited = 0;
  SimOptions traced;
  traced.record_trace = true;
  testing::BoundedSearch(
      Scenario("fixed", proto::TLB_FLUSH_BROADCAST), 2,
      [&](const RunResult& run) {
        EXPECT_EQ(run.outcome, Outcome::kClean)
            << (run.violation ? run.violation->explanation : "");
        int sync_at = -1, walker_last = -1, walker_first = -1;
        for (size_t i = 0; i < run.trace.size(); ++i) {
          const TraceEvent& e = run.trace[i];
          if (e.op == OpKind::kSynchronizeRcu) sync_at = static_cast<int>(i);
          if (e.cpu == 0 && e.agent < 0 && e.func != nullptr &&
              std::string(e.func->name) == "page_ref_add_unless") {
            if (walker_first < 0) walker_first = static_cast<int>(i);
            walker_last = static_cast<int>(i);
          }
        }
        if (sync_at < 0 || walker_first < 0) return;
        // synchronize_rcu() was called right after the freeze, before it was taken.
        const int called = static_cast<int>(run.trace[sync_at].old_value);
        if (static_cast<int>(run.trace[walker_first].step) < called) {
          EXPECT_GT(sync_at, walker_last);
          ++waited;
        }
      },
      traced);
  EXPECT_GT(waited, 0);
}

// Validation: the walker and the allocation are actors of this scenario only.
TEST(HvoTest, ActorsBelongToTheirScenario) {
  proto::Scenario s =
      testing::Configured("gup_vs_zap", "fixed", proto::TLB_FLUSH_IPI, proto::MEMORY_MODEL_SC);
  AddActor(s, proto::ACTOR_HUGETLB_ALLOC_HVO, 2, 0x7f0000000000);
  s.set_num_cpus(3);
  EXPECT_FALSE(ValidateScenario(s).ok());
  EXPECT_TRUE(ValidateScenario(Scenario("fixed", proto::TLB_FLUSH_IPI)).ok());
}

using testing::VerdictCase;

class PfnWalkerVsHvoBoundedTest : public ::testing::TestWithParam<VerdictCase> {};

TEST_P(PfnWalkerVsHvoBoundedTest, ReachesExactlyTheExpectedVerdict) {
  testing::ExpectVerdictWithinBound("pfn_walker_vs_hvo", GetParam(), 20);
}

// With flush IPIs the walker's CPU must also take MADV_DONTNEED's flush IPI before the others run
// on: one more context switch, so one more deviation under SC and TSO.
std::vector<VerdictCase> Cases() {
  std::vector<VerdictCase> cases = testing::AllVerdictCases("pfn_walker_vs_hvo");
  for (VerdictCase& c : cases) {
    if (c.mode == proto::TLB_FLUSH_IPI && c.bound < 3) c.bound = 3;
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(AllVariants, PfnWalkerVsHvoBoundedTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<VerdictCase>& info) {
                           return testing::VerdictCaseName(info.param);
                         });

}  // namespace
}  // namespace ptfuzz

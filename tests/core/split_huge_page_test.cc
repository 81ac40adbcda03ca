// Large folios (World::SetupMapLargeFolio()), page_folio() as a shared read, try_get_folio()'s
// recheck (core/protocols/folio_ref.h), split_huge_page() with its refcount freeze
// (core/protocols/split_huge_page.h), and the scenario gup_vs_split (Z03, c24d37322548).
#include "core/protocols/split_huge_page.h"

#include <string>
#include <vector>

#include "core/run.h"
#include "core/scenarios/registry.h"
#include "core/violation.h"
#include "gtest/gtest.h"
#include "tests/core/bounded_search.h"

namespace ptfuzz {
namespace {

constexpr uint64_t kFolio = 0x7f0000000000;

proto::Scenario Scenario(absl::string_view variant, proto::TlbFlushMode flush,
                         proto::MemoryModel model = proto::MEMORY_MODEL_SC) {
  proto::Scenario s = testing::Configured("gup_vs_split", variant, flush, model);
  s.set_arch(proto::ARCH_ARM64);
  return s;
}

// The split's freeze: the cmpxchg of the head's refcount (ok: it froze).
const TraceEvent* FindFreeze(const RunResult& r) {
  for (const TraceEvent& e : r.trace) {
    if (e.op == OpKind::kRmw && LocSpaceOf(e.addr) == LocSpace::kRefcount && e.cpu == 1 &&
        e.func != nullptr && std::string(e.func->name) == "split_huge_page_to_list") {
      return &e;
    }
  }
  return nullptr;
}

int CountCompoundHeadLoads(const RunResult& r) {
  int n = 0;
  for (const TraceEvent& e : r.trace) {
    n += e.op == OpKind::kLoad && LocSpaceOf(e.addr) == LocSpace::kCompoundHead;
  }
  return n;
}

// The split alone: both pages become folios of their own, mapped by the PTEs they had, each with
// the one reference of its mapping, and the end-of-run refcount oracle agrees.
TEST(SplitHugePageTest, SplitAloneLeavesTwoOrderZeroPagesMappedAsBefore) {
  proto::Scenario s = Scenario("fixed", proto::TLB_FLUSH_BROADCAST);
  s.mutable_actors()->DeleteSubrange(0, 1);  // no GUP-fast
  const RunResult r = testing::RunTraced(s, {});
  ASSERT_EQ(r.outcome, Outcome::kClean) << (r.violation ? r.violation->explanation : "");
  const TraceEvent* freeze = FindFreeze(r);
  ASSERT_NE(freeze, nullptr);
  EXPECT_TRUE(freeze->ok);
  EXPECT_EQ(freeze->old_value, 1u);  // only the caller's reference after the unmap
  // The tail's compound_head was cleared before its refcount was unfrozen (release).
  int cleared_at = -1, unfrozen_at = -1;
  for (size_t i = 0; i < r.trace.size(); ++i) {
    const TraceEvent& e = r.trace[i];
    if (e.op == OpKind::kStore && LocSpaceOf(e.addr) == LocSpace::kCompoundHead) cleared_at = i;
    if (e.op == OpKind::kStore && LocSpaceOf(e.addr) == LocSpace::kRefcount) unfrozen_at = i;
  }
  EXPECT_GE(cleared_at, 0);
  EXPECT_GT(unfrozen_at, cleared_at);
  // Migration entries were written and every one was replaced by the old PTE.
  int migration = 0, restored = 0;
  for (const TraceEvent& e : r.trace) {
    if (e.op != OpKind::kStore || !IsPtLoc(e.addr)) continue;
    if (IsMigrationEntry(e.new_value)) ++migration;
    if (IsMigrationEntry(e.old_value) && EntryPresent(e.new_value)) {
      EXPECT_EQ(e.new_value, (e.old_value & ~kPteMigration) | kPtePresent);
      ++restored;
    }
  }
  EXPECT_EQ(migration, 2);
  EXPECT_EQ(restored, 2);
}

// Without large folios page_folio() is no step: the compound_head word is never read.
TEST(SplitHugePageTest, PageFolioIsAStepOnlyWithLargeFolios) {
  proto::Scenario s = Scenario("fixed", proto::TLB_FLUSH_BROADCAST);
  s.mutable_mappings(0)->set_folio_order(0);
  const RunResult small = testing::RunTraced(s, {});
  ASSERT_EQ(small.outcome, Outcome::kClean);
  EXPECT_EQ(CountCompoundHeadLoads(small), 0);
  const RunResult large = testing::RunTraced(Scenario("fixed", proto::TLB_FLUSH_BROADCAST), {});
  ASSERT_EQ(large.outcome, Outcome::kClean);
  // GUP-fast's lookup and recheck, its put_page(), and the split's vm_normal_folio().
  EXPECT_EQ(CountCompoundHeadLoads(large), 4);
}

// A GUP-fast reference taken between can_split_folio() and the freeze makes the freeze fail:
// the split puts the PTEs back and gives up (-EAGAIN), and the run stays clean.
TEST(SplitHugePageTest, FreezeFailsWhileGupFastHoldsAReference) {
  int failed_freezes = 0;
  SimOptions traced;
  traced.record_trace = true;
  // GUP-fast stops after its lookup, the split runs past can_split_folio(), GUP-fast takes its
  // reference, the split freezes: three deviations from the default.
  const testing::SearchStats stats = testing::BoundedSearch(
      Scenario("fixed", proto::TLB_FLUSH_BROADCAST), 3,
      [&](const RunResult& r) {
        EXPECT_EQ(r.outcome, Outcome::kClean) << (r.violation ? r.violation->explanation : "");
        const TraceEvent* freeze = FindFreeze(r);
        if (freeze == nullptr || freeze->ok) return;
        ++failed_freezes;
        EXPECT_GT(freeze->old_value, 1u);
        // The PTEs are put back, and nothing was split.
        bool restored = false;
        for (const TraceEvent& e : r.trace) {
          restored |= e.op == OpKind::kStore && IsPtLoc(e.addr) && IsMigrationEntry(e.old_value) &&
                      EntryPresent(e.new_value);
          EXPECT_FALSE(e.op == OpKind::kStore && LocSpaceOf(e.addr) == LocSpace::kCompoundHead);
        }
        EXPECT_TRUE(restored);
      },
      traced);
  EXPECT_GT(stats.runs, 100);
  EXPECT_GT(failed_freezes, 0);
}

// The bug: GUP-fast stops after page_folio() of the tail, the split runs to its end, and the
// reference lands on the old head. With the recheck the same schedule retries and returns the
// tail with a reference on the tail.
TEST(SplitHugePageTest, OldKernelKeepsTheReferenceOnTheOldHead) {
  const testing::SearchStats buggy =
      testing::BoundedSearch(Scenario("no_folio_recheck", proto::TLB_FLUSH_BROADCAST), 1);
  ASSERT_GT(buggy.violations, 0);
  const RunResult r = testing::RunTraced(Scenario("no_folio_recheck", proto::TLB_FLUSH_BROADCAST),
                                         buggy.first_violating_tape);
  ASSERT_TRUE(r.violation.has_value());
  EXPECT_EQ(r.violation->kind, ViolationKind::kRefOnWrongFolio);
  EXPECT_EQ(r.violation->site, "gup_fast_pte_range");
  EXPECT_EQ(r.preemptions, 1u);

  const RunResult fixed =
      testing::RunTraced(Scenario("fixed", proto::TLB_FLUSH_BROADCAST), buggy.first_violating_tape);
  EXPECT_EQ(fixed.outcome, Outcome::kClean);
  // The recheck saw the tail's compound_head cleared, put the old head and retried.
  int tries = 0;
  for (const TraceEvent& e : fixed.trace) {
    tries += e.op == OpKind::kRefTryAdd && e.cpu == 0;
  }
  EXPECT_EQ(tries, 2);
}

// With flush IPIs the split's ptep_clear_flush() waits for GUP-fast's interrupts-off section:
// even the old kernel is clean.
TEST(SplitHugePageTest, FlushIpisKeepEvenTheOldKernelClean) {
  const testing::SearchStats s =
      testing::BoundedSearch(Scenario("no_folio_recheck", proto::TLB_FLUSH_IPI), 3);
  EXPECT_GT(s.runs, 100);
  EXPECT_EQ(s.violations, 0);
}

// Validation: large folios only where a splitting actor exists, aligned, alone on their pages.
TEST(SplitHugePageTest, ValidationRejectsMalformedLargeFolios) {
  proto::Scenario misaligned = Scenario("fixed", proto::TLB_FLUSH_BROADCAST);
  misaligned.mutable_mappings(0)->set_vaddr(kFolio + kPageSize);
  EXPECT_FALSE(ValidateScenario(misaligned).ok());
  proto::Scenario too_big = Scenario("fixed", proto::TLB_FLUSH_BROADCAST);
  too_big.mutable_mappings(0)->set_folio_order(3);
  EXPECT_FALSE(ValidateScenario(too_big).ok());
  proto::Scenario overlap = Scenario("fixed", proto::TLB_FLUSH_BROADCAST);
  overlap.add_mappings()->set_vaddr(kFolio + kPageSize);
  const absl::Status st = ValidateScenario(overlap);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(std::string(st.message()).find("overlaps"), std::string::npos) << st;
  proto::Scenario elsewhere =
      testing::Configured("gup_vs_zap", "fixed", proto::TLB_FLUSH_IPI, proto::MEMORY_MODEL_SC);
  elsewhere.mutable_mappings(0)->set_folio_order(1);
  EXPECT_FALSE(ValidateScenario(elsewhere).ok());
  proto::Scenario two_splits = Scenario("fixed", proto::TLB_FLUSH_BROADCAST);
  AddActor(two_splits, proto::ACTOR_SPLIT_HUGE_PAGE, 0, kFolio);
  two_splits.mutable_actors()->DeleteSubrange(0, 1);
  two_splits.set_num_cpus(2);
  EXPECT_FALSE(ValidateScenario(two_splits).ok());
  EXPECT_TRUE(ValidateScenario(Scenario("fixed", proto::TLB_FLUSH_BROADCAST)).ok());
}

using testing::VerdictCase;

class GupVsSplitBoundedTest : public ::testing::TestWithParam<VerdictCase> {};

TEST_P(GupVsSplitBoundedTest, ReachesExactlyTheExpectedVerdict) {
  testing::ExpectVerdictWithinBound("gup_vs_split", GetParam(), 20);
}

INSTANTIATE_TEST_SUITE_P(AllVariants, GupVsSplitBoundedTest,
                         ::testing::ValuesIn(testing::AllVerdictCases("gup_vs_split")),
                         [](const ::testing::TestParamInfo<VerdictCase>& info) {
                           return testing::VerdictCaseName(info.param);
                         });

}  // namespace
}  // namespace ptfuzz

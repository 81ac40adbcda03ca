// Folio migration against the deferred split shrinker (core/protocols/migrate.h,
// split_huge_page.h): the refcount freeze of a mapping-less folio, unqueueing while frozen, and
// the scenario migrate_vs_deferred_split (Z17).
#include "core/protocols/migrate.h"

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
  return testing::Configured("migrate_vs_deferred_split", variant, flush, model);
}

// Migration first (the default tape with broadcast flushes): the PTEs end up mapping the new
// folio f6-f7 with the old bits, the old folio is unqueued while frozen and freed, the shrinker
// then finds nothing queued, and the end-of-run accounting agrees.
TEST(MigrateTest, MigrationMovesTheMappingsToTheNewFolio) {
  const RunResult r = testing::RunTraced(Scenario("fixed", proto::TLB_FLUSH_BROADCAST), {});
  ASSERT_EQ(r.outcome, Outcome::kClean) << (r.violation ? r.violation->explanation : "");
  std::vector<uint64_t> remapped;
  bool unqueued = false, freed_old = false;
  for (const TraceEvent& e : r.trace) {
    if (e.op == OpKind::kStore && IsPtLoc(e.addr) && IsMigrationEntry(e.old_value)) {
      remapped.push_back(EntryFrame(e.new_value));
      EXPECT_EQ(e.new_value & ~kPtePfnMask,
                (e.old_value & ~(kPtePfnMask | kPteMigration)) | kPtePresent);
    }
    unqueued |= e.op == OpKind::kStore && LocSpaceOf(e.addr) == LocSpace::kDeferredList &&
                e.new_value == kNotQueued;
    freed_old |= e.op == OpKind::kRefPut && e.addr == 4 && e.new_value == 0;
    EXPECT_FALSE(e.op == OpKind::kRefTryAdd && e.cpu == 1) << "the shrinker found it queued";
  }
  EXPECT_EQ(remapped, (std::vector<uint64_t>{6, 7}));
  EXPECT_TRUE(unqueued);
  EXPECT_TRUE(freed_old);
}

// The shrinker holding its reference at the freeze makes migration give up: the old PTEs come
// back and nothing is reported, in any run within three deviations.
TEST(MigrateTest, FreezeFailsWhileTheShrinkerHoldsTheFolio) {
  int gave_up = 0;
  SimOptions traced;
  traced.record_trace = true;
  testing::BoundedSearch(
      Scenario("fixed", proto::TLB_FLUSH_BROADCAST), 3,
      [&](const RunResult& r) {
        EXPECT_EQ(r.outcome, Outcome::kClean) << (r.violation ? r.violation->explanation : "");
        for (const TraceEvent& e : r.trace) {
          if (e.op == OpKind::kRmw && LocSpaceOf(e.addr) == LocSpace::kRefcount && e.cpu == 0 &&
              e.func != nullptr && std::string(e.func->name) == "folio_migrate_mapping" && !e.ok) {
            ++gave_up;
          }
        }
      },
      traced);
  EXPECT_GT(gave_up, 0);
}

// The bug with one preemption, and the fixed kernel on the same schedule.
TEST(MigrateTest, OldKernelReleasesAFolioTheShrinkerHolds) {
  const testing::SearchStats buggy =
      testing::BoundedSearch(Scenario("no_freeze", proto::TLB_FLUSH_BROADCAST), 2);
  ASSERT_GT(buggy.violations, 0);
  const RunResult r = testing::RunTraced(Scenario("no_freeze", proto::TLB_FLUSH_BROADCAST),
                                         buggy.first_violating_tape);
  ASSERT_TRUE(r.violation.has_value());
  EXPECT_EQ(r.violation->kind, ViolationKind::kRepurposedWhileReferenced);
  EXPECT_EQ(r.violation->site, "migrate_pages");
  const RunResult fixed =
      testing::RunTraced(Scenario("fixed", proto::TLB_FLUSH_BROADCAST), buggy.first_violating_tape);
  EXPECT_EQ(fixed.outcome, Outcome::kClean);
}

// Large folios only in scenarios whose actors handle them; one migration per scenario.
TEST(MigrateTest, Validation) {
  proto::Scenario two = Scenario("fixed", proto::TLB_FLUSH_IPI);
  two.mutable_actors(1)->set_kind(proto::ACTOR_MIGRATE_FOLIO);
  EXPECT_FALSE(ValidateScenario(two).ok());
  proto::Scenario elsewhere = testing::Configured("pfn_walker_vs_hvo", "fixed",
                                                  proto::TLB_FLUSH_IPI, proto::MEMORY_MODEL_SC);
  elsewhere.mutable_mappings(0)->set_folio_order(1);
  elsewhere.mutable_mappings()->DeleteSubrange(1, 1);
  EXPECT_FALSE(ValidateScenario(elsewhere).ok());
  EXPECT_TRUE(ValidateScenario(Scenario("no_freeze", proto::TLB_FLUSH_IPI)).ok());
}

using testing::VerdictCase;

class MigrateVsDeferredSplitBoundedTest : public ::testing::TestWithParam<VerdictCase> {};

TEST_P(MigrateVsDeferredSplitBoundedTest, ReachesExactlyTheExpectedVerdict) {
  testing::ExpectVerdictWithinBound("migrate_vs_deferred_split", GetParam(), 20);
}

INSTANTIATE_TEST_SUITE_P(AllVariants, MigrateVsDeferredSplitBoundedTest,
                         ::testing::ValuesIn(testing::AllVerdictCases("migrate_vs_deferred_split")),
                         [](const ::testing::TestParamInfo<VerdictCase>& info) {
                           return testing::VerdictCaseName(info.param);
                         });

}  // namespace
}  // namespace ptfuzz

// Page-table geometry and folding (core/geometry.h), the walkers' simulated stacks, GUP-fast's
// pXd_offset_lockless() by era and the wrong-location oracle: geometry_walk_arm64 (Z04) and
// geometry_walk_s390 (Z05).
#include "core/geometry.h"

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

PtGeometry Geometry(int built, int walked, RuntimeFold fold, bool pgd_compiled) {
  PtGeometry g;
  g.compiled_levels = static_cast<uint8_t>(built);
  g.runtime_levels = static_cast<uint8_t>(walked);
  g.runtime_fold = fold;
  g.pgd_index_compiled = pgd_compiled;
  return g;
}

TEST(GeometryTest, FourLevelsFoldTheP4dStatically) {
  const PtGeometry g;
  EXPECT_TRUE(g.StaticallyFolded(PtLevel::kP4d));
  EXPECT_FALSE(g.Folded(PtLevel::kPud));
  EXPECT_FALSE(g.Folded(PtLevel::kPmd));
  // nop4d: pgd_none() is constant, p4d_none() (of the same entry) is the real check.
  EXPECT_TRUE(g.ChecksTrivial(PtLevel::kPgd));
  EXPECT_FALSE(g.ChecksTrivial(PtLevel::kP4d));
  EXPECT_EQ(g.TablePosition(PtLevel::kP4d), 3);
  EXPECT_EQ(g.TablePosition(PtLevel::kPgd), 3);
  EXPECT_EQ(g.PgdIndex(0x7f0000000000), TableIndex(0x7f0000000000, PtLevel::kPgd));
  EXPECT_EQ(g.TaskSize(), kTaskSize);
}

TEST(GeometryTest, Arm64RuntimeFoldedPudLivesInTheTopTable) {
  const PtGeometry g = Geometry(4, 3, RuntimeFold::kReindex, true);
  EXPECT_TRUE(g.StaticallyFolded(PtLevel::kP4d));
  EXPECT_TRUE(g.RuntimeFolded(PtLevel::kPud));
  EXPECT_FALSE(g.Folded(PtLevel::kPmd));
  EXPECT_EQ(g.TopPosition(), 2);
  EXPECT_EQ(g.TablePosition(PtLevel::kPud), 2);
  // pgd_index() keeps PGDIR_SHIFT of four levels: user addresses below 2^39 all index 0.
  EXPECT_EQ(g.PgdIndex(0x2000000000), 0u);
  EXPECT_EQ(IndexAtPosition(0x2000000000, 2), 128u);
  EXPECT_TRUE(g.ChecksTrivial(PtLevel::kP4d));   // arm64 p4d_none() without l4
  EXPECT_FALSE(g.ChecksTrivial(PtLevel::kPud));  // the real top-level check
}

TEST(GeometryTest, S390ThreeLevelMmFoldsP4dAndPudIntoRegionThree) {
  const PtGeometry g = Geometry(5, 3, RuntimeFold::kSamePointer, false);
  EXPECT_TRUE(g.RuntimeFolded(PtLevel::kP4d));
  EXPECT_TRUE(g.RuntimeFolded(PtLevel::kPud));
  EXPECT_FALSE(g.StaticallyFolded(PtLevel::kP4d));
  EXPECT_EQ(g.PgdIndex(0x40000000), 1u);  // indexed with the region-3 table's shift
  EXPECT_EQ(g.LevelAtPosition(2), PtLevel::kPgd);
  EXPECT_EQ(g.TaskSize(), (uint64_t{1} << 38) - kPageSize);
}

TEST(GeometryTest, FiveLevelsHaveAP4dTable) {
  const PtGeometry g = Geometry(5, 5, RuntimeFold::kSamePointer, false);
  EXPECT_FALSE(g.Folded(PtLevel::kP4d));
  EXPECT_EQ(g.LevelAtPosition(3), PtLevel::kP4d);
  EXPECT_EQ(g.PositionOf(PtLevel::kPgd), 4);
  EXPECT_FALSE(g.ChecksTrivial(PtLevel::kPgd));
}

// The setup builds one table per level the MMU walks, and the ground-truth walk follows them.
TEST(GeometryTest, SetupMapsThroughEveryWalkedLevel) {
  for (int walked = 2; walked <= 5; ++walked) {
    MachineConfig config;
    config.num_frames = 12;
    config.geometry = Geometry(5, walked, RuntimeFold::kSamePointer, false);
    TapeDecider d({});
    World world(config, SimOptions{}, d);
    const VirtAddr v = 0x3ffff000;
    ASSERT_TRUE(world.SetupMapAnonPage(v, 0));
    int tables = 0;
    for (FrameId f = 0; f < config.num_frames; ++f) {
      tables += world.memory().frame(f).state == FrameState::kPageTable;
    }
    EXPECT_EQ(tables, walked) << walked << " levels";
    EXPECT_NE(world.Translate(v), kNoFrame);
    EXPECT_EQ(world.Translate(v + kPageSize), kNoFrame);
  }
}

RunResult RunDefault(absl::string_view scenario, absl::string_view variant,
                     void (*edit)(proto::Scenario&) = nullptr) {
  proto::Scenario s = FindScenario(scenario)->default_scenario();
  s.set_variant(std::string(variant));
  if (edit) edit(s);
  TapeDecider d({});
  SimOptions o;
  o.record_trace = true;
  return RunScenario(s, d, o);
}

TEST(GeometryWalkTest, Arm64GenericP4dReadsThePudFromTheStack) {
  const RunResult r = RunDefault("geometry_walk_arm64", "generic_p4d");
  ASSERT_TRUE(r.violation);
  EXPECT_EQ(r.violation->kind, ViolationKind::kWrongLocationTablePointer);
  EXPECT_EQ(r.violation->site, "gup_fast_pud_range");
  EXPECT_EQ(r.preemptions, 0u);
  // The offending load: a pud from word pud_index(addr) = 128 of cpu 0's stack.
  const TraceEvent& last = r.trace.back();
  EXPECT_EQ(last.level, PtLevel::kPud);
  EXPECT_EQ(PtLocEntry(last.addr), EntryAddr(StackFrame(0), 128));
}

TEST(GeometryWalkTest, Arm64FixedLoadsTheTopEntryTwiceAndThePudFromTheTable) {
  const RunResult r = RunDefault("geometry_walk_arm64", "fixed");
  ASSERT_EQ(r.outcome, Outcome::kClean) << (r.violation ? r.violation->explanation : "");
  std::vector<PhysAddr> gup_loads;
  for (const TraceEvent& e : r.trace) {
    if (e.cpu == 0 && e.op == OpKind::kLoad && e.step <= 3) gup_loads.push_back(PtLocEntry(e.addr));
  }
  ASSERT_EQ(gup_loads.size(), 3u);
  EXPECT_EQ(gup_loads[0], gup_loads[1]);       // pgd, then the folded p4d through the live pgdp
  EXPECT_EQ(gup_loads[2], EntryAddr(0, 128));  // p4d_to_folded_pud(): the top table, slot 128
}

TEST(GeometryWalkTest, Arm64GenericP4dIsCleanWithoutRuntimeFolding) {
  const RunResult r = RunDefault("geometry_walk_arm64", "generic_p4d", [](proto::Scenario& s) {
    s.mutable_geometry()->set_runtime_levels(4);
  });
  EXPECT_EQ(r.outcome, Outcome::kClean) << (r.violation ? r.violation->explanation : "");
}

TEST(GeometryWalkTest, S390StackCopiesStepOffTheLocalAcrossARegionThreeBoundary) {
  const RunResult r = RunDefault("geometry_walk_s390", "stack_copies");
  ASSERT_TRUE(r.violation);
  EXPECT_EQ(r.violation->kind, ViolationKind::kWrongLocationTablePointer);
  // The first page was walked through the copy and taken; the second page's pud is the word
  // after the p4d local.
  EXPECT_NE(r.violation->explanation.find("for 0x40000000"), std::string::npos)
      << r.violation->explanation;
  const TraceEvent& last = r.trace.back();
  EXPECT_EQ(PtLocEntry(last.addr), EntryAddr(StackFrame(0), kStackPgdWord - kStackFrameWords + 1));
}

TEST(GeometryWalkTest, S390StackCopiesOfOnePageAreClean) {
  const RunResult r = RunDefault("geometry_walk_s390", "stack_copies",
                                 [](proto::Scenario& s) { s.mutable_actors(0)->set_nr_pages(1); });
  EXPECT_EQ(r.outcome, Outcome::kClean) << (r.violation ? r.violation->explanation : "");
}

TEST(GeometryWalkTest, S390FixedGathersBothPagesInOrder) {
  const RunResult r = RunDefault("geometry_walk_s390", "fixed");
  ASSERT_EQ(r.outcome, Outcome::kClean) << (r.violation ? r.violation->explanation : "");
  int taken = 0;
  for (const TraceEvent& e : r.trace) taken += e.op == OpKind::kRefTryAdd && e.ok;
  EXPECT_EQ(taken, 2);
}

// Every interleaving with up to two deviations from the default: the fixed variants stay clean
// under each memory model, and the buggy ones are found on every schedule (no writer needed).
TEST(GeometryWalkTest, BoundedSearchFixedCleanBuggyAlwaysFound) {
  for (const char* name : {"geometry_walk_arm64", "geometry_walk_s390"}) {
    for (proto::MemoryModel model :
         {proto::MEMORY_MODEL_SC, proto::MEMORY_MODEL_TSO, proto::MEMORY_MODEL_RELAXED}) {
      proto::Scenario s = FindScenario(name)->default_scenario();
      s.set_memory_model(model);
      const testing::SearchStats clean = testing::BoundedSearch(s, 2);
      EXPECT_EQ(clean.violations, 0) << name << " fixed, model " << model;
      s.set_variant(std::string(FindScenario(name)->variants[1].name));
      const testing::SearchStats buggy = testing::BoundedSearch(s, 1);
      EXPECT_EQ(buggy.violations, buggy.runs) << name << " buggy, model " << model;
    }
  }
}

}  // namespace
}  // namespace ptfuzz

// arm64 contiguous PTEs (bug zoo Z20, seed 001): setup folds aligned runs of consecutive frames,
// the hardware access agent sets accessed/dirty one descriptor per step, and every variant of
// contpte_lockless_read reaches exactly its verdict within a bound of non-default answers.
#include <string>
#include <vector>

#include "core/protocols/contpte.h"
#include "core/run.h"
#include "core/scenarios/registry.h"
#include "core/tape_decider.h"
#include "gtest/gtest.h"
#include "tests/core/bounded_search.h"

namespace ptfuzz {
namespace {

proto::Scenario Default() { return FindScenario("contpte_lockless_read")->default_scenario(); }

RunResult RunTraced(const proto::Scenario& s, std::vector<uint32_t> tape = {}) {
  TapeDecider d(tape);
  SimOptions o;
  o.record_trace = true;
  return RunScenario(s, d, o);
}

TEST(ContpteTest, SetupFoldsAnAlignedRunOldAndClean) {
  proto::Scenario s = Default();
  s.clear_actors();
  s.set_hw_writers(0);
  proto::Actor* a = s.add_actors();  // a reader that never runs into the block's contents
  a->set_kind(proto::ACTOR_GUP_FAST);
  a->set_cpu(0);
  a->set_vaddr(0x7f0000001000);
  const RunResult r = RunTraced(s);
  ASSERT_EQ(r.outcome, Outcome::kClean);
  int block_loads = 0;
  for (const TraceEvent& e : r.trace) {
    if (e.op != OpKind::kLoad || e.level != PtLevel::kPte) continue;
    EXPECT_TRUE(PteValidCont(e.new_value)) << std::hex << e.new_value;
    EXPECT_EQ(e.new_value & kPteYoungDirty, 0u);
    ++block_loads;
  }
  // ptep_get_lockless()'s READ_ONCE, then the re-read and the four entries; twice (the recheck).
  EXPECT_EQ(block_loads, 12);
}

TEST(ContpteTest, AnUnalignedRunIsNotFolded) {
  proto::Scenario s = Default();
  s.mutable_mappings()->DeleteSubrange(0, 1);  // pages 1-3 only
  const RunResult r = RunTraced(s);
  for (const TraceEvent& e : r.trace) {
    if (e.op == OpKind::kLoad && e.level == PtLevel::kPte && e.new_value != 0) {
      EXPECT_EQ(e.new_value & kPteCont, 0u) << std::hex << e.new_value;
    }
  }
}

TEST(ContpteTest, TheHardwareAgentMarksEachPresentPageOnce) {
  proto::Scenario s = Default();
  s.clear_actors();
  proto::Actor* a = s.add_actors();
  a->set_kind(proto::ACTOR_CONTPTE_UNFOLD_FOLD);
  a->set_cpu(1);
  a->set_vaddr(0x7f0000000000);
  // The agent alone (its CPU 2 has no program): it runs once the converter finished.
  const RunResult r = RunTraced(s);
  ASSERT_EQ(r.outcome, Outcome::kClean);
  int updates = 0;
  for (const TraceEvent& e : r.trace) {
    if (e.agent < 0) continue;
    EXPECT_EQ(e.op, OpKind::kRmw);
    EXPECT_EQ(e.new_value, e.old_value | kPteYoungDirty);
    ++updates;
  }
  EXPECT_EQ(updates, 4);
}

using testing::VerdictCase;

std::vector<VerdictCase> Cases() {
  std::vector<VerdictCase> cases;
  for (const VariantSpec& v : FindScenario("contpte_lockless_read")->variants) {
    for (proto::MemoryModel model : {proto::MEMORY_MODEL_SC, proto::MEMORY_MODEL_RELAXED}) {
      cases.push_back({v.name.data(), proto::TLB_FLUSH_BROADCAST, model, proto::ARCH_ARM64,
                       model == proto::MEMORY_MODEL_RELAXED ? 3 : 2});
    }
  }
  return cases;
}

class ContpteVerdictTest : public ::testing::TestWithParam<VerdictCase> {};
TEST_P(ContpteVerdictTest, ReachesExactlyTheExpectedVerdict) {
  testing::ExpectVerdictWithinBound("contpte_lockless_read", GetParam(), 100);
}
INSTANTIATE_TEST_SUITE_P(AllVariants, ContpteVerdictTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return testing::VerdictCaseName(info.param); });

}  // namespace
}  // namespace ptfuzz

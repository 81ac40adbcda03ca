#include "fuzz/feedback.h"

#include <vector>

#include "core/run.h"
#include "core/scenarios/registry.h"
#include "core/tape_decider.h"
#include "gtest/gtest.h"

namespace ptfuzz {
namespace {

std::vector<uint8_t> Counters(const std::vector<uint32_t>& tape,
                              proto::MemoryModel model = proto::MEMORY_MODEL_SC) {
  proto::Scenario s = FindScenario("gup_vs_zap")->default_scenario();
  s.set_tlb_flush(proto::TLB_FLUSH_BROADCAST);
  s.set_memory_model(model);
  std::vector<uint8_t> counters(1024, 0);
  FeedbackObserver observer(absl::MakeSpan(counters));
  SimOptions o;
  o.observer = &observer;
  TapeDecider d(tape);
  RunScenario(s, d, o);
  return counters;
}

TEST(FeedbackTest, SameRunSameFeatures) {
  EXPECT_EQ(Counters({0, 0, 1, 0, 1}), Counters({0, 0, 1, 0, 1}));
}

TEST(FeedbackTest, DifferentInterleavingsGiveDifferentFeatures) {
  const std::vector<uint8_t> serial = Counters({});
  const std::vector<uint8_t> racy = Counters({0, 0, 0, 0, 0, 1});
  EXPECT_NE(serial, racy);
  int only_racy = 0;
  for (size_t i = 0; i < serial.size(); ++i) only_racy += serial[i] == 0 && racy[i] != 0;
  EXPECT_GT(only_racy, 0) << "the preempted run must reach interleaving features the serial run "
                             "does not";
}

TEST(FeedbackTest, WeakMemoryBehaviourIsAFeature) {
  // The serial run under TSO buffers stores (zap's unlock, the fault's set_pte_at) that SC
  // writes at once: features SC never produces.
  const std::vector<uint8_t> sc = Counters({}, proto::MEMORY_MODEL_SC);
  const std::vector<uint8_t> tso = Counters({}, proto::MEMORY_MODEL_TSO);
  int only_tso = 0;
  for (size_t i = 0; i < sc.size(); ++i) only_tso += sc[i] == 0 && tso[i] != 0;
  EXPECT_GT(only_tso, 0);
}

}  // namespace
}  // namespace ptfuzz

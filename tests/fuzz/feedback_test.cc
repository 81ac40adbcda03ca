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

// On a busy machine, how background actors interleave among themselves gives no feature: a run
// whose only difference is the order of two background CPUs' steps has the same features.
TEST(FeedbackTest, BackgroundInterleavingsAmongThemselvesAreNotFeatures) {
  proto::Scenario s = FindScenario("gup_vs_zap")->default_scenario();
  s.set_tlb_flush(proto::TLB_FLUSH_BROADCAST);
  s.set_background_actors(2);
  const uint32_t own = s.num_cpus();
  // The scenario's own CPUs first, then the two background CPUs alternately or one after the
  // other: the tape answers 0 (keep going) except where noted.
  auto features = [&](const std::vector<uint32_t>& tape, uint32_t own_cpus) {
    std::vector<uint8_t> counters(1024, 0);
    FeedbackObserver observer(absl::MakeSpan(counters), own_cpus);
    SimOptions o;
    o.observer = &observer;
    TapeDecider d(tape);
    RunScenario(s, d, o);
    return counters;
  };
  // Own CPUs' steps as a sequence (what they did and saw, in order).
  auto own_steps = [&](const std::vector<uint32_t>& tape) {
    TapeDecider d(tape);
    SimOptions o;
    o.record_trace = true;
    const RunResult r = RunScenario(s, d, o);
    std::vector<std::string> out;
    for (const TraceEvent& e : r.trace) {
      if (e.cpu >= own) continue;
      out.push_back(std::to_string(e.cpu) + e.func->name + std::to_string(e.addr) + "/" +
                    std::to_string(e.old_value) + "/" + std::to_string(e.new_value));
    }
    return out;
  };
  TapeDecider d0({});
  const RunResult plain = RunScenario(s, d0, SimOptions{});
  const std::vector<std::string> plain_own = own_steps({});
  // Switches that reorder only background steps: the features with every CPU counted change,
  // those of the scenario's own CPUs do not.
  int checked = 0;
  for (size_t i = 0; i < plain.tape.size(); ++i) {
    std::vector<uint32_t> tape(i + 1, 0);
    tape[i] = 1;
    if (own_steps(tape) != plain_own || features({}, ~0u) == features(tape, ~0u)) continue;
    EXPECT_EQ(features({}, own), features(tape, own)) << "switch at decision " << i;
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace ptfuzz

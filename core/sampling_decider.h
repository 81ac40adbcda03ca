// Baseline schedulers as Deciders (issue 9: the strategies ptfuzz's search is measured against).
//
// Each answers from an explicitly seeded PRNG (SplitMix64 of the seed and the run index), so a
// (seed, run) pair names one schedule, and the World records every answer on the canonical tape:
// whatever a strategy finds replays with `ptfuzz replay`.
//  - Random walk: every choice uniform among its options (which CPU steps next, which free frame,
//    which store a load reads).
//  - Random preemption: the default answer (the CPU that ran keeps running, the hottest frame,
//    the newest store) unless, with probability p, a uniformly chosen other one.
//  - PCT (Burckhardt et al., ASPLOS 2010) with depth d: every runner (CPU or agent) gets a
//    random priority when first seen, d - 1 change points are drawn uniformly among the run's
//    first k schedule choices, and each choice runs the highest-priority runnable runner; at
//    the i-th change point the runner that took the previous step drops to priority i, below
//    every initial one. A bug of depth d is found with probability at least 1/(n k^(d-1)).
//    Other choices (frames, stores) take the default.
#ifndef PTFUZZ_CORE_SAMPLING_DECIDER_H_
#define PTFUZZ_CORE_SAMPLING_DECIDER_H_

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/decider.h"

namespace ptfuzz {

enum class SamplingStrategy : uint8_t { kRandomWalk, kRandomPreemption, kPct };

// "random", "preempt", "pct".
absl::string_view SamplingStrategyName(SamplingStrategy strategy);
std::optional<SamplingStrategy> SamplingStrategyFromName(absl::string_view name);

struct SamplingOptions {
  SamplingStrategy strategy = SamplingStrategy::kRandomWalk;
  // kRandomPreemption: the probability of a non-default answer, in [0, 1].
  double preemption_probability = 0.05;
  uint64_t seed = 1;
  // kPct: the depth d (1: no change point) and k, how many schedule choices a run makes (the
  // change points are drawn among the first k).
  uint32_t pct_depth = 3;
  uint32_t pct_steps = 64;
};

class SamplingDecider : public Decider {
 public:
  // The decider of run `run` (0, 1, ...) of a campaign with `options`.
  SamplingDecider(const SamplingOptions& options, uint64_t run);
  uint32_t Decide(DecisionKind kind, uint32_t num_options) override;
  bool WantsScheduleOptions() const override { return options_.strategy == SamplingStrategy::kPct; }
  void OnScheduleOptions(absl::Span<const uint32_t> ids) override;

 private:
  uint32_t DecidePct();
  uint64_t Next();
  // Uniform in [0, n).
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>((Next() >> 32) * n >> 32); }

  SamplingOptions options_;
  uint64_t state_;
  uint64_t threshold_;  // preemption_probability scaled to 2^32
  // kPct state.
  std::vector<uint32_t> change_points_;  // schedule-choice indices, in drawing order
  uint32_t choices_ = 0;                 // schedule choices made so far
  std::vector<std::pair<uint32_t, uint64_t>> priority_;  // (runner id, priority), first-seen order
  std::vector<uint32_t> option_ids_;                     // the pending choice's options
  uint32_t last_runner_ = ~0u;
};

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_SAMPLING_DECIDER_H_

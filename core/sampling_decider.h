// Baseline schedulers as Deciders (issue 9: the strategies ptfuzz's search is measured against).
//
// Each answers from an explicitly seeded PRNG (SplitMix64 of the seed and the run index), so a
// (seed, run) pair names one schedule, and the World records every answer on the canonical tape:
// whatever a strategy finds replays with `ptfuzz replay`.
//  - Random walk: every choice uniform among its options (which CPU steps next, which free frame,
//    which store a load reads).
//  - Random preemption: the default answer (the CPU that ran keeps running, the hottest frame,
//    the newest store) unless, with probability p, a uniformly chosen other one.
#ifndef PTFUZZ_CORE_SAMPLING_DECIDER_H_
#define PTFUZZ_CORE_SAMPLING_DECIDER_H_

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"
#include "core/decider.h"

namespace ptfuzz {

enum class SamplingStrategy : uint8_t { kRandomWalk, kRandomPreemption };

// "random", "preempt".
absl::string_view SamplingStrategyName(SamplingStrategy strategy);
std::optional<SamplingStrategy> SamplingStrategyFromName(absl::string_view name);

struct SamplingOptions {
  SamplingStrategy strategy = SamplingStrategy::kRandomWalk;
  // kRandomPreemption: the probability of a non-default answer, in [0, 1].
  double preemption_probability = 0.05;
  uint64_t seed = 1;
};

class SamplingDecider : public Decider {
 public:
  // The decider of run `run` (0, 1, ...) of a campaign with `options`.
  SamplingDecider(const SamplingOptions& options, uint64_t run);
  uint32_t Decide(DecisionKind kind, uint32_t num_options) override;

 private:
  uint64_t Next();
  // Uniform in [0, n).
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>((Next() >> 32) * n >> 32); }

  SamplingOptions options_;
  uint64_t state_;
  uint64_t threshold_;  // preemption_probability scaled to 2^32
};

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_SAMPLING_DECIDER_H_

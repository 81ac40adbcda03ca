#include "core/sampling_decider.h"

#include <algorithm>

#include "core/check.h"

namespace ptfuzz {

absl::string_view SamplingStrategyName(SamplingStrategy strategy) {
  switch (strategy) {
    case SamplingStrategy::kRandomWalk:
      return "random";
    case SamplingStrategy::kRandomPreemption:
      return "preempt";
  }
  return "?";
}

std::optional<SamplingStrategy> SamplingStrategyFromName(absl::string_view name) {
  for (SamplingStrategy s : {SamplingStrategy::kRandomWalk, SamplingStrategy::kRandomPreemption}) {
    if (SamplingStrategyName(s) == name) return s;
  }
  return std::nullopt;
}

SamplingDecider::SamplingDecider(const SamplingOptions& options, uint64_t run)
    : options_(options),
      state_(options.seed * 0x9e3779b97f4a7c15ull ^ (run + 1) * 0xbf58476d1ce4e5b9ull),
      threshold_(static_cast<uint64_t>(std::clamp(options.preemption_probability, 0.0, 1.0) *
                                       4294967296.0)) {}

uint64_t SamplingDecider::Next() {
  // SplitMix64.
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint32_t SamplingDecider::Decide(DecisionKind kind, uint32_t num_options) {
  static_cast<void>(kind);
  PTFUZZ_CHECK(num_options >= 2);
  switch (options_.strategy) {
    case SamplingStrategy::kRandomWalk:
      return Below(num_options);
    case SamplingStrategy::kRandomPreemption:
      if ((Next() >> 32) >= threshold_) return 0;
      return 1 + Below(num_options - 1);
  }
  return 0;
}

}  // namespace ptfuzz

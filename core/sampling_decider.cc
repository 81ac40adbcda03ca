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
    case SamplingStrategy::kPct:
      return "pct";
  }
  return "?";
}

std::optional<SamplingStrategy> SamplingStrategyFromName(absl::string_view name) {
  for (SamplingStrategy s : {SamplingStrategy::kRandomWalk, SamplingStrategy::kRandomPreemption,
                             SamplingStrategy::kPct}) {
    if (SamplingStrategyName(s) == name) return s;
  }
  return std::nullopt;
}

SamplingDecider::SamplingDecider(const SamplingOptions& options, uint64_t run)
    : options_(options),
      state_(options.seed * 0x9e3779b97f4a7c15ull ^ (run + 1) * 0xbf58476d1ce4e5b9ull),
      threshold_(static_cast<uint64_t>(std::clamp(options.preemption_probability, 0.0, 1.0) *
                                       4294967296.0)) {
  if (options_.strategy != SamplingStrategy::kPct) return;
  const uint32_t k = std::max<uint32_t>(options_.pct_steps, 1);
  // The i-th point drawn (not the i-th in time) sets priority i, as in the paper.
  for (uint32_t i = 1; i < options_.pct_depth; ++i) change_points_.push_back(Below(k));
}

void SamplingDecider::OnScheduleOptions(absl::Span<const uint32_t> ids) {
  option_ids_.assign(ids.begin(), ids.end());
}

uint32_t SamplingDecider::DecidePct() {
  PTFUZZ_CHECK(!option_ids_.empty());
  // A change point at this choice lowers the runner that took the previous step.
  const uint32_t now = choices_++;
  for (size_t j = 0; j < change_points_.size(); ++j) {
    if (change_points_[j] != now || last_runner_ == ~0u) continue;
    for (auto& [id, prio] : priority_) {
      if (id == last_runner_) prio = j + 1;  // 1 .. d-1: below every initial priority
    }
  }
  uint32_t best = 0;
  uint64_t best_prio = 0;
  for (uint32_t i = 0; i < option_ids_.size(); ++i) {
    const uint32_t id = option_ids_[i];
    auto it = std::find_if(priority_.begin(), priority_.end(),
                           [&](const auto& p) { return p.first == id; });
    if (it == priority_.end()) {
      // A random initial priority above every change-point priority (ties broken by the id).
      priority_.push_back({id, (uint64_t{1} << 40) + (Next() >> 24) * 256 + (id & 255)});
      it = priority_.end() - 1;
    }
    if (i == 0 || it->second > best_prio) {
      best = i;
      best_prio = it->second;
    }
  }
  last_runner_ = option_ids_[best];
  option_ids_.clear();
  return best;
}

uint64_t SamplingDecider::Next() {
  // SplitMix64.
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint32_t SamplingDecider::Decide(DecisionKind kind, uint32_t num_options) {
  PTFUZZ_CHECK(num_options >= 2);
  switch (options_.strategy) {
    case SamplingStrategy::kPct:
      return kind == DecisionKind::kSchedule ? DecidePct() : 0;
    case SamplingStrategy::kRandomWalk:
      return Below(num_options);
    case SamplingStrategy::kRandomPreemption:
      if ((Next() >> 32) >= threshold_) return 0;
      return 1 + Below(num_options - 1);
  }
  return 0;
}

}  // namespace ptfuzz

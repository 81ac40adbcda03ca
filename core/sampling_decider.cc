#include "core/sampling_decider.h"

#include <algorithm>

#include "core/check.h"

namespace ptfuzz {

namespace {

// The value of `id` in a small table kept in first-seen order (lookups stay deterministic and a
// handful of runners needs no hash map), added with `init` when missing.
template <typename V>
V& Slot(std::vector<std::pair<uint32_t, V>>& table, uint32_t id, V init) {
  for (auto& [key, value] : table) {
    if (key == id) return value;
  }
  table.push_back({id, init});
  return table.back().second;
}

}  // namespace

absl::string_view SamplingStrategyName(SamplingStrategy strategy) {
  switch (strategy) {
    case SamplingStrategy::kRandomWalk:
      return "random";
    case SamplingStrategy::kRandomPreemption:
      return "preempt";
    case SamplingStrategy::kPct:
      return "pct";
    case SamplingStrategy::kPctwm:
      return "pctwm";
    case SamplingStrategy::kPos:
      return "pos";
    case SamplingStrategy::kSurw:
      return "surw";
  }
  return "?";
}

std::optional<SamplingStrategy> SamplingStrategyFromName(absl::string_view name) {
  for (SamplingStrategy s :
       {SamplingStrategy::kRandomWalk, SamplingStrategy::kRandomPreemption, SamplingStrategy::kPct,
        SamplingStrategy::kPctwm, SamplingStrategy::kPos, SamplingStrategy::kSurw}) {
    if (SamplingStrategyName(s) == name) return s;
  }
  return std::nullopt;
}

SamplingDecider::SamplingDecider(const SamplingOptions& options, uint64_t run)
    : options_(options),
      rng_(options.seed * 0x9e3779b97f4a7c15ull ^ (run + 1) * 0xbf58476d1ce4e5b9ull),
      threshold_(static_cast<uint64_t>(std::clamp(options.preemption_probability, 0.0, 1.0) *
                                       4294967296.0)) {
  if (options_.strategy != SamplingStrategy::kPct &&
      options_.strategy != SamplingStrategy::kPctwm) {
    return;
  }
  const uint32_t k = std::max<uint32_t>(options_.pct_steps, 1);
  // The i-th point drawn (not the i-th in time) sets priority i, as in the paper.
  for (uint32_t i = 1; i < options_.pct_depth; ++i) change_points_.push_back(Below(k));
  if (options_.strategy != SamplingStrategy::kPctwm) return;
  const uint32_t k_rf = std::max<uint32_t>(options_.rf_steps, 1);
  for (uint32_t i = 0; i < options_.rf_changes; ++i) rf_change_points_.push_back(Below(k_rf));
}

void SamplingDecider::OnScheduleOptions(absl::Span<const uint32_t> ids,
                                        absl::Span<const uint64_t> accesses) {
  option_ids_.assign(ids.begin(), ids.end());
  option_accesses_.assign(accesses.begin(), accesses.end());
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
    uint64_t& prio = Slot(priority_, id, uint64_t{0});
    // A random initial priority above every change-point priority (ties broken by the id).
    if (prio == 0) prio = (uint64_t{1} << 40) + (Next() >> 24) * 256 + (id & 255);
    if (i == 0 || prio > best_prio) {
      best = i;
      best_prio = prio;
    }
  }
  last_runner_ = option_ids_[best];
  option_ids_.clear();
  return best;
}

uint32_t SamplingDecider::DecidePos() {
  PTFUZZ_CHECK(!option_ids_.empty() && option_accesses_.size() == option_ids_.size());
  uint32_t best = 0;
  uint64_t best_prio = 0;
  for (uint32_t i = 0; i < option_ids_.size(); ++i) {
    const uint32_t id = option_ids_[i];
    const uint64_t access = option_accesses_[i];
    uint64_t& seen = Slot(seen_access_, id, ~uint64_t{0});
    uint64_t& prio = Slot(priority_, id, uint64_t{0});
    // A new event (the runner ran, or its pending access is not the one seen last time), or
    // one that races with the event that just ran: a fresh priority. Ties broken by the id.
    if (prio == 0 || id == last_runner_ || seen != access ||
        Decider::AccessesRace(access, last_access_)) {
      prio = ((Next() >> 24) << 8) + (id & 255) + 1;
    }
    seen = access;
    if (i == 0 || prio > best_prio) {
      best = i;
      best_prio = prio;
    }
  }
  last_runner_ = option_ids_[best];
  last_access_ = option_accesses_[best];
  option_ids_.clear();
  return best;
}

uint32_t SamplingDecider::DecideSurw() {
  PTFUZZ_CHECK(!option_ids_.empty());
  // Weight: the runner's remaining contested steps (at least 1, also for runners the profile
  // never saw).
  uint64_t weights[64];
  const uint32_t n = std::min<uint32_t>(static_cast<uint32_t>(option_ids_.size()), 64);
  uint64_t total = 0;
  for (uint32_t i = 0; i < n; ++i) {
    uint64_t expected = 0;
    for (const auto& [id, steps] : options_.runner_steps) {
      if (id == option_ids_[i]) expected = steps;
    }
    const uint64_t taken = Slot(taken_, option_ids_[i], uint64_t{0});
    weights[i] = expected > taken ? expected - taken : 1;
    total += weights[i];
  }
  uint64_t r = (Next() >> 11) % total;
  uint32_t best = 0;
  while (r >= weights[best]) r -= weights[best++];
  option_ids_.clear();
  return best;
}

bool IsCpuStep(const TraceEvent& event) {
  return event.op != OpKind::kDrain && event.op != OpKind::kRcuCallback &&
         event.op != OpKind::kHwWalk;
}

void SamplingDecider::OnStep(const TraceEvent& event, uint64_t func_hash) {
  static_cast<void>(func_hash);
  if (options_.strategy == SamplingStrategy::kSurw && IsCpuStep(event)) {
    ++Slot(taken_, event.cpu, uint64_t{0});
  }
}

uint32_t SamplingDecider::DecideReadsFromPctwm(uint32_t num_options) {
  const uint32_t now = rf_choices_++;
  if (std::find(rf_change_points_.begin(), rf_change_points_.end(), now) ==
      rf_change_points_.end()) {
    return 0;
  }
  // One of the rf_history stores just older than the newest (option 0).
  const uint32_t h = std::clamp<uint32_t>(options_.rf_history, 1, num_options - 1);
  return 1 + Below(h);
}

uint32_t ProfilingDecider::Decide(DecisionKind kind, uint32_t num_options) {
  if (kind == DecisionKind::kSchedule) ++schedule_choices_;
  if (kind == DecisionKind::kReadsFrom) ++rf_choices_;
  return random_ ? random_->Below(num_options) : 0;
}

void ProfilingDecider::OnStep(const TraceEvent& event, uint64_t func_hash) {
  static_cast<void>(func_hash);
  ++steps_;
  if (!IsCpuStep(event)) return;
  ++Slot(runner_steps_, event.cpu, 0u);
}

void ProfilingDecider::Calibrate(SamplingOptions* options) const {
  // PCT's k bounds the run's length in steps (Burckhardt et al.), of which schedule choices are
  // a part; change points beyond a run's last choice are simply not reached.
  options->pct_steps = std::max<uint32_t>(std::max(schedule_choices_, steps_), 1);
  options->rf_steps = std::max<uint32_t>(rf_choices_, 1);
  options->runner_steps = runner_steps_;
}

uint32_t SamplingDecider::Decide(DecisionKind kind, uint32_t num_options) {
  PTFUZZ_CHECK(num_options >= 2);
  switch (options_.strategy) {
    case SamplingStrategy::kPct:
      return kind == DecisionKind::kSchedule ? DecidePct() : 0;
    case SamplingStrategy::kPctwm:
      if (kind == DecisionKind::kSchedule) return DecidePct();
      return kind == DecisionKind::kReadsFrom ? DecideReadsFromPctwm(num_options) : 0;
    case SamplingStrategy::kPos:
      return kind == DecisionKind::kSchedule ? DecidePos() : 0;
    case SamplingStrategy::kSurw:
      return kind == DecisionKind::kSchedule ? DecideSurw() : 0;
    case SamplingStrategy::kRandomWalk:
      return Below(num_options);
    case SamplingStrategy::kRandomPreemption:
      if ((Next() >> 32) >= threshold_) return 0;
      return 1 + Below(num_options - 1);
  }
  return 0;
}

}  // namespace ptfuzz

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
//  - PCTWM (Gao et al., ASPLOS 2023): PCT's schedule, and loads read the newest store except at
//    `rf_changes` change points drawn among the first k_rf reads-from choices, where a load
//    reads one of the `rf_history` stores just older than the newest, uniformly. (The paper
//    counts the h most recent stores per writer; here the options are the coherence-ordered
//    stores a load may read, core/relaxed_memory.h, so h counts stores, not writers.)
//  - POS, partial order sampling (Yuan et al., CAV 2018): every event (a runner's next step)
//    gets a random priority when it becomes pending, the highest-priority pending event runs,
//    and the events that race with the one that ran (same location, one of them a write:
//    Decider::AccessesRace()) get fresh priorities. Races are known for CPUs' shared memory
//    accesses; interrupts, locks and agents' steps race with nothing.
//  - SURW, selectively uniform random walk (Zhao et al., ASPLOS 2025): each schedule choice
//    picks a runner with probability proportional to the steps it still has to take, estimated
//    by a profiling run (ProfilingDecider), which samples interleavings of those steps
//    uniformly instead of favouring short runners' early completion as a random walk does.
//    The steps counted are CPUs' own (agents' drains, callbacks and walks weigh 1); the decider
//    counts the steps taken as the run goes, as a StepObserver (SimOptions::observer).
#ifndef PTFUZZ_CORE_SAMPLING_DECIDER_H_
#define PTFUZZ_CORE_SAMPLING_DECIDER_H_

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/decider.h"
#include "core/splitmix.h"
#include "core/world.h"

namespace ptfuzz {

enum class SamplingStrategy : uint8_t { kRandomWalk, kRandomPreemption, kPct, kPctwm, kPos, kSurw };

// "random", "preempt", "pct", "pctwm", "pos", "surw".
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
  // kPctwm: reads-from change points, the stores older than the newest one a change point
  // picks among, and k_rf, how many reads-from choices a run makes.
  uint32_t rf_changes = 2;
  uint32_t rf_history = 2;
  uint32_t rf_steps = 16;
  // kSurw: (CPU id, steps it takes in a run), from ProfilingDecider.
  std::vector<std::pair<uint32_t, uint32_t>> runner_steps;
};

// Counts what a run decides and does: the k of PCT and PCTWM, and SURW's steps per CPU (as the
// run's StepObserver); Calibrate() writes them into `options`. It answers every choice with the
// default, or, given a seed, uniformly (a random walk interleaves stores and loads, so its runs
// show the reads-from choices that the default run, one CPU after another, seldom makes).
class ProfilingDecider : public Decider, public StepObserver {
 public:
  ProfilingDecider() = default;
  explicit ProfilingDecider(uint64_t random_walk_seed) : random_(SplitMix64(random_walk_seed)) {}
  uint32_t Decide(DecisionKind kind, uint32_t num_options) override;
  void OnStep(const TraceEvent& event, uint64_t func_hash) override;
  void Calibrate(SamplingOptions* options) const;

 private:
  uint32_t schedule_choices_ = 0;
  uint32_t rf_choices_ = 0;
  uint32_t steps_ = 0;  // seen only when the decider is also the run's observer
  std::vector<std::pair<uint32_t, uint32_t>> runner_steps_;  // first-seen order
  std::optional<SplitMix64> random_;                         // a random walk's generator
};

// Whether a step is a CPU's own (not an agent's drain, RCU callback or speculative walk).
bool IsCpuStep(const TraceEvent& event);

// For kSurw the decider must also be the run's StepObserver (SimOptions::observer).
class SamplingDecider : public Decider, public StepObserver {
 public:
  // The decider of run `run` (0, 1, ...) of a campaign with `options`.
  SamplingDecider(const SamplingOptions& options, uint64_t run);
  uint32_t Decide(DecisionKind kind, uint32_t num_options) override;
  bool WantsScheduleOptions() const override {
    return options_.strategy != SamplingStrategy::kRandomWalk &&
           options_.strategy != SamplingStrategy::kRandomPreemption;
  }
  void OnScheduleOptions(absl::Span<const uint32_t> ids,
                         absl::Span<const uint64_t> accesses) override;
  void OnStep(const TraceEvent& event, uint64_t func_hash) override;

 private:
  uint32_t DecidePct();
  uint32_t DecidePos();
  uint32_t DecideSurw();
  uint32_t DecideReadsFromPctwm(uint32_t num_options);
  uint64_t Next() { return rng_.Next(); }
  // Uniform in [0, n).
  uint32_t Below(uint32_t n) { return rng_.Below(n); }

  SamplingOptions options_;
  SplitMix64 rng_;
  uint64_t threshold_;  // preemption_probability scaled to 2^32
  // kPct state.
  std::vector<uint32_t> change_points_;  // schedule-choice indices, in drawing order
  uint32_t choices_ = 0;                 // schedule choices made so far
  std::vector<std::pair<uint32_t, uint64_t>> priority_;  // (runner id, priority), first-seen order
  std::vector<uint32_t> option_ids_;                     // the pending choice's options
  std::vector<uint64_t> option_accesses_;                // ... and their pending accesses
  uint32_t last_runner_ = ~0u;
  // kPctwm: reads-from change points (indices among reads-from choices) and choices so far.
  std::vector<uint32_t> rf_change_points_;
  uint32_t rf_choices_ = 0;
  // kPos: (runner id, its pending event's access) when last seen, and the access that ran last.
  std::vector<std::pair<uint32_t, uint64_t>> seen_access_;
  uint64_t last_access_ = 0;
  // kSurw: (CPU id, steps taken so far).
  std::vector<std::pair<uint32_t, uint64_t>> taken_;
};

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_SAMPLING_DECIDER_H_

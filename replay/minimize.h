// Minimizing a violating schedule while it keeps the same violation (STYLE.md 2.7).
//
// Candidates are interpreted like fuzzer inputs (raw tape, answers modulo the options, default 0
// past the end) and kept only when they reproduce the original ViolationSignature (kind and
// detecting kernel function), so minimization never drifts to another bug. What it reduces, most
// important first: preemptions, then the scenario (actors, mappings, CPUs, frames, TLB bits), then
// the tape (non-default answers, length, values); a candidate is kept only when it is smaller in
// that order, so no pass trades a preemption for a shorter tape. Passes, each round:
//   1. the tape: drop trailing answers (after canonicalizing to the answers actually used), ddmin
//      over chunks of answers, replace answers by the default (0) or by smaller values,
//   2. drop actors and mappings, shrink num_cpus and num_frames, clear TLB bits,
//   3. the fewest deviations (preemptions, other frames, older stores): bounded searches with
//      0, 1, ... 6 non-default answers until one reproduces (core/bounded_dfs.h), on at most half
//      of the budget left,
// repeated until a whole round changes nothing or the run budget is spent. The result is written
// with its canonical tape and must reproduce under strict replay N times out of N.
#ifndef PTFUZZ_REPLAY_MINIMIZE_H_
#define PTFUZZ_REPLAY_MINIMIZE_H_

#include <string>

#include "absl/status/statusor.h"
#include "core/world.h"
#include "proto/schedule.pb.h"

namespace ptfuzz {

struct MinimizeOptions {
  // Candidate runs allowed; each costs microseconds, so the default finishes in well under a
  // second for every built-in scenario.
  int max_runs = 50000;
  // Strict replays of the result that must all reproduce the signature and trace hash.
  int reproductions = 5;
};

struct MinimizeStats {
  int candidate_runs = 0;
  int decisions_before = 0;       // decisions the original run made
  int decisions_after = 0;
  int non_default_before = 0;     // answers other than 0 among them
  int non_default_after = 0;
  int actors_before = 0;
  int actors_after = 0;
  uint32_t context_switches_before = 0;  // of the original run
  uint32_t preemptions_before = 0;
  uint32_t context_switches = 0;  // of the minimized run
  uint32_t preemptions = 0;
  uint32_t stale_loads = 0;       // relaxed-model loads of an older store, in the minimized run
  uint32_t buffered_stores = 0;   // TSO stores that went through a store buffer
};

struct Minimized {
  proto::Schedule schedule;  // canonical
  RunResult result;          // its strict replay, with the trace recorded
  std::string signature;
  MinimizeStats stats;
};

// kFailedPrecondition when `input` does not violate anything, kInvalidArgument when its
// canonical tape does not replay. REQUIRES: CheckSchedule(input) ok.
absl::StatusOr<Minimized> MinimizeSchedule(const proto::Schedule& input,
                                           const MinimizeOptions& options);

}  // namespace ptfuzz

#endif  // PTFUZZ_REPLAY_MINIMIZE_H_

#include "replay/minimize.h"

#include <algorithm>
#include <functional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "core/bounded_dfs.h"
#include "core/run.h"
#include "core/scenarios/registry.h"
#include "core/tape_decider.h"
#include "core/violation.h"
#include "replay/report.h"

namespace ptfuzz {

namespace {

// The deepest bounded search the minimizer tries (each bound costs about the runs of the last
// times the decisions of a run; the run budget stops it earlier on large scenarios).
constexpr int kMaxDeviationBound = 6;

int NonDefault(const std::vector<CanonicalDecision>& tape) {
  return static_cast<int>(
      std::count_if(tape.begin(), tape.end(), [](const CanonicalDecision& d) { return d.value; }));
}

class Minimizer {
 public:
  Minimizer(std::string signature, const MinimizeOptions& options)
      : signature_(std::move(signature)), options_(options) {}

  int runs() const { return runs_; }
  const std::string& signature() const { return signature_; }
  // A run made elsewhere (a bounded search) on this minimizer's budget.
  void CountRun() { ++runs_; }
  // Runs `s` as a raw schedule; every run, tested or exploratory, counts against the budget.
  RunResult Explore(const proto::Schedule& s) {
    ++runs_;
    const std::vector<uint32_t> raw = RawTape(s);
    TapeDecider decider(raw);
    return RunScenario(s.scenario(), decider, SimOptions{});
  }
  bool budget_left() const { return runs_ < options_.max_runs; }

  // Runs `candidate` (a raw schedule) and, when it reproduces, replaces its tape by the answers
  // actually used without trailing defaults.
  bool Try(proto::Schedule& candidate) {
    if (!ValidateScenario(candidate.scenario()).ok()) return false;
    const std::string key = candidate.SerializeAsString();
    if (auto it = memo_.find(key); it != memo_.end()) {
      if (it->second.ok) SetRawTape(it->second.tape, &candidate);
      return it->second.ok;
    }
    if (!budget_left()) return false;
    const RunResult r = Explore(candidate);
    Memo m;
    m.ok = r.violation && ViolationSignature(*r.violation) == signature_;
    if (m.ok) {
      for (const CanonicalDecision& d : r.tape) m.tape.push_back(d.value);
      while (!m.tape.empty() && m.tape.back() == 0) m.tape.pop_back();
      SetRawTape(m.tape, &candidate);
    }
    memo_.emplace(key, m);
    return m.ok;
  }

 private:
  struct Memo {
    bool ok = false;
    std::vector<uint32_t> tape;
  };
  std::string signature_;
  MinimizeOptions options_;
  int runs_ = 0;
  absl::flat_hash_map<std::string, Memo> memo_;  // lookup only; never iterated
};

// Tries `mutate` on a copy of `best`; keeps it when it reproduces.
template <typename F>
bool Attempt(Minimizer& m, proto::Schedule& best, F&& mutate) {
  proto::Schedule candidate = best;
  if (!mutate(candidate)) return false;
  if (!m.Try(candidate)) return false;
  best = std::move(candidate);
  return true;
}

bool TapePasses(Minimizer& m, proto::Schedule& best) {
  bool changed = false;
  // 1. Trailing answers: drop halves, quarters, ... of the tail.
  for (int chunk = best.raw_tape_size() / 2; chunk >= 1; chunk /= 2) {
    while (chunk <= best.raw_tape_size() && Attempt(m, best, [&](proto::Schedule& c) {
             TruncateTape(c.mutable_raw_tape(), c.raw_tape_size() - chunk);
             return true;
           })) {
      changed = true;
    }
  }
  // 2. ddmin: delete chunks anywhere.
  for (int chunk = std::max(1, best.raw_tape_size() / 2); chunk >= 1; chunk /= 2) {
    for (int start = 0; start + chunk <= best.raw_tape_size() && m.budget_left();) {
      if (Attempt(m, best, [&](proto::Schedule& c) {
            std::vector<uint32_t> t = RawTape(c);
            t.erase(t.begin() + start, t.begin() + start + chunk);
            SetRawTape(t, &c);
            return true;
          })) {
        changed = true;
      } else {
        start += chunk;
      }
    }
  }
  // 3. Defaults and smaller answers.
  for (int i = 0; i < best.raw_tape_size() && m.budget_left(); ++i) {
    for (uint32_t v = 0; i < best.raw_tape_size() && v < best.raw_tape(i); ++v) {
      if (Attempt(m, best, [&](proto::Schedule& c) {
            c.set_raw_tape(i, v);
            return true;
          })) {
        changed = true;
        break;
      }
    }
  }
  return changed;
}

// CHESS-style: every tape with at most `k` non-default answers, for k = 0, 1, ... (iterative
// deepening of core/bounded_dfs.h), until a run reproduces the signature or the run budget is
// spent. Single-answer edits cannot remove a preemption whose removal shifts the meaning of later
// answers; this finds the schedule with the fewest deviations (preemptions, other frames, older
// stores) outright: the LOW_HIGH ABA of Z08 needs three, a store-buffering outcome with two stale
// loads four. Returns true when it found a tape with fewer deviations than `best`.
bool FewestDeviationsPass(Minimizer& m, proto::Schedule& best) {
  const int current = static_cast<int>(std::count_if(
      best.raw_tape().begin(), best.raw_tape().end(), [](uint32_t v) { return v != 0; }));
  SimOptions options;
  options.trace_hash = false;
  options.state_digest = false;
  for (int k = 0; k < std::min(current, kMaxDeviationBound + 1) && m.budget_left(); ++k) {
    std::vector<uint32_t> found;
    bool ok = false;
    ExploreWithinDeviations(best.scenario(), k, options,
                            [&](const std::vector<uint32_t>& prefix, const RunResult& r) {
                              m.CountRun();
                              if (r.violation && ViolationSignature(*r.violation) == m.signature()) {
                                found = prefix;
                                ok = true;
                              }
                              return !ok && m.budget_left();
                            });
    if (ok) {
      proto::Schedule c = best;
      SetRawTape(found, &c);
      if (!m.Try(c)) return false;  // cannot happen: the same raw tape reproduced just now
      best = std::move(c);
      return true;
    }
  }
  return false;
}

bool ScenarioPasses(Minimizer& m, proto::Schedule& best) {
  bool changed = false;
  for (int i = best.scenario().actors_size() - 1; i >= 0; --i) {
    changed |= Attempt(m, best, [&](proto::Schedule& c) {
      c.mutable_scenario()->mutable_actors()->DeleteSubrange(i, 1);
      return true;
    });
  }
  for (int i = best.scenario().mappings_size() - 1; i >= 0; --i) {
    changed |= Attempt(m, best, [&](proto::Schedule& c) {
      c.mutable_scenario()->mutable_mappings()->DeleteSubrange(i, 1);
      return true;
    });
  }
  for (int i = 0; i < best.scenario().mappings_size(); ++i) {
    for (uint32_t bit = 0; bit < kMaxCpus; ++bit) {
      changed |= Attempt(m, best, [&](proto::Schedule& c) {
        proto::Mapping* mp = c.mutable_scenario()->mutable_mappings(i);
        if ((mp->tlb_cpus() & (1u << bit)) == 0) return false;
        mp->set_tlb_cpus(mp->tlb_cpus() & ~(1u << bit));
        return true;
      });
    }
  }
  uint32_t needed_cpus = 1;
  for (const proto::Actor& a : best.scenario().actors()) needed_cpus = std::max(needed_cpus, a.cpu() + 1);
  for (const proto::Mapping& mp : best.scenario().mappings()) {
    for (uint32_t bit = 0; bit < kMaxCpus; ++bit) {
      if (mp.tlb_cpus() & (1u << bit)) needed_cpus = std::max(needed_cpus, bit + 1);
    }
  }
  if (needed_cpus < best.scenario().num_cpus()) {
    changed |= Attempt(m, best, [&](proto::Schedule& c) {
      c.mutable_scenario()->set_num_cpus(needed_cpus);
      return true;
    });
  }
  for (uint32_t frames = kMinFrames; frames < best.scenario().num_frames(); ++frames) {
    if (Attempt(m, best, [&](proto::Schedule& c) {
          c.mutable_scenario()->set_num_frames(frames);
          return true;
        })) {
      changed = true;
      break;
    }
  }
  return changed;
}

}  // namespace

absl::StatusOr<Minimized> MinimizeSchedule(const proto::Schedule& input,
                                           const MinimizeOptions& options) {
  const RunResult original = RunSchedule(input, SimOptions{});
  if (original.outcome == Outcome::kDivergence) {
    return absl::InvalidArgumentError(
        absl::StrCat("the schedule does not replay: ", original.divergence.message()));
  }
  if (!original.violation) {
    return absl::FailedPreconditionError(
        absl::StrCat("nothing to minimize: the schedule replays to verdict ", Verdict(original)));
  }
  Minimized out;
  out.signature = ViolationSignature(*original.violation);
  out.stats.decisions_before = static_cast<int>(original.tape.size());
  out.stats.non_default_before = NonDefault(original.tape);
  out.stats.actors_before = input.scenario().actors_size();
  out.stats.context_switches_before = original.context_switches;
  out.stats.preemptions_before = original.preemptions;

  Minimizer m(out.signature, options);
  proto::Schedule best = input;
  best.clear_expect();
  std::vector<uint32_t> used;
  for (const CanonicalDecision& d : original.tape) used.push_back(d.value);
  SetRawTape(used, &best);
  if (!m.Try(best)) {
    return absl::InternalError("ptfuzz internal bug: the canonical tape of a run does not "
                               "reproduce it when interpreted raw");
  }
  // Preemptions first (the fewest deviations), then actors and the rest of the scenario, then
  // the tape's length; again until nothing changes.
  for (int round = 0; round < 20 && m.budget_left(); ++round) {
    bool changed = FewestDeviationsPass(m, best);
    changed |= ScenarioPasses(m, best);
    changed |= TapePasses(m, best);
    if (!changed) break;
  }

  // The canonical form of the result, and the N/N check under strict replay.
  {
    const std::vector<uint32_t> raw = RawTape(best);
    TapeDecider decider(raw);
    const RunResult r = RunScenario(best.scenario(), decider, SimOptions{});
    SetCanonicalTape(r.tape, &best);
  }
  SimOptions record;
  record.record_trace = true;
  out.result = RunSchedule(best, record);
  for (int i = 0; i < options.reproductions; ++i) {
    const RunResult again = RunSchedule(best, SimOptions{});
    if (!again.violation || ViolationSignature(*again.violation) != out.signature ||
        again.trace_hash != out.result.trace_hash) {
      return absl::InternalError(absl::StrCat(
          "ptfuzz internal bug: the minimized schedule reproduced ", i, " of ",
          options.reproductions, " times (a determinism bug in the simulator)"));
    }
  }
  out.schedule = std::move(best);
  out.stats.candidate_runs = m.runs();
  out.stats.decisions_after = static_cast<int>(out.result.tape.size());
  out.stats.non_default_after = NonDefault(out.result.tape);
  out.stats.actors_after = out.schedule.scenario().actors_size();
  out.stats.context_switches = out.result.context_switches;
  out.stats.preemptions = out.result.preemptions;
  out.stats.stale_loads = out.result.stale_loads;
  out.stats.buffered_stores = out.result.buffered_stores;
  return out;
}

}  // namespace ptfuzz

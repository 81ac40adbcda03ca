#include "replay/minimize.h"

#include <algorithm>
#include <array>
#include <functional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/numeric/bits.h"
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

// What the minimizer reduces, most important first (issue 9): preemptions, then the scenario
// (actors, mappings, CPUs, frames, TLB bits), then the tape (non-default answers, length, values).
// A candidate is kept only when its key is smaller, so no pass trades a preemption for a shorter
// tape.
using Key = std::array<uint64_t, 9>;

Key KeyOf(const proto::Schedule& s, uint32_t preemptions) {
  uint64_t tlb_bits = 0, non_default = 0, answer_sum = 0;
  for (const proto::Mapping& m : s.scenario().mappings()) tlb_bits += absl::popcount(m.tlb_cpus());
  for (uint32_t v : s.raw_tape()) {
    non_default += v != 0;
    answer_sum += v;
  }
  return {preemptions,
          static_cast<uint64_t>(s.scenario().actors_size()),
          static_cast<uint64_t>(s.scenario().mappings_size()),
          s.scenario().num_cpus(),
          s.scenario().num_frames(),
          tlb_bits,
          non_default,
          static_cast<uint64_t>(s.raw_tape_size()),
          answer_sum};
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
  int runs_left() const { return std::max(0, options_.max_runs - runs_); }

  // Runs `candidate` (a raw schedule) and, when it reproduces, replaces its tape by the answers
  // actually used without trailing defaults and sets `*key` (KeyOf() the result).
  bool Try(proto::Schedule& candidate, Key* key = nullptr) {
    if (!ValidateScenario(candidate.scenario()).ok()) return false;
    const std::string bytes = candidate.SerializeAsString();
    auto it = memo_.find(bytes);
    if (it == memo_.end()) {
      if (!budget_left()) return false;
      const RunResult r = Explore(candidate);
      Memo m;
      m.ok = r.violation && ViolationSignature(*r.violation) == signature_;
      if (m.ok) {
        for (const CanonicalDecision& d : r.tape) m.tape.push_back(d.value);
        while (!m.tape.empty() && m.tape.back() == 0) m.tape.pop_back();
        m.preemptions = r.preemptions;
      }
      it = memo_.emplace(bytes, m).first;
    }
    if (!it->second.ok) return false;
    SetRawTape(it->second.tape, &candidate);
    if (key != nullptr) *key = KeyOf(candidate, it->second.preemptions);
    return true;
  }

 private:
  struct Memo {
    bool ok = false;
    std::vector<uint32_t> tape;
    uint32_t preemptions = 0;
  };
  std::string signature_;
  MinimizeOptions options_;
  int runs_ = 0;
  absl::flat_hash_map<std::string, Memo> memo_;  // lookup only; never iterated
};

// Tries `mutate` on a copy of `best`; keeps it when it reproduces with a smaller key.
template <typename F>
bool Attempt(Minimizer& m, proto::Schedule& best, F&& mutate) {
  proto::Schedule candidate = best;
  if (!mutate(candidate)) return false;
  Key before, after;
  proto::Schedule current = best;
  if (!m.Try(current, &before) || !m.Try(candidate, &after) || !(after < before)) return false;
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
  const int current = static_cast<int>(std::count_if(best.raw_tape().begin(), best.raw_tape().end(),
                                                     [](uint32_t v) { return v != 0; }));
  SimOptions options;
  options.trace_hash = false;
  options.state_digest = false;
  // At most half of what is left of the budget: the local passes still get their turn.
  const int stop_at = m.runs() + std::max(1, m.runs_left() / 2);
  for (int k = 0; k < std::min(current, kMaxDeviationBound + 1) && m.runs() < stop_at; ++k) {
    std::vector<uint32_t> found;
    bool ok = false;
    ExploreWithinDeviations(
        best.scenario(), k, options, [&](const std::vector<uint32_t>& prefix, const RunResult& r) {
          m.CountRun();
          if (r.violation && ViolationSignature(*r.violation) == m.signature()) {
            found = prefix;
            ok = true;
          }
          return !ok && m.runs() < stop_at;
        });
    if (ok) {
      return Attempt(m, best, [&](proto::Schedule& c) {
        SetRawTape(found, &c);
        return true;
      });
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
  // Every pass keeps only candidates with a smaller key (preemptions first, then the scenario,
  // then the tape): the cheap local passes, then a bounded search for fewer deviations, again
  // until nothing changes.
  for (int round = 0; round < 20 && m.budget_left(); ++round) {
    bool changed = TapePasses(m, best);
    changed |= ScenarioPasses(m, best);
    changed |= FewestDeviationsPass(m, best);
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

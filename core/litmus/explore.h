// ExploreLitmus: runs a litmus test under every schedule the engine can produce and reports
// herd's verdict on its final condition.
//
// Search. A stateless depth-first search over Decider answers (Shuttle's and Loom's DFS): a run
// replays a prefix of answers and answers 0 past it, recording every decision (which CPU or
// store-buffer agent steps, which store a load reads); the next run takes the deepest decision
// with an untried option, tries the next option and drops everything after it. Every run is one
// complete execution, and every sequence of answers is visited once, so the counts are exact
// (two executions with the same final state count twice). The search stops after
// `ExploreOptions::budget` executions and then says so.
//
// Verdict (herd7's Observation line): for `exists P`, `~exists P` and `forall P` alike, the verdict
// is about P: Never (no execution satisfies P), Always (every one does), Sometimes. `~exists P`
// passes when P is Never, `forall P` when P is Always; printing the verdict on P, as herd does,
// keeps one meaning for the kernel's `Result:` line whatever the quantifier. The witness is an
// execution satisfying P for `exists` and `~exists` (for `~exists`, the counterexample), and one
// violating P for `forall` (its counterexample).
//
// Which executions count: those that end cleanly, pass the `filter`, and in which no thread
// dereferenced a register that does not hold a variable's address. A run that ends otherwise
// (a step bound, a violation: neither should happen without loops) is counted apart and
// reported, never silently folded into the verdict.
//
// Unsupported. The SC and TSO models are exact for the modelled subset; the relaxed model is an
// operational under-approximation of the LKMM (core/relaxed_memory.h) and cannot produce some
// outcomes the LKMM allows. When its answer is not Sometimes and the test has a shape whose
// missing outcomes could change that answer, the verdict is Unsupported with the reason, rather
// than a Never or Always that may be wrong (UnsupportedReasons below). Plain accesses and
// spinlocks are unsupported under every model.
#ifndef PTFUZZ_CORE_LITMUS_EXPLORE_H_
#define PTFUZZ_CORE_LITMUS_EXPLORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/decider.h"
#include "core/litmus/litmus.h"
#include "core/world.h"

namespace ptfuzz {

// One execution of a litmus test and its final state.
struct LitmusRun {
  RunResult run;
  std::vector<std::vector<uint64_t>> regs;  // [thread][register], initial values if unfinished
  std::vector<uint64_t> vars;               // final values (ground truth after the run)
  std::string fault;                        // a bad dereference, or empty
  bool counted = false;                     // clean, no fault, passes the filter
  bool holds = false;                       // the condition's proposition P
};

// Runs `test` once under `model`, every choice answered by `decider`.
LitmusRun RunLitmus(const LitmusTest& test, MemoryModelKind model, Decider& decider,
                    bool record_trace);

enum class LitmusVerdict : uint8_t { kNever, kSometimes, kAlways, kUnsupported, kIncomplete };
absl::string_view LitmusVerdictName(LitmusVerdict v);

struct ExploreOptions {
  MemoryModelKind model = MemoryModelKind::kRelaxed;
  // Executions to try before giving up. A million takes about 20 s in a Release build (about
  // 50000 executions a second for four threads); the tests in tests/litmus need at most 25000.
  uint64_t budget = 1000000;
};

struct ExploreResult {
  LitmusVerdict verdict = LitmusVerdict::kNever;
  // What the explored executions say about P, before any Unsupported override; absent when the
  // budget ran out before both a satisfying and a violating execution were seen.
  std::optional<LitmusResult> explored;
  std::vector<std::string> unsupported;  // the reasons; non-empty iff verdict == kUnsupported
  bool complete = true;                  // every execution was explored
  uint64_t runs = 0;                     // executions explored
  uint64_t counted = 0;                  // ... that count (see above)
  uint64_t satisfied = 0;                // ... of which satisfy P
  uint64_t filtered = 0;                 // clean runs the filter removed
  uint64_t not_clean = 0;                // runs ending in a step bound or violation
  uint64_t faulted = 0;                  // runs where a thread dereferenced a non-address
  std::string first_problem;             // the first not-clean or faulted run, described
  std::optional<std::vector<uint32_t>> witness;  // answers replaying the witness (header)
};

// kInternal if the engine is nondeterministic (a replayed prefix offered different choices).
absl::StatusOr<ExploreResult> ExploreLitmus(const LitmusTest& test, const ExploreOptions& options);

// Why the engine's answer `explored` under `model` may not be the LKMM's (empty: it is).
//  (a) relaxed, not Sometimes, and some thread has a load followed in program order by a store
//      to another variable that is not ordered after it: no acquire on the load, no release on
//      the store, no strong fence or fully ordered RMW between them, and no data, address or
//      control dependency.
//      The LKMM allows such a load to read a store that comes later in another CPU's program
//      order (load buffering), which needs speculation this model does not do.
//  (b) relaxed, not Sometimes, and some thread stores to x and then to y with no strong fence or
//      fully ordered RMW between, both x and y are written by another thread too, and the
//      condition constrains the final value of x or y. Coherence order is execution order here,
//      so outcomes that need a store to be coherence-earlier than one that executed before it
//      (the 2+2W shape) are not produced. smp_wmb and release stores do not help: the LKMM
//      forbids 2+2W only with strong fences (its pb relation); with smp_wmb it is allowed.
//  (c) any model: plain accesses or spinlocks (from the parser).
//  (d) any model, not Sometimes: smp_mb__before_atomic not immediately followed by an atomic
//      RMW, or smp_mb__after_atomic not immediately preceded by one. The engine makes both full
//      barriers where they stand; the LKMM orders only across the RMW they bracket.
// Stores through pointer registers are left out of (b): their variable is not known statically.
std::vector<std::string> UnsupportedReasons(const LitmusTest& test, MemoryModelKind model,
                                            LitmusResult explored);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_LITMUS_EXPLORE_H_

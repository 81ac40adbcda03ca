// Decider: the single source of every nondeterministic choice in a run (STYLE.md 2.1).
//
// The simulator asks `Decide(kind, num_options)` whenever it has more than one way to continue:
// which runnable CPU or agent steps next, which free frame the allocator hands out, and, under
// the relaxed memory model, which store a load reads. The caller lists its options in a
// deterministic, documented order (docs/schedule-format.md) with option 0 the default (no context
// switch, the hottest frame), so "answer 0 forever" is the default policy that finishes any run.
//
// The tape is the list of answers. Two deciders implement this interface:
//  - TapeDecider (core/tape_decider.h) interprets a raw tape modulo num_options, as the fuzzer
//    does; it never fails.
//  - StrictDecider (core/strict_decider.h) replays a canonical tape and records the first
//    divergence (wrong kind, wrong option count, tape too short or too long).
// The World records the canonical tape of every run itself, whatever the decider.
#ifndef PTFUZZ_CORE_DECIDER_H_
#define PTFUZZ_CORE_DECIDER_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace ptfuzz {

// Values equal proto::DecisionKind (proto/schedule.proto); both are part of the format.
enum class DecisionKind : uint8_t {
  kSchedule = 1,
  kAllocFrame = 2,
  kReadsFrom = 3,
};

inline constexpr absl::string_view DecisionKindName(DecisionKind kind) {
  switch (kind) {
    case DecisionKind::kSchedule:
      return "schedule";
    case DecisionKind::kAllocFrame:
      return "alloc_frame";
    case DecisionKind::kReadsFrom:
      return "reads_from";
  }
  return "?";
}

class Decider {
 public:
  virtual ~Decider() = default;
  // REQUIRES: num_options >= 2 (a choice with one option is never asked).
  // ENSURES: result < num_options.
  virtual uint32_t Decide(DecisionKind kind, uint32_t num_options) = 0;
  // OK, or the first divergence of a strict replay. Once not OK, the run stops at the next step.
  virtual absl::Status status() const { return absl::OkStatus(); }
  // Called once when the run ends, however it ends: a strict decider reports unused answers.
  virtual absl::Status Finish() { return status(); }
  // Whether the decider wants to know who the options of each schedule choice are (a
  // priority-based scheduler does); asked once per run.
  virtual bool WantsScheduleOptions() const { return false; }
  // With WantsScheduleOptions(): called just before each Decide(kSchedule, ids.size()) with the
  // runner each option stands for (a CPU id, or kAgentRunnerBase + an agent's index), option 0
  // first, and what each would do if chosen: AccessKey() of its pending shared access, 0 when it
  // is none the World can name (an interrupt, a lock, an agent's step). Ids are stable for the
  // whole run.
  static constexpr uint32_t kAgentRunnerBase = 1u << 16;
  virtual void OnScheduleOptions(absl::Span<const uint32_t> ids,
                                 absl::Span<const uint64_t> accesses) {
    static_cast<void>(ids);
    static_cast<void>(accesses);
  }
  // A pending access as OnScheduleOptions() names it: the location (a Loc, core/mem_order.h)
  // hashed into the upper bits, bit 0 set for a write. Two accesses race when their locations
  // are equal and either writes: AccessesRace().
  static constexpr uint64_t AccessKey(uint64_t loc, bool write) {
    uint64_t z = loc + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return ((z | 2) & ~uint64_t{1}) | (write ? 1 : 0);  // never 0
  }
  static constexpr bool AccessesRace(uint64_t a, uint64_t b) {
    return a != 0 && b != 0 && (a >> 1) == (b >> 1) && ((a | b) & 1) != 0;
  }
};

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_DECIDER_H_

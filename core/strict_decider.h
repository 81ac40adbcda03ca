// StrictDecider: replays a canonical tape and refuses to adapt (STYLE.md 2.3, rr's TraceStream).
//
// Every answer must be asked with the kind and option count recorded beside it, must be in range,
// and the run must use the tape exactly. The first mismatch is recorded (step = index of the
// decision, what the tape expected, what the simulator asked) and the decider answers 0 from then
// on; the World stops the run at its next step and reports the divergence instead of a verdict.
#ifndef PTFUZZ_CORE_STRICT_DECIDER_H_
#define PTFUZZ_CORE_STRICT_DECIDER_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "core/decider.h"

namespace ptfuzz {

struct CanonicalDecision {
  DecisionKind kind;
  uint32_t num_options;
  uint32_t value;
  friend bool operator==(const CanonicalDecision&, const CanonicalDecision&) = default;
};

class StrictDecider final : public Decider {
 public:
  explicit StrictDecider(std::vector<CanonicalDecision> tape) : tape_(std::move(tape)) {}
  uint32_t Decide(DecisionKind kind, uint32_t num_options) override;
  absl::Status status() const override { return status_; }
  absl::Status Finish() override;

 private:
  void Diverge(std::string message);

  std::vector<CanonicalDecision> tape_;
  size_t next_ = 0;
  absl::Status status_;
};

// RebaseDecider: replays a canonical tape recorded before a model change added decisions (a new
// yield point, a load that now has several stores to read from): a recorded answer is used when
// the simulator asks a choice of the same kind (clamped to the options it has now), any other
// choice is answered 0, the default, without consuming the tape; when the tape runs out every
// answer is 0. It never fails. `ptfuzz replay --rebase` saves what such a run did as a fresh
// canonical schedule, whose verdict the caller then checks against the old one.
class RebaseDecider final : public Decider {
 public:
  explicit RebaseDecider(std::vector<CanonicalDecision> tape) : tape_(std::move(tape)) {}
  uint32_t Decide(DecisionKind kind, uint32_t num_options) override;

 private:
  std::vector<CanonicalDecision> tape_;
  size_t next_ = 0;
};

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_STRICT_DECIDER_H_

// TapeDecider: interprets a raw tape the way the fuzzer does (STYLE.md 2.3).
//
// Answer i is tape[i] % num_options; when the tape is exhausted every further answer is 0, the
// default policy. Every tape is therefore valid, and a raw crash file from libFuzzer replays
// exactly as the fuzzer ran it. The tape is borrowed, not copied: it must outlive the decider.
#ifndef PTFUZZ_CORE_TAPE_DECIDER_H_
#define PTFUZZ_CORE_TAPE_DECIDER_H_

#include <cstdint>

#include "absl/types/span.h"
#include "core/decider.h"

namespace ptfuzz {

class TapeDecider final : public Decider {
 public:
  explicit TapeDecider(absl::Span<const uint32_t> tape) : tape_(tape) {}
  uint32_t Decide(DecisionKind kind, uint32_t num_options) override;
  // How many answers were taken from the tape (the rest were defaults).
  size_t consumed() const { return next_; }

 private:
  absl::Span<const uint32_t> tape_;
  size_t next_ = 0;
};

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_TAPE_DECIDER_H_

#include "core/strict_decider.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace ptfuzz {

void StrictDecider::Diverge(std::string message) {
  if (status_.ok()) status_ = absl::FailedPreconditionError(std::move(message));
}

uint32_t StrictDecider::Decide(DecisionKind kind, uint32_t num_options) {
  if (!status_.ok()) return 0;
  const size_t i = next_++;
  if (i >= tape_.size()) {
    Diverge(absl::StrCat("replay diverged at decision ", i, ": the tape has only ", tape_.size(),
                         " answers, but the simulator asked for a ", DecisionKindName(kind),
                         " choice among ", num_options, " options"));
    return 0;
  }
  const CanonicalDecision& want = tape_[i];
  if (want.kind != kind || want.num_options != num_options) {
    Diverge(absl::StrCat("replay diverged at decision ", i, ": expected ",
                         DecisionKindName(want.kind), " with ", want.num_options,
                         " options, found ", DecisionKindName(kind), " with ", num_options,
                         " options"));
    return 0;
  }
  if (want.value >= num_options) {
    Diverge(absl::StrCat("replay diverged at decision ", i, ": answer ", want.value,
                         " is out of range for ", num_options, " options"));
    return 0;
  }
  return want.value;
}

absl::Status StrictDecider::Finish() {
  if (status_.ok() && next_ != tape_.size()) {
    Diverge(absl::StrCat("replay diverged: the run ended after ", next_, " decisions but the tape has ",
                         tape_.size(), " (", tape_.size() - next_, " left over)"));
  }
  return status_;
}

uint32_t RebaseDecider::Decide(DecisionKind kind, uint32_t num_options) {
  if (next_ >= tape_.size() || tape_[next_].kind != kind) return 0;
  const uint32_t value = tape_[next_++].value;
  return value < num_options ? value : num_options - 1;
}

}  // namespace ptfuzz

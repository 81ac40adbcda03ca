#include "core/tape_decider.h"

#include "core/check.h"

namespace ptfuzz {

uint32_t TapeDecider::Decide(DecisionKind /*kind*/, uint32_t num_options) {
  PTFUZZ_DCHECK(num_options >= 2);
  if (next_ >= tape_.size()) return 0;
  return tape_[next_++] % num_options;
}

}  // namespace ptfuzz

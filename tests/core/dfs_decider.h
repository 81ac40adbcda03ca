// A Decider for exhaustive tests: replays a prefix, answers 0 past it, and enumerates the whole
// decision tree in DFS order (Next). Used where a program's tree is small enough to run every
// execution.
#ifndef PTFUZZ_TESTS_CORE_DFS_DECIDER_H_
#define PTFUZZ_TESTS_CORE_DFS_DECIDER_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "core/decider.h"

namespace ptfuzz::testing {

class DfsDecider final : public Decider {
 public:
  explicit DfsDecider(std::vector<uint32_t> prefix) : prefix_(std::move(prefix)) {}
  uint32_t Decide(DecisionKind, uint32_t num_options) override {
    const uint32_t answer = taken_.size() < prefix_.size() ? prefix_[taken_.size()] : 0;
    taken_.push_back(answer);
    options_.push_back(num_options);
    return answer;
  }
  // The next tape in DFS order, or false when the tree is exhausted.
  bool Next(std::vector<uint32_t>* next) const {
    for (size_t i = taken_.size(); i > 0; --i) {
      if (taken_[i - 1] + 1 < options_[i - 1]) {
        next->assign(taken_.begin(), taken_.begin() + static_cast<long>(i - 1));
        next->push_back(taken_[i - 1] + 1);
        return true;
      }
    }
    return false;
  }

 private:
  std::vector<uint32_t> prefix_;
  std::vector<uint32_t> taken_;
  std::vector<uint32_t> options_;
};

}  // namespace ptfuzz::testing

#endif  // PTFUZZ_TESTS_CORE_DFS_DECIDER_H_

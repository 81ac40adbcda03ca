// StoreBuffer: one CPU's FIFO store buffer under the TSO model (x86; docs/memory-models.md).
//
// A store enters the buffer and becomes visible to other CPUs only when it drains to memory, in
// FIFO order. The CPU's own loads forward from its newest buffered store to the same location.
// When a buffered store drains is a scheduling decision: each CPU's buffer is an agent
// (core/agent.h) that is runnable while the buffer is non-empty, and one drain is one step.
// Locked RMWs, smp_mb() (mfence), taking an interrupt, sending an IPI, TLB flushes and returning
// to user mode (iret/sysret serialize) wait until the buffer is empty (core/world.cc).
//
// Not guaranteed: no bound on the buffer's length (a real one holds ~50 stores; the protocols
// here never buffer more than a handful).
#ifndef PTFUZZ_CORE_STORE_BUFFER_H_
#define PTFUZZ_CORE_STORE_BUFFER_H_

#include <cstdint>
#include <optional>

#include "absl/container/inlined_vector.h"
#include "core/mem_order.h"
#include "core/trace.h"

namespace ptfuzz {

struct BufferedStore {
  Loc loc;
  uint64_t value;
  PtLevel level;  // for PT-entry stores: the table level, for the trace and the oracles
  const FuncInfo* func;  // the kernel function that issued it (torn-entry reports)
};

class StoreBuffer {
 public:
  bool empty() const { return head_ == entries_.size(); }
  size_t size() const { return entries_.size() - head_; }
  void Push(Loc loc, uint64_t value, PtLevel level, const FuncInfo* func = nullptr) {
    if (head_ == entries_.size()) {
      entries_.clear();
      head_ = 0;
    }
    entries_.push_back({loc, value, level, func});
  }
  // Store-to-load forwarding: the newest buffered value of `loc`, if any.
  std::optional<uint64_t> Forward(Loc loc) const {
    for (size_t i = entries_.size(); i > head_; --i) {
      if (entries_[i - 1].loc == loc) return entries_[i - 1].value;
    }
    return std::nullopt;
  }
  // REQUIRES: !empty(). Removes and returns the oldest store.
  BufferedStore PopOldest() { return entries_[head_++]; }
  const BufferedStore& oldest() const { return entries_[head_]; }

 private:
  absl::InlinedVector<BufferedStore, 4> entries_;
  size_t head_ = 0;
};

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_STORE_BUFFER_H_

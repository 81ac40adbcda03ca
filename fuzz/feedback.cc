#include "fuzz/feedback.h"

#include "core/check.h"

namespace ptfuzz {

namespace {

bool IsWrite(OpKind op) {
  return op == OpKind::kStore || op == OpKind::kXchg || op == OpKind::kRefAdd ||
         op == OpKind::kRefPut || op == OpKind::kRefTryAdd ||
         op == OpKind::kAllocPage;
}

// The frame an operation touches, or -1.
int64_t TouchedFrame(const TraceEvent& e) {
  switch (e.op) {
    case OpKind::kLoad:
    case OpKind::kStore:
    case OpKind::kXchg:
      return AddrFrame(e.addr);
    case OpKind::kRefTryAdd:
    case OpKind::kRefAdd:
    case OpKind::kRefPut:
      return static_cast<int64_t>(e.addr);
    case OpKind::kAllocPage:
      return e.ok ? static_cast<int64_t>(e.new_value) : -1;
    default:
      return -1;
  }
}

}  // namespace

FeedbackObserver::FeedbackObserver(absl::Span<uint8_t> counters)
    : counters_(counters), mask_(counters.size() - 1) {
  PTFUZZ_CHECK(!counters.empty() && (counters.size() & mask_) == 0);
}

void FeedbackObserver::Hit(uint64_t feature) {
  uint8_t& c = counters_[feature & mask_];
  if (c != 0xff) ++c;
}

void FeedbackObserver::OnStep(const TraceEvent& e, uint64_t func_hash) {
  const uint64_t site = MixHash(func_hash, static_cast<uint64_t>(e.op));
  if (have_prev_ && e.cpu != prev_cpu_) Hit(MixHash(MixHash(1, prev_site_), site));
  prev_site_ = site;
  prev_cpu_ = e.cpu;
  have_prev_ = true;

  const int64_t frame = TouchedFrame(e);
  if (frame >= 0 && static_cast<size_t>(frame) < kTrackedFrames) {
    const uint32_t writer = last_write_cpu_[frame];
    if (writer != 0 && writer != e.cpu + 1) {
      Hit(MixHash(MixHash(2, last_write_site_[frame]), site));
    }
    if (IsWrite(e.op)) {
      last_write_site_[frame] = site;
      last_write_cpu_[frame] = e.cpu + 1;
    }
  }
  if (e.op == OpKind::kRefTryAdd || e.op == OpKind::kTlbFill || e.op == OpKind::kAllocPage) {
    Hit(MixHash(MixHash(3, site), e.ok));
  }
}

}  // namespace ptfuzz

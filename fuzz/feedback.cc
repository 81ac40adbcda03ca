#include "fuzz/feedback.h"

#include "core/check.h"

namespace ptfuzz {

namespace {

// A write other CPUs can see from this step on. A TSO store that went into its store buffer is
// not one yet: its drain (an agent's step) is.
bool IsWrite(const TraceEvent& e) {
  switch (e.op) {
    case OpKind::kStore:
      return e.via != TraceEvent::Via::kBuffered;
    case OpKind::kRmw:
      return e.ok;
    case OpKind::kXchg:
    case OpKind::kRefAdd:
    case OpKind::kRefPut:
    case OpKind::kRefTryAdd:
    case OpKind::kAllocPage:
    case OpKind::kDrain:
    case OpKind::kRcuCallback:
      return true;
    default:
      return false;
  }
}

// The frame of a location (core/mem_order.h): a page-table entry's table, a refcount's folio.
int64_t LocFrame(Loc loc) {
  switch (LocSpaceOf(loc)) {
    case LocSpace::kPtEntry:
    case LocSpace::kPtHalf:
      return AddrFrame(PtLocEntry(loc));
    case LocSpace::kRefcount:
    case LocSpace::kMapcount:
    case LocSpace::kAnonExclusive:
    case LocSpace::kCompoundHead:
    case LocSpace::kVmemmap:
    case LocSpace::kPageTail:
    case LocSpace::kDeferredList:
      return static_cast<int64_t>(LocPayload(loc));
    default: return -1;
  }
}

// The frame an operation touches, or -1.
int64_t TouchedFrame(const TraceEvent& e) {
  switch (e.op) {
    case OpKind::kLoad:
    case OpKind::kStore:
    case OpKind::kXchg:
    case OpKind::kRmw:
    case OpKind::kDrain:
      return LocFrame(e.addr);
    case OpKind::kRefTryAdd:
    case OpKind::kRefAdd:
    case OpKind::kRefPut:
    case OpKind::kRcuCallback:
    case OpKind::kCallRcu:
      return static_cast<int64_t>(e.addr);
    case OpKind::kAllocPage:
      return e.ok ? static_cast<int64_t>(e.new_value) : -1;
    default:
      return -1;
  }
}

}  // namespace

FeedbackObserver::FeedbackObserver(absl::Span<uint8_t> counters, uint32_t own_cpus)
    : counters_(counters), mask_(counters.size() - 1), own_cpus_(own_cpus) {
  PTFUZZ_CHECK(!counters.empty() && (counters.size() & mask_) == 0);
}

void FeedbackObserver::Hit(uint64_t feature) {
  uint8_t& c = counters_[feature & mask_];
  if (c != 0xff) ++c;
}

void FeedbackObserver::OnStep(const TraceEvent& e, uint64_t func_hash) {
  const uint64_t site = MixHash(func_hash, static_cast<uint64_t>(e.op));
  const bool own = e.cpu < own_cpus_;
  if (have_prev_ && e.cpu != prev_cpu_ && own && prev_cpu_ < own_cpus_) {
    Hit(MixHash(MixHash(1, prev_site_), site));
  }
  prev_site_ = site;
  prev_cpu_ = e.cpu;
  have_prev_ = true;

  const int64_t frame = TouchedFrame(e);
  if (frame >= 0 && static_cast<size_t>(frame) < kTrackedFrames) {
    const uint32_t writer = last_write_cpu_[frame];
    if (writer != 0 && writer != e.cpu + 1 && own) {
      // A background writer counts as one: which of its steps wrote last is its own business.
      Hit(MixHash(MixHash(2, writer - 1 < own_cpus_ ? last_write_site_[frame] : 5), site));
    }
    if (IsWrite(e)) {
      last_write_site_[frame] = site;
      last_write_cpu_[frame] = e.cpu + 1;
    }
  }
  if (!own) return;
  if (e.op == OpKind::kRefTryAdd || e.op == OpKind::kTlbFill || e.op == OpKind::kAllocPage) {
    Hit(MixHash(MixHash(3, site), e.ok));
  }
  // Weak-memory behaviour at this site: a load that read a stale store (how stale), one served
  // by its own store buffer, a store that waited in the buffer.
  if (e.via != TraceEvent::Via::kMemory) {
    Hit(MixHash(MixHash(4, site), (static_cast<uint64_t>(e.via) << 8) | e.newer));
  }
}

}  // namespace ptfuzz

#include "core/trace.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/str_format.h"

namespace ptfuzz {

absl::string_view OpKindName(OpKind op) {
  switch (op) {
    case OpKind::kLoad: return "load";
    case OpKind::kStore: return "store";
    case OpKind::kXchg: return "xchg";
    case OpKind::kRefTryAdd: return "ref_try_add";
    case OpKind::kRefAdd: return "ref_add";
    case OpKind::kRefPut: return "ref_put";
    case OpKind::kIrqDisable: return "irq_disable";
    case OpKind::kIrqEnable: return "irq_enable";
    case OpKind::kSpinLock: return "spin_lock";
    case OpKind::kSpinUnlock: return "spin_unlock";
    case OpKind::kIpiSend: return "ipi_send";
    case OpKind::kIpiWait: return "ipi_wait";
    case OpKind::kIpiHandle: return "ipi_handle";
    case OpKind::kTlbFlushLocal: return "tlb_flush_local";
    case OpKind::kTlbFlushBroadcast: return "tlb_flush_broadcast";
    case OpKind::kAllocPage: return "alloc_page";
    case OpKind::kTlbFill: return "tlb_fill";
    case OpKind::kRmw: return "rmw";
    case OpKind::kFence: return "fence";
    case OpKind::kDrain: return "drain";
    case OpKind::kWaitChange: return "wait_change";
    case OpKind::kCallRcu: return "call_rcu";
    case OpKind::kRcuCallback: return "rcu_callback";
    case OpKind::kHwWalk:
      return "hw_walk";
    case OpKind::kSynchronizeRcu:
      return "synchronize_rcu";
  }
  return "?";
}

namespace {

// A location as the timeline names it: pte[f3:0], refcount(f4), ptl(f3), x1.
std::string LocName(const TraceEvent& e) {
  const uint64_t payload = LocPayload(e.addr);
  switch (LocSpaceOf(e.addr)) {
    case LocSpace::kPtEntry:
      if (IsStackAddr(payload)) {
        // A walker's local read through a pointer, as the level it takes it for.
        return absl::StrFormat("%s[stack@cpu%u:%u]", PtLevelName(e.level),
                               AddrFrame(payload) - kStackFrameBase, AddrIndex(payload));
      }
      return absl::StrFormat("%s[f%u:%u]", PtLevelName(e.level), AddrFrame(payload),
                             AddrIndex(payload));
    case LocSpace::kPtHalf:
      return absl::StrFormat("%s[f%u:%u].%s", PtLevelName(e.level), AddrFrame(payload),
                             AddrIndex(payload), (payload & 4) != 0 ? "high" : "low");
    case LocSpace::kRefcount:
      return absl::StrFormat("refcount(f%u)", payload);
    case LocSpace::kLock:
      if (payload == 0xffffffffull) return "mm->page_table_lock";
      if (payload == 0xfffffffeull) return "zone->lock";
      if (payload == 0xfffffffdull) return "vma->vm_lock";
      if (payload == 0xfffffffcull) return "mm->mmap_lock";
      if (payload == 0xfffffffbull) return "mapping->i_mmap_rwsem";
      if (payload == 0xfffffffaull) return "ds_queue->split_queue_lock";
      return absl::StrFormat("ptl(f%u)", payload);
    case LocSpace::kVar:
      return absl::StrFormat("var%u", payload);
    case LocSpace::kMapcount:
      return absl::StrFormat("mapcount(f%u)", payload);
    case LocSpace::kAnonExclusive:
      return absl::StrFormat("anon_exclusive(f%u)", payload);
    case LocSpace::kMmUsers:
      return "mm->mm_users";
    case LocSpace::kFolioMapping:
      return absl::StrFormat("folio(f%u)->mapping", payload);
    case LocSpace::kInode:
      return absl::StrFormat("inode%u->i_data.a_ops", payload);
    case LocSpace::kTlbFlushPending:
      return payload == 0 ? std::string("mm->tlb_flush_pending")
                          : absl::StrFormat("mm%u->tlb_flush_pending", payload);
    case LocSpace::kWriteProtectSeq:
      return payload == 0 ? std::string("mm->write_protect_seq")
                          : absl::StrFormat("mm%u->write_protect_seq", payload);
    case LocSpace::kCompoundHead:
      return absl::StrFormat("page(f%u)->compound_head", payload);
    case LocSpace::kDeferredList:
      return absl::StrFormat("folio(f%u)->_deferred_list (0 none, 1 split queue, 2 scanner's list)",
                             payload);
    case LocSpace::kPageTail:
      return absl::StrFormat("PageTail(f%u)", payload);
    case LocSpace::kVmemmap:
      return absl::StrFormat("vmemmap pte of page(f%u) (1: read-only)", payload);
  }
  return "?";
}

// A flushed range as the timeline shows it: its first address, or "all" for the whole address
// space (flush_tlb_mm_range(.., TLB_FLUSH_ALL): a fullmm gather).
std::string FlushRangeName(uint64_t start, uint64_t end) {
  if (start == 0 && end >= kTaskSize) return "all";
  return absl::StrFormat("%#x", start);
}

// " (acquire)" for the access kinds that order; nothing for READ_ONCE / WRITE_ONCE / plain.
std::string OrderNote(const TraceEvent& e) {
  if (e.order == MemOrder::kOnce || e.order == MemOrder::kPlain) return "";
  return absl::StrCat(" (", MemOrderName(e.order), ")");
}

// How the memory model served the access.
std::string ViaNote(const TraceEvent& e) {
  switch (e.via) {
    case TraceEvent::Via::kMemory: return "";
    case TraceEvent::Via::kForwarded: return " [forwarded from this cpu's store buffer]";
    case TraceEvent::Via::kBuffered: return " [into the store buffer]";
    case TraceEvent::Via::kStale:
      return e.writer == 0xffffffffu
                 ? absl::StrFormat(" [stale: the initial value, %u newer store%s]", e.newer,
                                   e.newer == 1 ? "" : "s")
                 : absl::StrFormat(" [stale: cpu %u's store, %u newer store%s]", e.writer,
                                   e.newer, e.newer == 1 ? "" : "s");
  }
  return "";
}

}  // namespace

std::string DescribeOp(const TraceEvent& e) {
  const absl::string_view op = OpKindName(e.op);
  switch (e.op) {
    case OpKind::kLoad:
      return absl::StrFormat("%s %s = %#x%s%s", op, LocName(e), e.new_value, OrderNote(e),
                             ViaNote(e));
    case OpKind::kStore:
    case OpKind::kXchg:
      return absl::StrFormat("%s %s %#x -> %#x%s%s", op, LocName(e), e.old_value, e.new_value,
                             OrderNote(e), ViaNote(e));
    case OpKind::kRmw:
      return e.ok ? absl::StrFormat("%s %s %#x -> %#x%s", op, LocName(e), e.old_value,
                                    e.new_value, OrderNote(e))
                  : absl::StrFormat("%s %s = %#x: fails, unordered", op, LocName(e), e.old_value);
    case OpKind::kFence:
      return std::string(FenceKindName(e.fence));
    case OpKind::kWaitChange:
      return absl::StrFormat("%s: what the failed pass read has changed (%s was %#x), retry", op,
                             LocName(e), e.old_value);
    case OpKind::kDrain:
      return absl::StrFormat("%s %s %#x -> %#x (now visible to every cpu)", op, LocName(e),
                             e.old_value, e.new_value);
    case OpKind::kRefTryAdd:
      return e.ok ? absl::StrFormat("%s refcount(f%u) %d -> %d", op, e.addr,
                                    static_cast<int64_t>(e.old_value),
                                    static_cast<int64_t>(e.new_value))
                  : absl::StrFormat("%s refcount(f%u) is 0: fails", op, e.addr);
    case OpKind::kRefAdd:
    case OpKind::kRefPut:
      return absl::StrFormat("%s refcount(f%u) %d -> %d%s", op, e.addr,
                             static_cast<int64_t>(e.old_value), static_cast<int64_t>(e.new_value),
                             e.op == OpKind::kRefPut && e.new_value == 0 ? " (frees it)" : "");
    case OpKind::kIrqDisable:
    case OpKind::kIrqEnable:
      return std::string(op);
    case OpKind::kCallRcu:
      if (LocSpaceOf(e.addr) == LocSpace::kInode) {
        return absl::StrFormat("%s: free inode%u after a grace period (i_callback)", op,
                               LocPayload(e.addr));
      }
      return absl::StrFormat("%s: free f%u after a grace period", op, e.addr);
    case OpKind::kRcuCallback:
      if (LocSpaceOf(e.addr) == LocSpace::kInode) {
        return absl::StrFormat(
            "%s (queued at step %u, every cpu since passed a quiescent state): i_callback() "
            "frees inode%u",
            op, static_cast<uint32_t>(e.old_value >> 32), LocPayload(e.addr));
      }
      return absl::StrFormat(
          "%s (queued at step %u, every cpu since passed a quiescent state): refcount(f%u) %d -> "
          "%d%s",
          op, static_cast<uint32_t>(e.old_value >> 32), e.addr,
          static_cast<int64_t>(e.old_value & 0xffffffffu), static_cast<int64_t>(e.new_value),
          e.new_value == 0 ? " (frees it)" : "");
    case OpKind::kSpinLock:
    case OpKind::kSpinUnlock:
      return absl::StrCat(op, " ", LocName(e), ViaNote(e));
    case OpKind::kSynchronizeRcu:
      return absl::StrFormat("%s (called at step %u): every cpu has since passed a quiescent state",
                             op, static_cast<uint32_t>(e.old_value));
    case OpKind::kHwWalk:
      if (e.new_value == kNoFrame) return absl::StrFormat("%s %#x: not present", op, e.addr);
      return absl::StrFormat(
          "%s %#x: %s pte table f%u%s", op, e.addr,
          e.ok ? "paging-structure cache hit," : "walked from the pgd, cached", e.old_value,
          e.new_value == kNoFrame - 1 ? ", pte none"
                                      : absl::StrFormat(", tlb -> f%u", e.new_value).c_str());
    case OpKind::kIpiSend:
      // new_value .. old_value: the range flushed; none for tlb_remove_table_sync_one().
      if (e.new_value == 0 && e.old_value == 0) {
        return absl::StrFormat("%s to cpus %#x (no flush: wait for each)", op, e.addr);
      }
      return absl::StrFormat("%s to cpus %#x (flush %s)", op, e.addr,
                             FlushRangeName(e.new_value, e.old_value));
    case OpKind::kIpiWait:
      return absl::StrFormat("%s: all acknowledged", op);
    case OpKind::kIpiHandle:
      return absl::StrFormat("%s from cpus %#x: flushed %u entries", op, e.addr, e.new_value);
    case OpKind::kTlbFlushLocal:
    case OpKind::kTlbFlushBroadcast:
      return absl::StrFormat("%s %s: dropped %u entries", op, FlushRangeName(e.addr, e.old_value),
                             e.new_value);
    case OpKind::kAllocPage:
      return e.ok ? absl::StrFormat("%s -> f%u (generation %u)", op, e.new_value, e.old_value)
                  : absl::StrFormat("%s -> none free", op);
    case OpKind::kTlbFill:
      return e.ok ? absl::StrFormat("%s %#x -> f%u", op, e.addr, e.new_value)
                  : absl::StrFormat("%s %#x: not present", op, e.addr);
  }
  return std::string(op);
}

}  // namespace ptfuzz

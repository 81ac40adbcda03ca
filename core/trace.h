// The run's trace: one event per scheduler step, and the hash that summarizes it.
//
// Every step executes exactly one shared operation (OpKind) on one CPU, attributed to the kernel
// function running there (FuncInfo, set by PTFUZZ_KERNEL_FUNC in the protocol files). The trace
// hash mixes (cpu, function, op, address, values) of every step and every decision, so two runs
// with equal hashes executed the same interleaving. It depends on no pointer value: functions
// contribute the hash of their name, computed at compile time.
//
// Events are only stored when SimOptions::record_trace is set (replay, tests); the hash is always
// kept, at the cost of a few multiplications per step.
#ifndef PTFUZZ_CORE_TRACE_H_
#define PTFUZZ_CORE_TRACE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include "absl/strings/string_view.h"

#include "core/mem_order.h"
#include "core/pte.h"

namespace ptfuzz {

enum class OpKind : uint8_t {
  kLoad,               // a load of a location: READ_ONCE of a page-table entry, a litmus variable
  kStore,              // a store: WRITE_ONCE / set_pte_at of an entry, a litmus variable
  kXchg,               // ptep_get_and_clear: atomic exchange of an entry
  kRefTryAdd,          // folio_ref_try_add_rcu / folio_try_get: add unless zero
  kRefAdd,             // folio_ref_add: unconditional add
  kRefPut,             // folio_put / put_page_testzero: frees the page (data or table) at zero
  kIrqDisable,         // local_irq_save
  kIrqEnable,          // local_irq_restore
  kSpinLock,           // spin_lock (blocks while another CPU holds it)
  kSpinUnlock,         // spin_unlock
  kIpiSend,            // smp_call_function_many: raise the flush IPI on every other CPU
  kIpiWait,            // ... and wait until each has handled it
  kIpiHandle,          // the interrupt handler on the target (flush_tlb_func)
  kTlbFlushLocal,      // flush_tlb_local / invlpg on this CPU
  kTlbFlushBroadcast,  // TLBI / INVLPGB: invalidate every CPU's TLB without interrupting it
  kAllocPage,          // alloc_page / pte_alloc_one: the allocator hands out a frame
  kTlbFill,            // the hardware walker fills this CPU's TLB on a user access
  kRmw,                // xchg / cmpxchg / atomic_add(_return) / atomic_add_unless on any location
  kFence,              // smp_mb and friends, when the memory model makes them a step
  kDrain,              // a TSO store buffer writes its oldest store to memory (an agent's step)
  kWaitChange,         // a retry loop's next pass, taken once the location it saw changes
  kCallRcu,            // call_rcu / pte_free_defer: a callback queued for after a grace period
  kRcuCallback,        // an RCU callback runs (an agent's step, after its grace period)
  kHwWalk,             // a speculative hardware page walk (an agent's step): fills the
                       // paging-structure cache and the TLB
  kSynchronizeRcu,     // synchronize_rcu: taken once every CPU has passed a quiescent state since
                       // the call (value: the step it was called at)
};

absl::string_view OpKindName(OpKind op);

// A simulated kernel function, for traces, reports and fuzzer feedback.
struct FuncInfo {
  const char* name;
  const char* file;  // the kernel source file it models
  uint64_t name_hash;
};

constexpr uint64_t HashName(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return h;
}

// Mixes `v` into `h` (the finalizer of splitmix64 applied to the xor). Deterministic everywhere.
constexpr uint64_t MixHash(uint64_t h, uint64_t v) {
  uint64_t x = h ^ (v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2));
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

struct TraceEvent {
  uint32_t step = 0;
  CpuId cpu = 0;
  int actor = -1;               // index in the scenario's actor list, -1 for none (IPI on idle)
  const FuncInfo* func = nullptr;
  OpKind op = OpKind::kLoad;
  uint64_t addr = 0;            // entry address, frame, lock id, vaddr or CPU mask (see op)
  uint64_t old_value = 0;
  uint64_t new_value = 0;
  PtLevel level = PtLevel::kPte;  // for entry operations
  bool ok = true;               // for conditional operations (try-add) and fills
  int agent = -1;               // the agent that took the step (core/agent.h), -1 for a CPU
  MemOrder order = MemOrder::kOnce;  // memory operations: the access kind
  FenceKind fence = FenceKind::kMb;  // kFence
  // How the memory model served a load or store (docs/memory-models.md).
  enum class Via : uint8_t { kMemory, kForwarded, kBuffered, kStale };
  Via via = Via::kMemory;
  uint32_t newer = 0;           // kStale: how many newer stores the load skipped
  CpuId writer = 0xffffffffu;   // kStale: which CPU's store it read (kInitWriter: the initial)
};

// One line of the human-readable timeline, without step/CPU/actor columns:
// e.g. "gup_fast_pte_range  load pte[f3:1]  = 0x5067".
std::string DescribeOp(const TraceEvent& e);

}  // namespace ptfuzz

// Declares the simulated kernel function the enclosing coroutine models, for the trace. Expands
// to a static constexpr FuncInfo and a scope that makes it the CPU's current function.
#define PTFUZZ_KERNEL_FUNC(cpu, name_literal, file_literal)                                  \
  static constexpr ::ptfuzz::FuncInfo kPtfuzzFunc{name_literal, file_literal,                \
                                                  ::ptfuzz::HashName(name_literal)};        \
  ::ptfuzz::FuncScope ptfuzz_func_scope_(cpu, &kPtfuzzFunc)

#endif  // PTFUZZ_CORE_TRACE_H_

// Cpu: one simulated CPU, and the awaitables through which kernel code touches shared state.
//
// Every shared operation a protocol performs is `co_await cpu.Op(...)` (STYLE.md 2.2): the
// awaitable records the operation as the CPU's pending op and suspends the whole simulated call
// stack. When the scheduler next picks this CPU, the coroutine resumes and the operation executes
// atomically inside `await_resume` (core/world.cc, ExecutePendingOp), followed by CPU-local code
// up to the next shared operation. One step = one shared operation. The scheduler uses the
// pending op to tell whether a CPU can run (a spin_lock held elsewhere, IPI acknowledgements
// outstanding).
//
// Interrupts: a CPU with a pending IPI and interrupts enabled takes the interrupt as its next step
// instead of running its code, as hardware does before the next instruction. A CPU with
// interrupts disabled keeps the IPI pending until local_irq_restore; this is what makes an
// interrupts-off section hold off an IPI-based TLB flush (kernel-mm.md section 1.1).
#ifndef PTFUZZ_CORE_CPU_H_
#define PTFUZZ_CORE_CPU_H_

#include <coroutine>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/check.h"

#include "core/mem_order.h"
#include "core/pte.h"
#include "core/task.h"
#include "core/tlb.h"
#include "core/trace.h"

namespace ptfuzz {

class World;
struct Cpu;

// Lock ids: split PTE locks are per PTE-table frame (ptlock_ptr(), include/linux/mm.h); every
// upper level shares mm->page_table_lock.
inline constexpr uint64_t kMmPageTableLock = 0xffffffffull;
// The page allocator's lock word. Under the relaxed model a free releases it and an allocation
// acquires it (core/world.cc FreeFrame, kAllocPage); no protocol takes it explicitly.
inline constexpr uint64_t kZoneLock = 0xfffffffeull;
// The VMA lock (vma_start_write() / lock_vma_under_rcu(), include/linux/mmap_lock.h): a sleeping
// lock, modelled exclusive (two readers exclude each other, which no scenario here needs), and,
// unlike a spinlock, not an RCU read-side section.
inline constexpr uint64_t kVmaLock = 0xfffffffdull;
// mm->mmap_lock: a sleeping rwsem, modelled exclusive like kVmaLock (mmap_write_trylock() is an
// acquire cmpxchg of its word; the unlock is SpinUnlock).
inline constexpr uint64_t kMmapLock = 0xfffffffcull;
// A file's mapping->i_mmap_rwsem (i_mmap_lock_write()): a sleeping rwsem, modelled exclusive.
inline constexpr uint64_t kIMmapLock = 0xfffffffbull;
// The deferred split queue's lock (ds_queue->split_queue_lock, mm/huge_memory.c): a spinlock.
inline constexpr uint64_t kSplitQueueLock = 0xfffffffaull;
// Whether holding `lock` disables preemption (a spinlock), which makes its holder an RCU reader.
inline constexpr bool LockDisablesPreemption(uint64_t lock) {
  return lock != kVmaLock && lock != kMmapLock && lock != kIMmapLock;
}

struct PendingOp {
  OpKind kind = OpKind::kLoad;
  uint64_t addr = 0;  // a Loc for memory operations (a PT entry's Loc is its PhysAddr)
  uint64_t value = 0;
  uint64_t value2 = 0;  // kRmw: the second operand (cmpxchg's new value, add_unless's limit)
  PtLevel level = PtLevel::kPte;
  MemOrder order = MemOrder::kOnce;
  RmwOp rmw = RmwOp::kXchg;
  FenceKind fence = FenceKind::kMb;
  Dep dep = kNoDep;
};

// Executes `cpu.pending` (defined in core/world.cc). Returns the op's result.
uint64_t ExecutePendingOp(World& world, Cpu& cpu);
// Whether a fence must be a scheduler step under the machine's memory model (core/world.cc): never
// under SC; under TSO only smp_mb with stores buffered; under the relaxed model smp_mb always.
bool FenceIsStep(const World& world, const Cpu& cpu, FenceKind fence);
// Applies a fence that is not a step (core/world.cc).
void ApplyLocalFence(World& world, Cpu& cpu, FenceKind fence);
// The dependency token of a value computed from two loaded values (relaxed model; CPU-local,
// not a step). kNoDep stands for no dependency.
Dep JoinDepTokens(World& world, const Cpu& cpu, Dep a, Dep b);

class [[nodiscard]] OpAwaiter {
 public:
  OpAwaiter(Cpu* cpu, PendingOp op) : cpu_(cpu), op_(op) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept;
  uint64_t await_resume();

 private:
  Cpu* cpu_;
  PendingOp op_;
};

// A load: returns the value and the token dependent loads pass on.
// A load of the CPU's own kernel stack (a walker's local, reached through a pointer: pte.h
// IsStackAddr) completes without suspending: no other CPU can touch it.
class [[nodiscard]] LoadAwaiter {
 public:
  LoadAwaiter(Cpu* cpu, PendingOp op) : cpu_(cpu), op_(op) {}
  bool await_ready() const noexcept {
    return LocSpaceOf(op_.addr) == LocSpace::kPtEntry && IsStackAddr(PtLocEntry(op_.addr));
  }
  void await_suspend(std::coroutine_handle<> h) noexcept;
  Loaded await_resume();

 private:
  Cpu* cpu_;
  PendingOp op_;
};

// World::StackLoad (core/world.cc).
uint64_t ExecuteStackLoad(World& world, Cpu& cpu, const PendingOp& op);

// A barrier. It touches no location, so it is a step only where the memory model gives it an
// effect other CPUs can tell apart from running it at the CPU's previous step (FenceIsStep);
// otherwise it applies at once, without yielding. Under SC it is free.
class [[nodiscard]] FenceAwaiter {
 public:
  FenceAwaiter(Cpu* cpu, FenceKind fence) : cpu_(cpu), fence_(fence) {}
  bool await_ready() noexcept;
  void await_suspend(std::coroutine_handle<> h) noexcept;
  void await_resume();

 private:
  Cpu* cpu_;
  FenceKind fence_;
  bool stepped_ = false;
};

struct Cpu {
  World* world = nullptr;
  CpuId id = 0;
  int actor = -1;  // index into the scenario's actors; -1: idle CPU
  // The mm its actor runs in (0: the run's mm; 1: another process's, World::pgd_of()). A TLB
  // flush IPI goes to the CPUs of the initiator's mm (mm_cpumask()); idle CPUs count as mm 0.
  uint32_t mm = 0;
  bool finished = true;
  bool irqs_disabled = false;
  // RCU read-side state (PREEMPT_RCU semantics: a reader is an rcu_read_lock() section, or code
  // with interrupts or preemption disabled, i.e. holding a spinlock): nesting depth of
  // rcu_read_lock(), spinlocks held, and the step at which the current read-side section began
  // (kNotReader when none; World::UpdateRcuReader).
  uint32_t rcu_depth = 0;
  uint32_t spinlocks_held = 0;
  static constexpr uint32_t kNotReader = 0xffffffffu;
  uint32_t reader_since = kNotReader;
  const FuncInfo* func = nullptr;  // the kernel function currently executing, for the trace
  std::coroutine_handle<> resume_point;
  PendingOp pending;
  // Bit s: CPU s raised a flush IPI here that this CPU has not handled yet.
  uint32_t ipi_pending_from = 0;
  // Bit t: CPU t has not yet handled the IPI this CPU sent.
  uint32_t ipi_waiting_on = 0;
  // The range this CPU's outstanding flush IPI asks the targets to invalidate.
  VirtAddr ipi_flush_start = 0;
  VirtAddr ipi_flush_end = 0;
  // The dependency token of the last load (relaxed model only; kNoDep otherwise).
  Dep last_dep = kNoDep;
  // After a load of a split entry's half: which store it read (World::SplitLoadSource).
  int32_t last_split_source = -1;
  // The pending WaitChange's locations and the values they were read as.
  std::vector<std::pair<Loc, uint64_t>> wait_set;
  // The machine runs SC: barriers are free and never asked about (the fast path).
  bool sc = true;
  Tlb tlb;
  Task<void> root;

  // Page-table entries. `level` is the level of the table the entry lives in (the
  // walker-reads-freed-table oracle checks it); `order` the kernel primitive (core/mem_order.h);
  // `dep` the load the entry's address was computed from.
  LoadAwaiter Load(PhysAddr entry, PtLevel level, MemOrder order = MemOrder::kOnce,
                   Dep dep = kNoDep) {
    return {this, {OpKind::kLoad, PtEntryLoc(entry), 0, 0, level, order, RmwOp::kXchg,
                   FenceKind::kMb, dep}};
  }
  OpAwaiter Store(PhysAddr entry, uint64_t v, PtLevel level, MemOrder order = MemOrder::kOnce) {
    return {this, {OpKind::kStore, PtEntryLoc(entry), v, 0, level, order}};
  }
  // ptep_get_and_clear() and friends: an atomic exchange, ordered as `order` says (x86 xchg is
  // fully ordered, arm64 uses xchg_relaxed).
  OpAwaiter Xchg(PhysAddr entry, uint64_t v, PtLevel level, MemOrder order) {
    return {this, {OpKind::kXchg, PtEntryLoc(entry), v, 0, level, order}};
  }
  // One 32-bit half of a split entry (x86-PAE pte_low / pte_high; World::SplitEntries).
  LoadAwaiter LoadHalf(PhysAddr entry, bool high, PtLevel level, MemOrder order, Dep dep = kNoDep) {
    return {this, {OpKind::kLoad, PtHalfLoc(entry, high), 0, 0, level, order, RmwOp::kXchg,
                   FenceKind::kMb, dep}};
  }
  OpAwaiter StoreHalf(PhysAddr entry, bool high, uint64_t v, PtLevel level, MemOrder order) {
    return {this, {OpKind::kStore, PtHalfLoc(entry, high), v, 0, level, order}};
  }
  // xchg() on one half (a locked, fully ordered exchange of the 32-bit word).
  OpAwaiter XchgHalf(PhysAddr entry, bool high, uint64_t v, PtLevel level) {
    return {this, {OpKind::kXchg, PtHalfLoc(entry, high), v, 0, level, MemOrder::kFull}};
  }
  // folio->_refcount of `frame`. RefTryAdd (atomic_add_unless(.., 0): fully ordered when it
  // succeeds) returns 1 on success, 0 when the count was 0. RefAdd is atomic_add (unordered).
  // RefPut (atomic_dec_and_test: fully ordered) returns 1 when it dropped the last reference and
  // freed the frame. RefRead is atomic_read (READ_ONCE).
  OpAwaiter RefTryAdd(FrameId frame, int n) {
    return {this, {OpKind::kRefTryAdd, frame, uint64_t(n), 0, PtLevel::kPte, MemOrder::kFull}};
  }
  OpAwaiter RefAdd(FrameId frame, int n) {
    return {this, {OpKind::kRefAdd, frame, uint64_t(n), 0, PtLevel::kPte, MemOrder::kRelaxed}};
  }
  OpAwaiter RefPut(FrameId frame, int n) {
    return {this, {OpKind::kRefPut, frame, uint64_t(n), 0, PtLevel::kPte, MemOrder::kFull}};
  }
  // Any other location (a folio's refcount or mapcount read, an RMW on a mapcount): `loc` from
  // core/mem_order.h. Refcount updates that may free the folio go through RefPut instead.
  LoadAwaiter LoadLoc(Loc loc, MemOrder order, Dep dep = kNoDep) {
    return {this,
            {OpKind::kLoad, loc, 0, 0, PtLevel::kPte, order, RmwOp::kXchg, FenceKind::kMb, dep}};
  }
  OpAwaiter RmwLoc(Loc loc, RmwOp op, uint64_t a, uint64_t b, MemOrder order) {
    return {this, {OpKind::kRmw, loc, a, b, PtLevel::kPte, order, op}};
  }
  // Plain shared variables (litmus tests): loads, stores and RMWs on VarLoc(index).
  LoadAwaiter VarLoad(uint32_t index, MemOrder order, Dep dep = kNoDep) {
    return {this, {OpKind::kLoad, VarLoc(index), 0, 0, PtLevel::kPte, order, RmwOp::kXchg,
                   FenceKind::kMb, dep}};
  }
  OpAwaiter VarStore(uint32_t index, uint64_t v, MemOrder order) {
    return {this, {OpKind::kStore, VarLoc(index), v, 0, PtLevel::kPte, order}};
  }
  // Returns the old value. kCmpxchg fails when old != a; kAddUnless fails when old == b. A
  // failed RMW is unordered whatever `order` says (as in the kernel).
  OpAwaiter VarRmw(uint32_t index, RmwOp op, uint64_t a, uint64_t b, MemOrder order) {
    return {this, {OpKind::kRmw, VarLoc(index), a, b, PtLevel::kPte, order, op}};
  }
  FenceAwaiter Fence(FenceKind fence) { return {this, fence}; }
  // A retry loop about to read again the locations its failed pass read, `seen` (location,
  // value read), in the same order: the CPU is not runnable until one of them could read another
  // value (memory holds another, or under the relaxed model another store is still readable).
  // Until then the pass would repeat exactly, so waiting loses no behaviour and keeps the default
  // schedule from spinning to the step bound.
  OpAwaiter WaitChange(std::vector<std::pair<Loc, uint64_t>> seen, PtLevel level) {
    PTFUZZ_CHECK(!seen.empty());
    wait_set = std::move(seen);
    return {this, {OpKind::kWaitChange, wait_set.front().first, wait_set.front().second, 0, level}};
  }
  OpAwaiter IrqDisable() { return {this, {OpKind::kIrqDisable}}; }
  OpAwaiter IrqEnable() { return {this, {OpKind::kIrqEnable}}; }
  // rcu_read_lock() / rcu_read_unlock(): CPU-local (a nesting count), not steps: they take
  // effect between this CPU's steps, exactly where the code has them (World::RcuReadLock).
  void RcuReadLock();
  void RcuReadUnlock();
  // call_rcu() of a callback that puts page-table page `table` (pte_free_defer(),
  // tlb_remove_table_rcu()): a list append on this CPU; the callback runs as this CPU's rcu
  // agent once every CPU has passed a quiescent state (World::RcuCallbackReady).
  OpAwaiter CallRcuFreeTable(FrameId table) { return {this, {OpKind::kCallRcu, table}}; }
  // destroy_inode()'s call_rcu(&inode->i_rcu, i_callback): the inode is freed after a grace
  // period.
  OpAwaiter CallRcuFreeInode(uint32_t inode) { return {this, {OpKind::kCallRcu, inode, 1}}; }
  // A store to any location (`loc` from core/mem_order.h): folio->mapping = NULL, an inode's
  // free.
  OpAwaiter StoreLoc(Loc loc, uint64_t v, MemOrder order) {
    return {this, {OpKind::kStore, loc, v, 0, PtLevel::kPte, order}};
  }
  // spin_lock (an acquire RMW on the lock word, waiting while it is held) / spin_unlock (a
  // release store). `lock` is a PTE-table frame (its split PTL) or kMmPageTableLock.
  OpAwaiter SpinLock(uint64_t lock) { return {this, {OpKind::kSpinLock, LockLoc(lock)}}; }
  OpAwaiter SpinUnlock(uint64_t lock) { return {this, {OpKind::kSpinUnlock, LockLoc(lock)}}; }
  // The same on a plain shared variable used as a spinlock (litmus tests): 0 is free, CPU c
  // holding it stores c + 1.
  OpAwaiter VarSpinLock(uint32_t index) { return {this, {OpKind::kSpinLock, VarLoc(index)}}; }
  OpAwaiter VarSpinUnlock(uint32_t index) { return {this, {OpKind::kSpinUnlock, VarLoc(index)}}; }
  // Raise the flush IPI for [start, end) on every other CPU; then wait for all of them.
  OpAwaiter IpiSend(VirtAddr start, VirtAddr end) { return {this, {OpKind::kIpiSend, start, end}}; }
  OpAwaiter IpiWait() { return {this, {OpKind::kIpiWait}}; }
  OpAwaiter TlbFlushLocal(VirtAddr start, VirtAddr end) {
    return {this, {OpKind::kTlbFlushLocal, start, end}};
  }
  OpAwaiter TlbFlushBroadcast(VirtAddr start, VirtAddr end) {
    return {this, {OpKind::kTlbFlushBroadcast, start, end}};
  }
  // Returns the frame, or kNoFrame when none is free. `table_level` < 0: a data page.
  // synchronize_rcu() (kernel/rcu/tree.c): returns once every other CPU has been outside an RCU
  // read-side section at some step since the call (World::Runnable); a full barrier.
  OpAwaiter SynchronizeRcu();
  // alloc_pages(order) of a compound page: a naturally aligned block of 2^order free frames,
  // which one a Decider answer; the head's refcount 1, each tail's 0 and the head's order set.
  // The tails' compound_head words are written by the caller's prep_compound_page()
  // (core/protocols/page_alloc.h). Returns the head, or kNoFrame when no block is free.
  OpAwaiter AllocFolio(uint32_t order) {
    return {this, {OpKind::kAllocPage, 0, ~uint64_t{0}, order}};
  }
  OpAwaiter AllocPage(int table_level) {
    return {this, {OpKind::kAllocPage, 0, static_cast<uint64_t>(static_cast<int64_t>(table_level))}};
  }
  // The hardware walker translates `vaddr` for a user access and fills this TLB; returns the
  // frame or kNoFrame when not present (the access would fault again).
  OpAwaiter TlbFill(VirtAddr vaddr) { return {this, {OpKind::kTlbFill, vaddr}}; }
};

inline void OpAwaiter::await_suspend(std::coroutine_handle<> h) noexcept {
  cpu_->resume_point = h;
  cpu_->pending = op_;
}

inline uint64_t OpAwaiter::await_resume() { return ExecutePendingOp(*cpu_->world, *cpu_); }

inline void LoadAwaiter::await_suspend(std::coroutine_handle<> h) noexcept {
  cpu_->resume_point = h;
  cpu_->pending = op_;
}

inline Loaded LoadAwaiter::await_resume() {
  if (await_ready()) {
    const uint64_t v = ExecuteStackLoad(*cpu_->world, *cpu_, op_);
    return Loaded{v, cpu_->last_dep};
  }
  const uint64_t v = ExecutePendingOp(*cpu_->world, *cpu_);
  return Loaded{v, cpu_->last_dep};
}

inline bool FenceAwaiter::await_ready() noexcept {
  if (cpu_->sc) return true;
  if (FenceIsStep(*cpu_->world, *cpu_, fence_)) return false;
  ApplyLocalFence(*cpu_->world, *cpu_, fence_);
  return true;
}

inline void FenceAwaiter::await_suspend(std::coroutine_handle<> h) noexcept {
  stepped_ = true;
  cpu_->resume_point = h;
  cpu_->pending = PendingOp{OpKind::kFence};
  cpu_->pending.fence = fence_;
}

inline void FenceAwaiter::await_resume() {
  if (stepped_) ExecutePendingOp(*cpu_->world, *cpu_);
}

// Makes `func` the CPU's current function for the lifetime of the enclosing coroutine frame.
// Calls nest strictly per CPU, so restoring the previous value on exit is correct.
class FuncScope {
 public:
  FuncScope(Cpu& cpu, const FuncInfo* func) : cpu_(cpu), saved_(cpu.func) { cpu.func = func; }
  ~FuncScope() { cpu_.func = saved_; }
  FuncScope(const FuncScope&) = delete;
  FuncScope& operator=(const FuncScope&) = delete;

 private:
  Cpu& cpu_;
  const FuncInfo* saved_;
};

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_CPU_H_

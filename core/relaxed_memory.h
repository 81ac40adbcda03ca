// RelaxedMemory: the LKMM-like relaxed model, operational, in the style of view-based models
// (C11Tester, Loom, the "promising" family without promises). docs/memory-models.md is the
// user-facing description; this is the implementer's.
//
// State.
//  - Per location, its stores in coherence order (`mo`), each with an absolute index (0 is the
//    value the location had when the model first saw it) and a *message view*: for every other
//    location, the index of the newest store a CPU that synchronizes with this store must see.
//    Coherence order is the order stores execute (append-only).
//  - Per CPU, four views (a view maps a location to a store index):
//      cur    the oldest store each of this CPU's loads may still read (coherence + ordering);
//      acq    everything this CPU has observed: its own stores, and the message views of the
//             stores it read; smp_rmb / smp_mb / an acquire fold it into `cur`;
//      own    this CPU's own stores; smp_wmb folds it into `fence`;
//      fence  the view every later store of this CPU carries (raised by smp_wmb and smp_mb).
//  - One machine-wide view `sc`: smp_mb (and fully ordered RMWs) publish `acq` into it and take
//    it back, so of two CPUs that each store then smp_mb then load, the later one sees the
//    earlier one's store (store buffering is forbidden with smp_mb on both sides).
//
// Operations.
//  - load of x: may read any store of x with index >= max(cur[x], dep[x]) that is still in the
//    bounded history; which one is a Decider answer (DecisionKind::kReadsFrom; option 0 is the
//    newest, so the default policy behaves like SC). `dep` is the message view of the load the
//    address came from (address dependency). Afterwards cur[x] >= the index read (CoRR), acq
//    joins the message view; an acquire load also joins it into cur.
//  - store of x: appended to x's history with message view fence + {x}; a release store also
//    carries acq (A-cumulativity: what this CPU observed propagates before it).
//  - RMW: reads the newest store (atomicity), then stores; fully ordered ones are bracketed by
//    smp_mb; a failed one is a plain unordered read. The stored message also carries the view of
//    the store it read (release sequences continue through RMWs, as in C11).
//  - Control dependencies order a load before later stores for free: a store here never
//    becomes visible before an earlier load of its CPU has executed.
//
// What it cannot produce (docs/memory-models.md; `ptfuzz litmus` says Unsupported):
//  - load buffering: a load reading a store that is later in another CPU's program order needs
//    speculation (LB without dependencies, which the LKMM allows);
//  - coherence orders that differ from execution order (the 2+2W and S shapes without barriers);
//  - reads of stores older than the last kHistory stores of a location.
// It is meant to be an under-approximation, never an over-approximation: where unsure it orders
// more (the machine-wide smp_mb view, the read-back of a CPU's own store, old dependency tokens,
// lock handoff), so a finding under this model is a real LKMM execution. tests/litmus checks
// that, including the dependency shapes a review once found it too weak on.
#ifndef PTFUZZ_CORE_RELAXED_MEMORY_H_
#define PTFUZZ_CORE_RELAXED_MEMORY_H_

#include <array>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "core/mem_order.h"

namespace ptfuzz {

inline constexpr CpuId kInitWriter = 0xffffffffu;

class RelaxedMemory {
 public:
  // How many stores per location a load may choose among (the newest kHistory). Eight covers
  // every protocol here: no location is written more than a few times per run.
  static constexpr uint32_t kHistory = 8;
  // How many recent dependency tokens per CPU keep their own view; an older one orders the
  // dependent load after everything the CPU observed (stronger, never weaker).
  static constexpr uint32_t kDepSlots = 16;

  explicit RelaxedMemory(uint32_t num_cpus);

  // The number of stores a load of `loc` by `cpu` may read (>= 1). `current` is the location's
  // ground-truth value, used when the model sees `loc` for the first time.
  uint32_t LoadOptions(CpuId cpu, Loc loc, uint64_t current, Dep dep);

  struct LoadResult {
    uint64_t value = 0;
    uint32_t newer = 0;          // how many newer stores the load skipped (0: the newest)
    CpuId writer = kInitWriter;  // the CPU whose store it read
    Dep dep = kNoDep;            // token for loads whose address depends on this one
  };
  // REQUIRES: choice < LoadOptions(cpu, loc, current, dep) just returned.
  LoadResult Load(CpuId cpu, Loc loc, uint32_t choice, MemOrder order, Dep dep);

  // A token for a value computed from the values of loads `a` and `b` (`r0 + r1` used as an
  // address): dependent loads see what either carried. kNoDep stands for no dependency.
  Dep JoinDeps(CpuId cpu, Dep a, Dep b);

  // A store (WRITE_ONCE, smp_store_release, spin_unlock, allocation zeroing).
  void Store(CpuId cpu, Loc loc, uint64_t current, uint64_t value, MemOrder order);

  // An RMW that read `current` (the newest value) and, when `success`, wrote `value`.
  void Rmw(CpuId cpu, Loc loc, uint64_t current, bool success, uint64_t value, MemOrder order);

  // The newest stores of `a` and `b` are the two halves of one single-copy-atomic write (x86-PAE
  // cmpxchg8b): each one's message view now includes the other, so a CPU that reads either half
  // and then orders its loads (smp_rmb) cannot read the other half from before the write.
  // REQUIRES: the model has seen both locations.
  void PairAtomic(Loc a, Loc b);
  // smp_mb, smp_rmb, smp_wmb, smp_mb__before/after_atomic.
  void Fence(CpuId cpu, FenceKind fence);

  // spin_lock(): an acquire RMW that found the lock free. It also orders what the unlock it read
  // carried before this CPU's later stores, and after an earlier spin_unlock() by the same CPU
  // (of any lock) everything before that unlock before everything after this lock: the LKMM's
  // po-unlock-lock-po (ppo and cumul-fence in tools/memory-model/linux-kernel.cat). Through rf
  // this may order slightly more than the LKMM: the unlock's view includes what the releasing
  // CPU had observed, not only its own accesses.
  void Lock(CpuId cpu, Loc loc, uint64_t value);
  // spin_unlock(): a release store of 0; remembers what it orders for a later Lock().
  void Unlock(CpuId cpu, Loc loc, uint64_t current);

  // The values a plain load of `loc` by `cpu` could still return now (newest first), or an empty
  // vector when the model has never seen `loc` (then only its ground truth exists).
  std::vector<uint64_t> Readable(CpuId cpu, Loc loc) const;

  // The locations the model tracks whose Loc lies in [lo, hi), ascending.
  std::vector<Loc> TrackedIn(Loc lo, Loc hi) const;

 private:
  using View = absl::InlinedVector<uint32_t, 24>;  // by location slot; missing entries are 0

  struct StoreRec {
    uint64_t value = 0;
    uint32_t index = 0;
    CpuId writer = kInitWriter;
    View view;
  };
  struct LocState {
    // User-provided, so emplace_back() default-initializes (member initializers only) instead of
    // zero-filling the whole ring first.
    LocState() {}
    Loc loc = 0;
    uint32_t newest = 0;                  // index of the newest store
    std::array<StoreRec, kHistory> ring;  // by index % kHistory
  };
  // Invariant: cur, own and fence are below acq (everything they order, the CPU has observed).
  struct CpuViews {
    CpuViews() {}  // user-provided: no zero-fill of the dependency slots before construction
    View cur, acq, own, fence;
    // At this CPU's last spin_unlock(): what it had observed and stored (po-unlock-lock-po).
    bool unlocked = false;
    View unlock_acq, unlock_own;
    uint32_t dep_serial = 0;                // serial of the last load's dependency token
    std::array<View, kDepSlots> dep_views;  // by serial % kDepSlots
  };

  static uint32_t Get(const View& v, uint32_t slot) { return slot < v.size() ? v[slot] : 0; }
  static void Raise(View& v, uint32_t slot, uint32_t index);
  static void Join(View& into, const View& from);

  uint32_t Slot(Loc loc, uint64_t current);
  const View& DepView(const CpuViews& c, Dep dep) const;
  Dep NewDep(CpuViews& c, View view);
  uint32_t Lower(const CpuViews& c, const LocState& l, uint32_t slot, Dep dep) const;
  void Append(CpuId cpu, uint32_t slot, uint64_t value, View view);
  void Observe(CpuViews& c, uint32_t slot, const StoreRec& s, bool acquire);

  absl::flat_hash_map<Loc, uint32_t> slot_of_;  // lookup only; never iterated
  std::vector<LocState> locs_;                  // by slot, in first-touch order
  std::vector<CpuViews> cpus_;
  View sc_;
};

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_RELAXED_MEMORY_H_

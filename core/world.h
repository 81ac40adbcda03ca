// World: one simulated machine running one schedule, and the scheduler that drives it.
//
// A World is built fresh for every input (libFuzzer is in-process: nothing outlives a run). It
// owns the physical memory, the mm's page tables, the CPUs and their TLBs, the locks, the oracles
// and the trace. Scenario builders (core/scenarios/) set up the initial mappings directly, attach
// one actor coroutine per CPU, and call Run().
//
// Scheduling: each step, the World lists the runnable CPUs in a fixed order (the CPU that took
// the previous step first if it can still run, then the others in cyclic CPU order) and asks the
// Decider which one runs; a single runnable CPU is not a choice. The chosen CPU executes its
// pending shared operation, or takes a pending IPI. The run ends when every actor has finished
// (clean, unless the end-of-run oracles object), at the first violation, when no CPU can run
// while some are unfinished (a deadlock, itself a violation), when the step bound is reached
// (reported as a possible livelock, not a violation), or at the first divergence of a strict
// replay.
//
// Determinism: nothing here reads clocks, host randomness, pointer values or hash-container order;
// every choice is a Decider answer, recorded on the canonical tape in the order asked.
#ifndef PTFUZZ_CORE_WORLD_H_
#define PTFUZZ_CORE_WORLD_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/agent.h"
#include "core/cpu.h"
#include "core/decider.h"
#include "core/geometry.h"
#include "core/memory.h"
#include "core/oracles.h"
#include "core/relaxed_memory.h"
#include "core/store_buffer.h"
#include "core/strict_decider.h"
#include "core/trace.h"
#include "core/variant.h"
#include "core/violation.h"

namespace ptfuzz {

// How remote TLBs are invalidated. kParavirt behaves as kBroadcast (no IPI, so no wait for
// interrupts-off sections) but is the x86 hypercall path. Values equal proto::TlbFlushMode.
enum class TlbFlushMode : uint8_t { kIpi = 0, kBroadcast = 1, kParavirt = 2 };

// Which memory model the machine runs (docs/memory-models.md). Values equal proto::MemoryModel.
enum class MemoryModelKind : uint8_t { kSc = 1, kTso = 2, kRelaxed = 3 };
absl::string_view MemoryModelName(MemoryModelKind model);
// The inverse of MemoryModelName ("sc", "tso", "relaxed"); nullopt for anything else.
std::optional<MemoryModelKind> MemoryModelFromName(absl::string_view name);

// The architecture whose primitives the protocols use (how ptep_get_and_clear() orders, which
// flush is native, whether entries are split). Values equal proto::Arch.
enum class Arch : uint8_t { kX86_64 = 0, kX86Pae = 1, kArm64 = 2, kS390 = 3 };
absl::string_view ArchName(Arch arch);

// The machine: plain values taken from the schedule's Scenario.
struct MachineConfig {
  uint32_t num_cpus = 2;
  TlbFlushMode tlb_flush = TlbFlushMode::kIpi;
  uint32_t num_frames = 16;
  ProtocolVariant variant;
  Arch arch = Arch::kX86_64;
  MemoryModelKind memory_model = MemoryModelKind::kSc;
  // Address spaces: 1, or 2 when another process shares hugetlb PMD tables with the run's mm
  // (Z11).
  uint32_t num_mms = 1;
  // Plain shared variables (VarLoc(0) .. VarLoc(num_vars - 1)), all 0 initially: litmus tests.
  uint32_t num_vars = 0;
  // arm64 contiguous PTEs per block (CONT_PTES; core/protocols/contpte.h), 0 for none.
  uint32_t cont_ptes = 0;
  // Bit i: CPU i's hardware walker sets accessed/dirty on the mapped pages (a hw_access agent).
  uint32_t hw_writers = 0;
  // Bit i: CPU i's hardware walker walks the mapped pages speculatively (a hw_walker agent,
  // World::HwWalkStep), filling its paging-structure cache and TLB: a CPU that holds the mm
  // lazily (a kernel thread in lazy-TLB mode) or runs it.
  uint32_t hw_walkers = 0;
  // Levels built and walked, and how the arch folds the missing ones (core/geometry.h).
  PtGeometry geometry;
  // tlb_remove_table() cannot allocate its batch page: tables are freed by
  // tlb_remove_table_one() (core/protocols/mmu_gather.h).
  bool table_batch_alloc_fails = false;
  // The kernel has CONFIG_PT_RECLAIM (a scenario with ACTOR_MADV_DONTNEED_RANGE): empty PTE
  // tables are freed by MADV_DONTNEED, so tlb_remove_table_one() frees by RCU too
  // (__tlb_remove_table_one() -> call_rcu(), v6.14): __pte_offset_map() walkers rely on it.
  bool pt_reclaim = false;
};

// Observes every step; the fuzz target derives its feedback from it. Must not affect the run.
class StepObserver {
 public:
  virtual ~StepObserver() = default;
  virtual void OnStep(const TraceEvent& event, uint64_t func_hash) = 0;
};

// How a run is executed (not what it executes: that is the schedule).
struct SimOptions {
  // Livelock bound. 10000 steps is two orders of magnitude above the longest run of any built-in
  // scenario (about 60 steps), so reaching it means a retry loop is being starved.
  uint32_t max_steps = 10000;
  bool record_trace = false;
  // RunResult::trace_hash (two mixing rounds per step) and RunResult::state_digest (a walk over
  // every frame, table and TLB at the end of the run). The fuzz target, which never compares
  // runs, leaves them 0.
  bool trace_hash = true;
  bool state_digest = true;
  StepObserver* observer = nullptr;
  // A debugger's breakpoint on a step (`ptfuzz replay --break-at-step=N`): `on_break` is called
  // once with `break_at_step`, after the scheduler chose who takes that step and before it
  // executes, so a debugger attached to the process stops with the machine as the step finds it.
  // The core only calls the function (raising SIGTRAP is the CLI's business) and the call must
  // not change the run. The default never matches: a step is always below max_steps <= UINT32_MAX.
  // Costs one compare per step.
  uint32_t break_at_step = UINT32_MAX;
  void (*on_break)(uint32_t step) = nullptr;
};

enum class Outcome : uint8_t { kClean, kViolation, kStepBound, kDivergence };
absl::string_view OutcomeName(Outcome outcome);

struct ActorInfo {
  const char* kind = "";  // e.g. "gup_fast"; the actor's name is kind@cpuN
  VirtAddr vaddr = 0;
};

struct RunResult {
  Outcome outcome = Outcome::kClean;
  std::optional<Violation> violation;
  absl::Status divergence;  // set when outcome == kDivergence
  uint32_t steps = 0;
  uint32_t context_switches = 0;  // steps that ran on a different CPU than the previous step
  uint32_t preemptions = 0;       // ... while the previous CPU could still have run
  // Weak-memory behaviour the run used: relaxed-model loads that read an older store than the
  // newest, and TSO stores that went through a store buffer.
  uint32_t stale_loads = 0;
  uint32_t buffered_stores = 0;
  uint64_t trace_hash = 0;
  uint64_t state_digest = 0;      // end state: frames, refcounts, tables, TLBs, tape
  std::vector<CanonicalDecision> tape;
  std::vector<TraceEvent> trace;  // when SimOptions::record_trace
};

struct MmuGather;  // core/protocols/mmu_gather.h

class World {
 public:
  World(const MachineConfig& config, const SimOptions& options, Decider& decider);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // --- Setup, before Run(): direct, untraced, no decisions. ---
  // Allocates a frame as a page table of `level` (or a data page when level < 0) without asking
  // the Decider: setup order is fixed. Returns kNoFrame when memory is exhausted.
  FrameId SetupAlloc(int level);
  // From now on the setup takes the coldest free frame (the highest, in a fresh machine) instead
  // of the hottest: background actors' pages and tables (core/scenarios/background.h) come from
  // the frames added for them and leave the scenario's own frame layout as it was.
  void SetupFromTheTop() { setup_from_top_ = true; }
  // Maps a fresh anonymous page at `vaddr` (allocating tables as needed) and fills the TLBs of
  // the CPUs in `tlb_cpus`. Returns false when memory is exhausted.
  // `pins`: long-term FOLL_PIN pins held on the page since before the run (each adds
  // GUP_PIN_COUNTING_BIAS to its refcount; FrameInfo::external_refs).
  // `table_only`: stop at the PTE table (Mapping.table_only): no page.
  // `file`: the page belongs to shmem inode 0's page cache (folio->mapping = InodeMapping(0)),
  // which holds a reference of its own (counted in FrameInfo::external_refs until
  // PageCacheDelete()).
  // `mm`: whose page tables (mm 1: the child a fork copies into, or the hugetlb sharer).
  bool SetupMapAnonPage(VirtAddr vaddr, uint32_t tlb_cpus, uint32_t pins = 0,
                        bool table_only = false, bool file = false, uint32_t mm = 0);
  // Maps a large anonymous folio of 2^order pages (order 1 or 2: an mTHP) by consecutive PTEs
  // from `vaddr` (aligned to the folio's size): head and tails in the lowest naturally aligned run
  // of free frames, each tail's compound_head naming the head, the refcount on the head (one per
  // PTE), the tails' 0. Its pages are in the TLBs of the CPUs in `tlb_cpus`. From then on
  // page_folio() is a step (large_folios()). Returns false when memory is exhausted.
  bool SetupMapLargeFolio(VirtAddr vaddr, uint32_t order, uint32_t tlb_cpus);
  // deferred_split_folio() before the run: the large folio at `head` is on the deferred split
  // queue (DeferredListLoc).
  void SetupQueueDeferredSplit(FrameId head) {
    memory_.mutable_frame(head).deferred_list = kOnSplitQueue;
  }
  // Whether the machine has large folios: only then does page_folio() read compound_head as a
  // shared access. In a machine of order-0 pages the word is 0 and never written, so the read
  // commutes with every step: protocols skip it (the reduction of MarkContended()).
  bool large_folios() const { return large_folios_; }
  // With config.cont_ptes: folds every naturally aligned run of cont_ptes mapped pages with
  // consecutive, aligned pfns into a contiguous block (PTE_CONT), old and clean.
  void SetupFoldContBlocks();
  // Sets the initial value of shared variable `index` (< config.num_vars).
  void SetupVar(uint32_t index, uint64_t value);
  // Gives `cpu` its actor, running in mm `mm`. REQUIRES: one actor per CPU.
  void SetActor(CpuId cpu, ActorInfo info, Task<void> task, uint32_t mm = 0);
  // Locations the scenario makes contended (RunScenario() knows which actors touch them):
  // mm->tlb_flush_pending with several mmu_gather users in the mm, mm->write_protect_seq when an
  // actor forks the mm. An uncontended one is touched by a single CPU, or only read and never
  // written: its accesses commute with every other step, so protocols skip them (no step, no
  // decision), a partial-order reduction that leaves every reachable outcome reachable and
  // keeps the tapes of scenarios that never contend them as they were.
  void MarkContended(Loc loc) { contended_.push_back(loc); }
  bool Contended(Loc loc) const {
    return std::find(contended_.begin(), contended_.end(), loc) != contended_.end();
  }
  // A FOLL_PIN that outlives the run (a DMA still in flight): the end-of-run oracle counts its
  // GUP_PIN_COUNTING_BIAS references as held (FrameInfo::external_refs), and a COW of the pinning
  // mm that replaces the page is a violation (Oracles::OnCowReplace()). Bookkeeping only.
  void HoldPin(const Cpu& cpu, VirtAddr vaddr, FrameId page);
  // tlb_gather_mmu() .. tlb_finish_mmu() of `tlb` (core/protocols/mmu_gather.h): the batches in
  // progress, and the oracle that judges the TLBs a returning tlb_finish_mmu() leaves behind.
  void GatherBegin(const MmuGather* tlb) { live_gathers_.push_back(tlb); }
  void GatherEnd(const Cpu& cpu, const MmuGather* tlb);
  absl::Span<const MmuGather* const> live_gathers() const { return live_gathers_; }
  // A hugetlb page at `vaddr` (a 2 MiB-aligned address) of a MAP_SHARED hugetlbfs file mapped by
  // mm 0 and mm 1 through one shared PMD table (huge_pmd_share(), mm/hugetlb.c): both mms' pud
  // entries point to it and its refcount counts the sharers. The page is in mm 0's TLB on the
  // CPUs in `tlb_cpus`. Returns false when memory is exhausted.
  bool SetupMapHugetlbShared(VirtAddr vaddr, uint32_t tlb_cpus);

  RunResult Run();

  // --- Used by the awaitables and protocols. ---
  uint64_t Execute(Cpu& cpu);
  uint32_t Decide(DecisionKind kind, uint32_t num_options);
  FrameId pgd() const { return pgd_; }
  // mm `mm`'s pgd (mm 0's is pgd()).
  FrameId pgd_of(uint32_t mm) const { return mm == 0 ? pgd_ : other_pgds_[mm - 1]; }
  uint32_t num_mms() const { return config_.num_mms; }
  const PtGeometry& geometry() const { return config_.geometry; }
  // pgd_offset(mm, addr): the pgd entry's address.
  PhysAddr PgdOffset(const Cpu& cpu, VirtAddr vaddr) const {
    return EntryAddr(pgd_of(cpu.mm), config_.geometry.PgdIndex(vaddr));
  }
  // The level of the tables an entry of a `level` table points to (pmd_populate() and friends).
  PtLevel ChildTableLevel(PtLevel level) const {
    return config_.geometry.LevelAtPosition(config_.geometry.PositionOf(level) - 1);
  }

  // --- Kernel stacks (core/stack.h): the locals a walker takes the address of. ---
  // Stores `value` in the stack slot of `cpu`'s local for `level` (the walker's `pgd_t pgd`,
  // `p4d_t p4d`, ...), a copy of the entry at `source` (a table slot, or another stack slot, whose
  // own source is used). Returns the slot's address. CPU-local: not a step.
  PhysAddr SpillLocal(Cpu& cpu, PtLevel level, Loaded value, PhysAddr source);
  // A load of `cpu`'s own stack word (LoadAwaiter's local path): not a step (no other CPU
  // touches it, so it commutes with every other CPU's step), but traced. A spilled local keeps
  // the dependency of the load it was copied from (cpu.last_dep): a store and reload through
  // memory carries the address dependency on, as the hardware's forwarding does.
  uint64_t StackLoad(Cpu& cpu, const PendingOp& op);
  // What the stack word at `addr` holds a copy of: the table slot it was spilled from, or kNoSlot
  // when it holds no spilled entry (saved registers, return addresses: garbage as an entry).
  PhysAddr StackSource(PhysAddr addr) const;
  const MachineConfig& config() const { return config_; }
  const ProtocolVariant& variant() const { return config_.variant; }
  PhysMemory& memory() { return memory_; }
  const PhysMemory& memory() const { return memory_; }
  Oracles& oracles() { return oracles_; }
  uint32_t step() const { return step_; }
  const std::vector<Cpu>& cpus() const { return cpus_; }
  Cpu& cpu(CpuId id) { return cpus_[id]; }
  const std::vector<ActorInfo>& actors() const { return actors_; }
  // The CPU whose store is being applied (the executing CPU, or a draining store buffer's owner).
  CpuId store_cpu() const { return store_cpu_; }
  const FuncInfo* store_func() const { return store_func_; }
  // The addresses the setup mapped (SetupMapAnonPage), in order.
  const std::vector<VirtAddr>& mapped_vaddrs() const { return mapped_vaddrs_; }
  // The PTE indices of the 2 MiB range at `pmd_start` that the run can populate (the setup
  // mappings and the actors' addresses in it), ascending. Walkers that scan a whole PTE table
  // (khugepaged's isolate step, a range zap, PT_RECLAIM's emptiness check) read these: the
  // others of its 512 entries are none for the whole run, and reading them would add steps and
  // change nothing.
  std::vector<uint32_t> PopulatablePteIndices(VirtAddr pmd_start) const;
  std::string ActorName(const Cpu& cpu) const;

  // Ground truth, for oracles and setup: the frame `vaddr` translates to now, walking the live
  // tables directly (no yield, no trace). kNoFrame when not mapped.
  FrameId Translate(VirtAddr vaddr, uint32_t mm = 0) const;
  // Ground truth: the leaf slot that translates `vaddr` now (its address): the PTE slot, or the
  // PMD slot of a huge PMD; 0 when no live table covers it. Translate() reads that slot.
  PhysAddr LeafSlot(VirtAddr vaddr, uint32_t mm = 0) const;
  // The hardware access agents (world.cc HwAccessAgent): the index in the setup mappings of the
  // first page not in `done` (bit i: page i) whose present PTE lacks accessed or dirty, or -1;
  // and one step of CPU `cpu`'s agent `agent`, which marks that page and returns the new `done`.
  // Each agent marks each page once, whenever it is present (a page mid-convert or zapped waits).
  int NextHwAccess(uint32_t done) const;
  uint32_t HwAccessStep(CpuId cpu, int agent, uint32_t done);
  // The speculative walker agents (world.cc HwWalkerAgent): walk `walks` (counting from 0) of CPU
  // `cpu`'s walker, of the setup mapping walks % their number. Each agent walks kHwWalks times.
  static constexpr uint32_t kHwWalks = 3;
  void HwWalkStep(CpuId cpu, int agent, uint32_t walks);
  // Ground truth of a location: the newest value in coherence order (what memory holds; a TSO
  // store still in a store buffer is not there yet). No yield, no trace, no ordering.
  uint64_t ReadLoc(Loc loc) const;
  MemoryModelKind memory_model() const { return config_.memory_model; }
  // Whether entries of tables of `level` are two 32-bit halves (x86-PAE: PTEs and PMDs). The
  // upper levels stay single 64-bit words: the machine keeps its four-level tree in every
  // configuration (PAE's 4-entry PDPT and folded PUD are the page-table-geometry issue's).
  bool SplitEntries(PtLevel level) const {
    return config_.arch == Arch::kX86Pae && level <= PtLevel::kPmd;
  }
  // A split entry's whole value as memory holds it now (both halves).
  uint64_t ReadEntry(PhysAddr entry) const;
  // Every write to a half of a split entry, in coherence order (the order they reached memory):
  // what a torn read is judged against and what its report cites.
  struct SplitStore {
    PhysAddr entry;
    uint8_t halves;  // bit 0: the low half, bit 1: the high half (both: a 64-bit atomic)
    uint64_t old_value;  // the whole entry before and after
    uint64_t new_value;
    uint32_t step;
    CpuId cpu;
    const FuncInfo* func;  // the kernel function that issued the store
  };
  const std::vector<SplitStore>& split_stores() const { return split_stores_; }
  // Whether `entry` held `value` as a whole at some instant of the run so far.
  bool EntryExisted(PhysAddr entry, uint64_t value) const;
  // Whether a load of `loc` by `cpu` could return a value satisfying `pred` now: under the
  // relaxed model any store its view still allows, otherwise the ground truth. For oracles
  // that ask what a CPU may still observe (Oracles::SlotsMapRef).
  bool MayStillRead(CpuId cpu, Loc loc, const std::function<bool(uint64_t)>& pred) const;
  // TSO: CPU `cpu`'s store buffer (empty under the other models).
  const StoreBuffer& store_buffer(CpuId cpu) const { return store_buffers_[cpu]; }
  // TSO: writes the oldest buffered store of `cpu` to memory (the store-buffer agent's step).
  void DrainOldest(CpuId cpu, int agent);
  // Whether `fence` is a scheduler step on `cpu` now, and its effect when it is not (cpu.h).
  bool FenceIsStep(const Cpu& cpu, FenceKind fence) const;
  void ApplyLocalFence(Cpu& cpu, FenceKind fence);
  // The token of a value computed from two loaded values (cpu.h JoinDepTokens).
  Dep JoinDeps(const Cpu& cpu, Dep a, Dep b);
  const std::vector<std::unique_ptr<Agent>>& agents() const { return agents_; }
  // "store_buffer@cpu1"
  std::string AgentName(int agent) const;
  // Frees `frame` (refcount already 0) at the current step: TLB and refcount oracles apply.
  void FreeFrame(Cpu& cpu, FrameId frame);
  // RCU (kernel/rcu/tree.c, consolidated flavours, PREEMPT_RCU): a CPU is in a read-side
  // section while it has interrupts off, holds a spinlock or is inside rcu_read_lock(); a
  // callback queued at step q may run once every CPU has been outside such a section at some
  // step after q (a quiescent state): now, or its current section began after q. Callbacks run
  // as the queuing CPU's rcu agent (softirq: with that CPU's interrupts on), oldest first.
  bool InRcuReader(const Cpu& cpu) const {
    return cpu.irqs_disabled || cpu.spinlocks_held > 0 || cpu.rcu_depth > 0;
  }
  bool RcuCallbackReady(size_t index) const;
  // Whether any RCU callback was ever queued (the rcu agents are listed from then on).
  bool rcu_used() const { return rcu_used_; }
  void RcuReadLock(Cpu& cpu) {
    ++cpu.rcu_depth;
    UpdateRcuReader(cpu);
  }
  void RcuReadUnlock(Cpu& cpu) {
    PTFUZZ_CHECK(cpu.rcu_depth > 0);
    --cpu.rcu_depth;
    UpdateRcuReader(cpu);
  }
  // Whether CPU `cpu`'s rcu agent has a callback to run, and its step (the callback).
  bool RcuAgentRunnable(CpuId cpu) const;
  void RcuAgentStep(CpuId cpu, int agent);
  // An RCU callback that frees an inode (i_callback()).
  void RcuFreeInode(CpuId cpu, int agent, uint32_t inode, uint32_t queued);
  // pgtable_trans_huge_deposit(): a PTE table kept aside for a huge PMD, to be withdrawn when the
  // huge PMD is split or zapped (mm/pgtable-generic.c). Bookkeeping under the PMD lock, not a
  // shared access any lockless walker makes. The end-of-run oracle counts deposited tables as
  // referenced.
  void DepositTable(PhysAddr pmdp, FrameId table) { deposited_.push_back({pmdp, table}); }
  // pgtable_trans_huge_withdraw(): the table deposited for the huge PMD at `pmdp` (the newest),
  // or kNoFrame.
  FrameId WithdrawTable(PhysAddr pmdp) {
    for (size_t i = deposited_.size(); i > 0; --i) {
      if (deposited_[i - 1].first != pmdp) continue;
      const FrameId table = deposited_[i - 1].second;
      deposited_.erase(deposited_.begin() + static_cast<std::ptrdiff_t>(i - 1));
      return table;
    }
    return kNoFrame;
  }
  // Inodes (Z19): whether inode `i` has been freed, and when.
  static constexpr uint32_t kNumInodes = 1;
  bool InodeFreed(uint32_t inode, uint32_t* step = nullptr, CpuId* cpu = nullptr) const {
    if (inode >= kNumInodes || inode_freed_step_[inode] == kLiveInode) return false;
    if (step) *step = inode_freed_step_[inode];
    if (cpu) *cpu = inode_freed_cpu_[inode];
    return true;
  }
  // page_cache_delete(): the page cache's reference on `frame` is about to be put (the end-of-run
  // oracle stops counting it). Bookkeeping, not a shared access.
  void PageCacheDelete(FrameId frame) { --memory_.mutable_frame(frame).external_refs; }
  // The page cache takes a reference on `frame` (the caller adds it to the refcount).
  void PageCacheAdd(FrameId frame) { ++memory_.mutable_frame(frame).external_refs; }
  // Inode 0's page cache: the file pages the setup mapped, in order (the xarray a truncation
  // walks under the inode's locks; its lookups are not shared accesses lockless walkers race).
  const std::vector<FrameId>& page_cache() const { return page_cache_; }
  std::vector<FrameId> deposited_tables() const {
    std::vector<FrameId> tables;
    for (const auto& [pmdp, table] : deposited_) tables.push_back(table);
    return tables;
  }

 private:
  // Index in lock_owner_ of a lock id (a PTE-table frame, kMmPageTableLock, kZoneLock or
  // kVmaLock).
  size_t LockSlot(uint64_t lock) const {
    if (lock == kMmPageTableLock) return config_.num_frames;
    if (lock == kZoneLock) return config_.num_frames + 1;
    if (lock == kVmaLock) return config_.num_frames + 2;
    if (lock == kMmapLock) return config_.num_frames + 3;
    if (lock == kIMmapLock) return config_.num_frames + 4;
    if (lock == kSplitQueueLock) return config_.num_frames + 5;
    return static_cast<size_t>(lock);
  }
  bool Runnable(const Cpu& cpu) const;
  // A write (or atomic RMW) to `frame`'s refcount: faults when HVO mapped its struct page
  // read-only (Oracles::OnReadonlyStructPageWrite, Z16).
  void CheckStructPageWritable(Cpu& cpu, FrameId frame) {
    if (frame < memory_.num_frames() && memory_.frame(frame).struct_page_ro != 0) {
      oracles_.OnReadonlyStructPageWrite(cpu, frame);
    }
  }
  // TSO: the pending op waits until this CPU's store buffer is empty (locked RMW, mfence, IPI,
  // return to user mode).
  bool WaitsForDrain(const Cpu& cpu) const;
  void HandleIpis(Cpu& cpu);
  void Record(Cpu& cpu, TraceEvent event);
  void RecordAgent(int agent, TraceEvent event);
  // Writes the ground truth of `loc` (page-table stores notify the oracles).
  void WriteLoc(Loc loc, uint64_t value);
  // Records a write to the halves `halves` of split entry `entry` (split_stores_).
  void NoteSplitStore(PhysAddr entry, uint8_t halves, uint64_t old_value, CpuId cpu,
                      const FuncInfo* func);
  // x86-PAE pxx_xchg64() (cmpxchg8b loop): exchanges both halves of `entry` at once.
  uint64_t Xchg64(Cpu& cpu, PhysAddr entry, uint64_t value, MemOrder order);
  // Which store a load of half `loc` just read (index in split_stores_, -1: the value the run
  // started with, -2: this CPU's own store still in its store buffer).
  // `newer`: how many newer stores the relaxed model skipped (0 otherwise); `writer`: the CPU
  // whose store it read (kInitWriter when the newest), for the fallback match by value.
  int32_t SplitLoadSource(const Cpu& cpu, Loc loc, uint64_t value, CpuId writer,
                          uint32_t newer) const;
  // Records the zeroing of a newly allocated frame's split entries (split_stores_).
  void NoteAllocationZeroing(const Cpu& cpu, FrameId frame,
                             const std::vector<std::pair<uint32_t, uint64_t>>& zeroed);
  // The memory-model halves of the memory operations (world.cc).
  uint64_t DoLoad(Cpu& cpu, const PendingOp& op, TraceEvent& ev);
  uint64_t DoStore(Cpu& cpu, const PendingOp& op, TraceEvent& ev);
  // Returns the old value; *success tells whether it wrote.
  uint64_t DoRmw(Cpu& cpu, Loc loc, RmwOp rmw, uint64_t a, uint64_t b, MemOrder order,
                 bool* success);
  uint64_t RefcountRmw(Cpu& cpu, FrameId frame, RmwOp rmw, uint64_t a, uint64_t unless,
                       MemOrder order, bool* success);
  void FullFence(Cpu& cpu);
  // A struct page word the free path zeroes (a plain store by the freeing CPU), if it is not 0.
  void ClearOnFree(Cpu& cpu, Loc loc);
  // Cpu::AllocFolio(): the head of the block allocated, or kNoFrame.
  FrameId AllocFolio(Cpu& cpu, uint32_t order, TraceEvent& ev);
  // Relaxed: the allocation of `frame` zeroes it and sets its refcount; record those stores.
  void RecordAllocationStores(Cpu& cpu, FrameId frame);
  void ReportDeadlock();
  uint64_t StateDigest() const;
  // Decider::AccessKey() of what `cpu` would do as its next step, 0 for anything but a shared
  // memory access (an interrupt it is about to take, a lock, an IPI, an allocation).
  static uint64_t PendingAccess(const Cpu& cpu);

  MachineConfig config_;
  SimOptions options_;
  struct StackWord {
    PhysAddr addr;
    uint64_t value;
    Dep dep;
    PhysAddr source;
  };
  absl::InlinedVector<StackWord, 8> stack_words_;  // spilled locals of every CPU, in spill order
  Decider& decider_;
  PhysMemory memory_;
  std::vector<Cpu> cpus_;
  std::vector<ActorInfo> actors_;
  // Owner CPU + 1 of each lock, 0 when free. Index: frame id, or num_frames for kMmPageTableLock.
  std::vector<uint32_t> lock_owner_;
  std::vector<uint64_t> vars_;  // VarLoc ground truth
  uint64_t mm_users_ = 1;       // MmUsersLoc ground truth: the task that uses the mm
  std::vector<uint64_t> tlb_flush_pending_;     // TlbFlushPendingLoc ground truth, per mm
  std::vector<uint64_t> write_protect_seq_;     // WriteProtectSeqLoc ground truth, per mm
  absl::InlinedVector<Loc, 2> contended_;       // MarkContended(), in marking order
  bool large_folios_ = false;                   // SetupMapLargeFolio() was called
  std::vector<const MmuGather*> live_gathers_;  // in tlb_gather_mmu() order
  std::vector<StoreBuffer> store_buffers_;  // TSO only: one per CPU
  std::unique_ptr<RelaxedMemory> relaxed_;  // relaxed only
  std::vector<std::unique_ptr<Agent>> agents_;
  Oracles oracles_;
  FrameId pgd_ = kNoFrame;
  std::vector<FrameId> other_pgds_;  // mm 1.. (config.num_mms - 1)
  uint32_t step_ = 0;
  bool setup_from_top_ = false;
  uint32_t stale_loads_ = 0;      // RunResult::stale_loads
  uint32_t buffered_stores_ = 0;  // RunResult::buffered_stores
  uint64_t trace_hash_ = 0;
  std::vector<CanonicalDecision> tape_;
  std::vector<TraceEvent> trace_;
  std::vector<SplitStore> split_stores_;
  std::vector<VirtAddr> mapped_vaddrs_;  // the setup mappings, in order
  std::vector<FrameId> page_cache_;      // inode 0's pages (SetupMapAnonPage with `file`)
  std::vector<std::pair<PhysAddr, FrameId>> deposited_;  // (pmd slot, table), deposit order
  struct RcuCallback {
    CpuId cpu;        // the CPU that queued it, where it runs
    FrameId table;    // the page-table page it puts (or the inode it frees)
    bool inode;       // i_callback(): frees inode `table` instead
    uint32_t queued;  // the step of the call_rcu()
  };
  std::vector<RcuCallback> rcu_callbacks_;  // queued, not yet run, in queuing order
  bool rcu_used_ = false;
  // The shmem inodes file mappings belong to (Mapping.file: inode 0): the step each was freed at
  // (kLiveInode while live) and by which CPU.
  static constexpr uint32_t kLiveInode = 0xffffffffu;
  std::array<uint32_t, kNumInodes> inode_freed_step_ = {kLiveInode};
  std::array<CpuId, kNumInodes> inode_freed_cpu_ = {0};
  uint32_t agents_epoch_ = 0;  // bumped when an agent's Listed() changes
  // Sets cpu.reader_since after a change of its read-side state (InRcuReader).
  // Entering a section while callbacks wait is a quiescent state reported with a full barrier
  // (kernel/rcu/tree.c): the section sees what the updaters did before their call_rcu().
  void UpdateRcuReader(Cpu& cpu) {
    if (!InRcuReader(cpu)) {
      cpu.reader_since = Cpu::kNotReader;
    } else if (cpu.reader_since == Cpu::kNotReader) {
      cpu.reader_since = step_;
      if (relaxed_ && !rcu_callbacks_.empty()) relaxed_->Fence(cpu.id, FenceKind::kMb);
    }
  }
  // Who issues the store WriteLoc is applying (the executing CPU, or the owner of a draining
  // store buffer), for split_stores_.
  CpuId store_cpu_ = 0;
  const FuncInfo* store_func_ = nullptr;
};

inline void Cpu::RcuReadLock() { world->RcuReadLock(*this); }
inline OpAwaiter Cpu::SynchronizeRcu() {
  return {this, {OpKind::kSynchronizeRcu, 0, world->step()}};
}
inline void Cpu::RcuReadUnlock() { world->RcuReadUnlock(*this); }

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_WORLD_H_

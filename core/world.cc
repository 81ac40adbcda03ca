#include "core/world.h"

#include <algorithm>
#include <bit>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "core/check.h"

namespace ptfuzz {

namespace {
// The FuncInfo of work that is not in any actor's code: the IPI handler on the target CPU.
constexpr FuncInfo kFlushTlbFunc{"flush_tlb_func", "arch/x86/mm/tlb.c",
                                 HashName("flush_tlb_func")};
constexpr FuncInfo kNoFunc{"(idle)", "", HashName("(idle)")};

// The TSO store buffer of one CPU, as an agent: runnable while it holds a store; a step writes
// the oldest one to memory (core/store_buffer.h).
class StoreBufferAgent final : public Agent {
 public:
  StoreBufferAgent(CpuId cpu, int index) : Agent(cpu), index_(index) {}
  const FuncInfo& func() const override { return kFunc; }
  bool Runnable(const World& world) const override {
    return !world.store_buffer(owner()).empty();
  }
  void Step(World& world) override { world.DrainOldest(owner(), index_); }

 private:
  static constexpr FuncInfo kFunc{"store_buffer", "x86 TSO store buffer (docs/memory-models.md)",
                                  HashName("store_buffer")};
  int index_;
};

// Agents are created in CPU order, one store buffer per CPU under TSO (then the hardware access
// agents), so a CPU's store buffer is agent `cpu`.
int StoreBufferAgentOf(CpuId cpu) { return static_cast<int>(cpu); }

// The hardware walker of a CPU whose user code keeps writing the mapped pages: each step sets
// the accessed and dirty bits of the next mapped page whose present entry lacks them, with one
// atomic update of the descriptor (kernel-mm.md section 10.4; World::HwAccessStep).
class HwAccessAgent final : public Agent {
 public:
  HwAccessAgent(CpuId cpu, int index) : Agent(cpu), index_(index) {}
  const FuncInfo& func() const override { return kFunc; }
  bool Runnable(const World& world) const override { return world.NextHwAccess(done_) >= 0; }
  void Step(World& world) override { done_ = world.HwAccessStep(owner(), index_, done_); }

 private:
  static constexpr FuncInfo kFunc{
      "hw_access",
      "hardware A/D update (arch/x86/include/asm/pgtable.h, arch/arm64/include/asm/pgtable.h)",
      HashName("hw_access")};
  int index_;
  uint32_t done_ = 0;  // bit i: it has marked mapped page i (World::mapped_vaddrs_)
};

// A CPU's hardware walker walking speculatively (Intel SDM 4.10.2, 4.10.3: the processor may
// walk and cache translations at any time, for any address the mm maps, whatever the CPU runs;
// a CPU in lazy-TLB mode still has the mm loaded): kHwWalks walks per run, each one step
// (World::HwWalkStep).
class HwWalkerAgent final : public Agent {
 public:
  HwWalkerAgent(CpuId cpu, int index) : Agent(cpu), index_(index) {}
  const FuncInfo& func() const override { return kFunc; }
  bool Runnable(const World& world) const override {
    return walks_ < World::kHwWalks && !world.mapped_vaddrs().empty();
  }
  void Step(World& world) override { world.HwWalkStep(owner(), index_, walks_++); }

 private:
  static constexpr FuncInfo kFunc{"hw_walker", "hardware page walker (Intel SDM 4.10)",
                                  HashName("hw_walker")};
  int index_;
  uint32_t walks_ = 0;
};

// The RCU callbacks a CPU queued, run in softirq on that CPU once their grace period is over
// (rcu_core() -> rcu_do_batch(), kernel/rcu/tree.c): one callback per step.
class RcuAgent final : public Agent {
 public:
  RcuAgent(CpuId cpu, int index) : Agent(cpu), index_(index) {}
  const FuncInfo& func() const override { return kFunc; }
  bool Runnable(const World& world) const override { return world.RcuAgentRunnable(owner()); }
  bool Listed(const World& world) const override { return world.rcu_used(); }
  void Step(World& world) override { world.RcuAgentStep(owner(), index_); }

 private:
  static constexpr FuncInfo kFunc{"rcu_do_batch", "kernel/rcu/tree.c", HashName("rcu_do_batch")};
  int index_;
};

}  // namespace

absl::string_view MemoryModelName(MemoryModelKind model) {
  switch (model) {
    case MemoryModelKind::kSc: return "sc";
    case MemoryModelKind::kTso: return "tso";
    case MemoryModelKind::kRelaxed: return "relaxed";
  }
  return "?";
}

std::optional<MemoryModelKind> MemoryModelFromName(absl::string_view name) {
  for (MemoryModelKind m : {MemoryModelKind::kSc, MemoryModelKind::kTso, MemoryModelKind::kRelaxed}) {
    if (name == MemoryModelName(m)) return m;
  }
  return std::nullopt;
}

absl::string_view ArchName(Arch arch) {
  switch (arch) {
    case Arch::kX86_64: return "x86_64";
    case Arch::kX86Pae: return "x86_pae";
    case Arch::kArm64: return "arm64";
    case Arch::kS390:
      return "s390";
  }
  return "?";
}

absl::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kClean: return "clean";
    case Outcome::kViolation: return "violation";
    case Outcome::kStepBound: return "step_bound";
    case Outcome::kDivergence: return "divergence";
  }
  return "?";
}

World::World(const MachineConfig& config, const SimOptions& options, Decider& decider)
    : config_(config),
      options_(options),
      decider_(decider),
      memory_(config.num_frames),
      cpus_(config.num_cpus),
      lock_owner_(config.num_frames + 6, 0),
      vars_(config.num_vars, 0),
      tlb_flush_pending_(config.num_mms, 0),
      write_protect_seq_(config.num_mms, 0),
      oracles_(*this) {
  PTFUZZ_CHECK(config.num_cpus >= 1 && config.num_cpus <= 32);
  switch (config.memory_model) {
    case MemoryModelKind::kSc:
      break;
    case MemoryModelKind::kTso:
      store_buffers_.resize(config.num_cpus);
      for (uint32_t i = 0; i < config.num_cpus; ++i) {
        agents_.push_back(std::make_unique<StoreBufferAgent>(i, static_cast<int>(i)));
      }
      break;
    case MemoryModelKind::kRelaxed:
      relaxed_ = std::make_unique<RelaxedMemory>(config.num_cpus);
      break;
  }
  for (uint32_t i = 0; i < config.num_cpus; ++i) {
    if (config.hw_writers & (1u << i)) {
      agents_.push_back(
          std::make_unique<HwAccessAgent>(i, static_cast<int>(agents_.size())));
    }
  }
  for (uint32_t i = 0; i < config.num_cpus; ++i) {
    if (config.hw_walkers & (1u << i)) {
      agents_.push_back(std::make_unique<HwWalkerAgent>(i, static_cast<int>(agents_.size())));
    }
  }
  // Unlisted, and so out of the per-step scan, until a protocol queues an RCU callback.
  for (uint32_t i = 0; i < config.num_cpus; ++i) {
    agents_.push_back(std::make_unique<RcuAgent>(i, static_cast<int>(agents_.size())));
  }
  tape_.reserve(64);
  for (uint32_t i = 0; i < cpus_.size(); ++i) {
    cpus_[i].world = this;
    cpus_[i].id = i;
    cpus_[i].sc = config.memory_model == MemoryModelKind::kSc;
  }
  const PtGeometry& g = config.geometry;
  PTFUZZ_CHECK(g.compiled_levels >= 2 && g.compiled_levels <= 5 && g.runtime_levels >= 2 &&
               g.runtime_levels <= g.compiled_levels);
  pgd_ = SetupAlloc(static_cast<int>(PtLevel::kPgd));
  PTFUZZ_CHECK(pgd_ != kNoFrame);
  PTFUZZ_CHECK(config.num_mms >= 1 && config.num_mms <= 2);
  for (uint32_t mm = 1; mm < config.num_mms; ++mm) {
    other_pgds_.push_back(SetupAlloc(static_cast<int>(PtLevel::kPgd)));
    PTFUZZ_CHECK(other_pgds_.back() != kNoFrame);
  }
}

World::~World() = default;

FrameId World::SetupAlloc(int level) {
  if (memory_.num_free() == 0) return kNoFrame;
  const FrameId f = memory_.FreeFrameOption(setup_from_top_ ? memory_.num_free() - 1 : 0);
  memory_.Allocate(f, level < 0 ? FrameState::kData : FrameState::kPageTable,
                   level < 0 ? PtLevel::kPte : static_cast<PtLevel>(level), 0, 0);
  return f;
}

bool World::SetupMapAnonPage(VirtAddr vaddr, uint32_t tlb_cpus, uint32_t pins, bool table_only,
                             bool file, uint32_t mm) {
  const PtGeometry& g = config_.geometry;
  FrameId table = pgd_of(mm);
  // The hardware's walk: the top table, then every table below it (folded levels have none).
  for (int position = g.TopPosition(); position > 0; --position) {
    const uint32_t index = IndexAtPosition(vaddr, position);
    uint64_t entry = memory_.ReadWord(table, index);
    if (!EntryPresent(entry)) {
      const FrameId next = SetupAlloc(static_cast<int>(g.LevelAtPosition(position - 1)));
      if (next == kNoFrame) return false;
      entry = MakeEntry(next, kTableEntryFlags);
      memory_.WriteWord(table, index, entry);
    }
    table = EntryFrame(entry);
  }
  const uint32_t index = TableIndex(vaddr, PtLevel::kPte);
  if (table_only) return true;
  if (EntryPresent(memory_.ReadWord(table, index))) return true;  // already mapped
  const FrameId page = SetupAlloc(-1);
  if (page == kNoFrame) return false;
  memory_.WriteWord(table, index, MakeEntry(page, kAnonPteFlags));
  mapped_vaddrs_.push_back(vaddr);
  memory_.mutable_frame(page).mapcount = 1;  // folio_add_new_anon_rmap(..., RMAP_EXCLUSIVE)
  memory_.mutable_frame(page).anon_exclusive = 1;
  // A long-term pin (pin_user_pages() for RDMA) taken before the run: refcount + bias per pin.
  memory_.mutable_frame(page).refcount += int64_t{pins} * kGupPinCountingBias;
  memory_.mutable_frame(page).external_refs = int64_t{pins} * kGupPinCountingBias;
  memory_.mutable_frame(page).mapping = file ? InodeMapping(0) : kPageMappingAnon;
  if (file) {
    // filemap_add_folio(): the page cache's reference; a shmem page is not PageAnonExclusive.
    ++memory_.mutable_frame(page).refcount;
    ++memory_.mutable_frame(page).external_refs;
    memory_.mutable_frame(page).anon_exclusive = 0;
    page_cache_.push_back(page);
  }
  for (Cpu& cpu : cpus_) {
    if (tlb_cpus & (1u << cpu.id)) cpu.tlb.Fill(vaddr, page, memory_.frame(page).generation);
  }
  return true;
}

bool World::SetupMapLargeFolio(VirtAddr vaddr, uint32_t order, uint32_t tlb_cpus) {
  const uint32_t nr = 1u << order;
  PTFUZZ_CHECK(order >= 1 && (vaddr >> kPageShift) % nr == 0);
  // The tables first (as SetupMapAnonPage() allocates them), then the folio: the lowest naturally
  // aligned run of free frames (the buddy allocator hands out aligned blocks).
  if (!SetupMapAnonPage(vaddr, 0, 0, /*table_only=*/true)) return false;
  const std::vector<FrameId> blocks = memory_.FreeAlignedBlocks(order);
  if (blocks.empty()) return false;
  const FrameId head = blocks.front();
  const PhysAddr first = LeafSlot(vaddr);
  PTFUZZ_CHECK(first != 0);
  for (uint32_t i = 0; i < nr; ++i) {
    PTFUZZ_CHECK(!EntryPresent(ReadEntry(first + 8 * i)));
  }
  for (uint32_t i = 0; i < nr; ++i) {
    const FrameId page = head + i;
    memory_.Allocate(page, FrameState::kData, PtLevel::kPte, 0, 0);
    FrameInfo& info = memory_.mutable_frame(page);
    // prep_compound_page(): tails hold a zero refcount and name the head.
    info.refcount = 0;
    if (i > 0) info.compound_head = CompoundHeadWord(head);
    // folio_add_new_anon_rmap(): each page mapped once, exclusive.
    info.mapcount = 1;
    info.anon_exclusive = 1;
    info.mapping = kPageMappingAnon;
    const VirtAddr v = vaddr + uint64_t{i} * kPageSize;
    memory_.WriteWord(AddrFrame(first), AddrIndex(first) + i, MakeEntry(page, kAnonPteFlags));
    mapped_vaddrs_.push_back(v);
    for (Cpu& cpu : cpus_) {
      if (tlb_cpus & (1u << cpu.id)) cpu.tlb.Fill(v, page, info.generation);
    }
  }
  // do_anonymous_page() of an mTHP: one folio reference per PTE that maps a page of it.
  memory_.mutable_frame(head).order = static_cast<uint8_t>(order);
  memory_.mutable_frame(head).refcount = nr;
  large_folios_ = true;
  return true;
}

void World::SetupFoldContBlocks() {
  const uint32_t n = config_.cont_ptes;
  if (n == 0) return;
  for (const VirtAddr v : mapped_vaddrs_) {
    if ((v >> kPageShift) % n != 0) continue;
    const PhysAddr first = LeafSlot(v);
    if (first == 0) continue;
    const uint64_t e0 = ReadEntry(first);
    if (!EntryPresent(e0) || ((e0 & kPtePfnMask) >> kPageShift) % n != 0) continue;
    bool uniform = true;
    for (uint32_t i = 1; i < n && uniform; ++i) {
      const uint64_t e = ReadEntry(EntryAddr(AddrFrame(first), AddrIndex(first) + i));
      uniform = EntryPresent(e) && (e & ~kPtePfnMask) == (e0 & ~kPtePfnMask) &&
                (e & kPtePfnMask) == (e0 & kPtePfnMask) + (uint64_t{i} << kPageShift);
    }
    if (!uniform) continue;
    // A large folio mapped by a fault-around: folded, old and clean.
    for (uint32_t i = 0; i < n; ++i) {
      const PhysAddr p = EntryAddr(AddrFrame(first), AddrIndex(first) + i);
      memory_.WriteWord(AddrFrame(p), AddrIndex(p),
                        (ReadEntry(p) & ~(kPteAccessed | kPteDirty)) | kPteCont);
    }
  }
}

bool World::SetupMapHugetlbShared(VirtAddr vaddr, uint32_t tlb_cpus) {
  PTFUZZ_CHECK(config_.num_mms == 2 && config_.geometry.IsDefault() && vaddr % kPmdSize == 0);
  FrameId shared = kNoFrame;
  FrameId page = kNoFrame;
  for (uint32_t mm = 0; mm < 2; ++mm) {
    FrameId table = pgd_of(mm);
    for (int position = 3; position > 1; --position) {
      const uint32_t index = IndexAtPosition(vaddr, position);
      uint64_t entry = memory_.ReadWord(table, index);
      if (!EntryPresent(entry)) {
        FrameId next = kNoFrame;
        if (position == 2 && shared != kNoFrame) {
          next = shared;  // huge_pmd_share(): the other mm's PMD table, one more sharer
          ++memory_.mutable_frame(shared).refcount;
        } else {
          next = SetupAlloc(static_cast<int>(config_.geometry.LevelAtPosition(position - 1)));
        }
        if (next == kNoFrame) return false;
        entry = MakeEntry(next, kTableEntryFlags);
        memory_.WriteWord(table, index, entry);
      }
      table = EntryFrame(entry);
    }
    if (shared == kNoFrame) {
      shared = table;
      page = SetupAlloc(-1);
      if (page == kNoFrame) return false;
      memory_.WriteWord(shared, TableIndex(vaddr, PtLevel::kPmd),
                        MakeEntry(page, kAnonHugePmdFlags));
      // The hugetlbfs page cache's reference plus the one entry's (the mms share the entry).
      FrameInfo& info = memory_.mutable_frame(page);
      info.refcount = 2;
      info.external_refs = 1;
      info.mapcount = 1;
      info.mapping = InodeMapping(0);
    }
  }
  mapped_vaddrs_.push_back(vaddr);
  for (Cpu& cpu : cpus_) {
    if (tlb_cpus & (1u << cpu.id)) cpu.tlb.Fill(vaddr, page, memory_.frame(page).generation);
  }
  return true;
}

PhysAddr World::LeafSlot(VirtAddr vaddr, uint32_t mm) const {
  const PtGeometry& g = config_.geometry;
  FrameId table = pgd_of(mm);
  for (int position = g.TopPosition(); position >= 0; --position) {
    const FrameInfo& info = memory_.frame(table);
    if (info.state != FrameState::kPageTable || g.PositionOf(info.level) != position) return 0;
    const PhysAddr slot = EntryAddr(table, IndexAtPosition(vaddr, position));
    if (position == 0) return slot;
    const uint64_t entry = ReadEntry(slot);
    if (!EntryPresent(entry)) return 0;
    if (position == 1 && PmdHuge(entry)) return slot;
    table = EntryFrame(entry);
    if (table >= memory_.num_frames()) return 0;
  }
  return 0;
}

PhysAddr World::SpillLocal(Cpu& cpu, PtLevel level, Loaded value, PhysAddr source) {
  // One frame per level function, the outermost (gup_fast_pgd_range()) highest: the stack grows
  // down. The words between the locals are saved registers and return addresses.
  uint32_t word = 0;
  switch (level) {
    case PtLevel::kPgd:
      word = kStackPgdWord;
      break;
    case PtLevel::kP4d:
      word = kStackPgdWord - kStackFrameWords;
      break;
    case PtLevel::kPud:
      word = kStackPgdWord - 2 * kStackFrameWords;
      break;
    default:
      word = kStackPgdWord - 3 * kStackFrameWords;
      break;
  }
  const PhysAddr addr = EntryAddr(StackFrame(cpu.id), word);
  if (IsStackAddr(source)) source = StackSource(source);
  for (StackWord& w : stack_words_) {
    if (w.addr == addr) {
      w.value = value.value;
      w.dep = value.dep;
      w.source = source;
      return addr;
    }
  }
  stack_words_.push_back({addr, value.value, value.dep, source});
  return addr;
}

PhysAddr World::StackSource(PhysAddr addr) const {
  for (const StackWord& w : stack_words_) {
    if (w.addr == addr) return w.source;
  }
  return kNoSlot;
}

uint64_t ExecuteStackLoad(World& world, Cpu& cpu, const PendingOp& op) {
  return world.StackLoad(cpu, op);
}

uint64_t World::StackLoad(Cpu& cpu, const PendingOp& op) {
  const PhysAddr addr = PtLocEntry(op.addr);
  PTFUZZ_CHECK(AddrFrame(addr) == StackFrame(cpu.id));
  uint64_t value = StackGarbage(addr);
  Dep dep = kNoDep;
  for (const StackWord& w : stack_words_) {
    if (w.addr == addr) {
      value = w.value;
      dep = w.dep;
    }
  }
  TraceEvent ev;
  ev.op = OpKind::kLoad;
  ev.addr = op.addr;
  ev.level = op.level;
  ev.order = op.order;
  ev.old_value = value;
  ev.new_value = value;
  Record(cpu, ev);
  cpu.last_dep = dep;
  return value;
}

int World::NextHwAccess(uint32_t done) const {
  for (size_t i = 0; i < mapped_vaddrs_.size(); ++i) {
    if (done & (1u << i)) continue;
    const PhysAddr p = LeafSlot(mapped_vaddrs_[i]);
    if (p == 0) continue;
    const uint64_t e = ReadEntry(p);
    if (EntryPresent(e) && (e & (kPteAccessed | kPteDirty)) != (kPteAccessed | kPteDirty)) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

uint32_t World::HwAccessStep(CpuId cpu_id, int agent, uint32_t done) {
  const int i = NextHwAccess(done);
  PTFUZZ_CHECK(i >= 0);
  const PhysAddr p = LeafSlot(mapped_vaddrs_[static_cast<size_t>(i)]);
  const uint64_t bits = kPteAccessed | kPteDirty;
  // One atomic update of the descriptor: x86's locked OR (on PAE, of the low word, where the
  // bits live), arm64's hardware AF/DBM update. It is not a CPU store: no store buffer; under the
  // relaxed model an RMW with no ordering.
  const Loc loc = SplitEntries(PtLevel::kPte) ? PtHalfLoc(p, false) : PtEntryLoc(p);
  const uint64_t old = ReadLoc(loc);
  if (relaxed_) relaxed_->Rmw(cpu_id, loc, old, true, old | bits, MemOrder::kRelaxed);
  store_cpu_ = cpu_id;
  store_func_ = &agents_[agent]->func();
  WriteLoc(loc, old | bits);
  TraceEvent ev;
  ev.op = OpKind::kRmw;
  ev.addr = loc;
  ev.level = PtLevel::kPte;
  ev.order = MemOrder::kRelaxed;
  ev.old_value = old;
  ev.new_value = old | bits;
  ev.ok = true;
  RecordAgent(agent, ev);
  return done | (1u << i);
}

void World::HwWalkStep(CpuId cpu_id, int agent, uint32_t walks) {
  Cpu& cpu = cpus_[cpu_id];
  const VirtAddr vaddr = mapped_vaddrs_[walks % mapped_vaddrs_.size()];
  const VirtAddr pmd_start = vaddr & ~(kPmdSize - 1);
  TraceEvent ev;
  ev.op = OpKind::kHwWalk;
  ev.addr = vaddr;
  ev.new_value = kNoFrame;
  FrameId table = kNoFrame;
  if (const PscEntry* cached = cpu.tlb.FindPsc(pmd_start)) {
    // The walk starts at the cached PTE table, without reading the upper levels.
    ev.ok = true;
    table = cached->table;
    const FrameInfo& info = memory_.frame(table);
    if (info.state != FrameState::kPageTable || info.generation != cached->generation) {
      ev.old_value = table;
      RecordAgent(agent, ev);
      const FuncInfo* saved = cpu.func;
      cpu.func = &agents_[agent]->func();
      oracles_.Report(
          cpu, ViolationKind::kWalkerReadsFreedTable,
          absl::StrFormat("cpu %u's hardware walker followed its paging-structure cache for %#x "
                          "to page table f%u (generation %u), which is now %s (generation %u, "
                          "last freed at step %u)",
                          cpu_id, vaddr, table, cached->generation,
                          info.state == FrameState::kFree ? "free" : "reused", info.generation,
                          info.free_step));
      cpu.func = saved;
      return;
    }
  } else {
    ev.ok = false;
    // The walk from the top, atomic 64-bit loads of each level as the MMU does: the live tree's
    // leaf slot (World::LeafSlot()).
    const PhysAddr leaf = LeafSlot(vaddr);
    if (leaf == 0) {
      RecordAgent(agent, ev);
      return;
    }
    table = AddrFrame(leaf);
    if (memory_.frame(table).level != PtLevel::kPte) {
      // A huge leaf: no PTE table to cache.
      const FrameId page = EntryFrame(ReadEntry(leaf));
      ev.old_value = kNoFrame;
      if (page < memory_.num_frames()) {
        cpu.tlb.Fill(vaddr, page, memory_.frame(page).generation);
        ev.new_value = page;
      }
      RecordAgent(agent, ev);
      return;
    }
    cpu.tlb.FillPsc(pmd_start, table, memory_.frame(table).generation);
  }
  ev.old_value = table;
  const uint64_t pte = memory_.ReadWord(table, TableIndex(vaddr, PtLevel::kPte));
  if (EntryPresent(pte) && EntryFrame(pte) < memory_.num_frames()) {
    const FrameId page = EntryFrame(pte);
    cpu.tlb.Fill(vaddr, page, memory_.frame(page).generation);
    ev.new_value = page;
  } else {
    ev.new_value = kNoFrame - 1;  // the table holds no present entry for it
  }
  RecordAgent(agent, ev);
}

void World::SetActor(CpuId cpu, ActorInfo info, Task<void> task, uint32_t mm) {
  PTFUZZ_CHECK(cpu < cpus_.size() && cpus_[cpu].actor < 0 && mm < config_.num_mms);
  cpus_[cpu].mm = mm;
  cpus_[cpu].actor = static_cast<int>(actors_.size());
  actors_.push_back(std::move(info));
  cpus_[cpu].root = std::move(task);
  cpus_[cpu].finished = false;
}

std::string World::AgentName(int agent) const {
  const Agent& a = *agents_[agent];
  if (a.owner() == kMachineAgent) return a.func().name;
  return absl::StrCat(a.func().name, "@cpu", a.owner());
}

std::string World::ActorName(const Cpu& cpu) const {
  if (cpu.actor < 0) return absl::StrCat("idle@cpu", cpu.id);
  return absl::StrCat(actors_[cpu.actor].kind, "@cpu", cpu.id);
}

FrameId World::Translate(VirtAddr vaddr, uint32_t mm) const {
  const PhysAddr slot = LeafSlot(vaddr, mm);
  if (slot == 0) return kNoFrame;
  const uint64_t entry = ReadEntry(slot);
  if (!EntryPresent(entry)) return kNoFrame;
  const FrameId page = EntryFrame(entry);
  if (page >= memory_.num_frames()) return kNoFrame;
  return memory_.frame(page).state == FrameState::kData ? page : kNoFrame;
}

uint32_t World::Decide(DecisionKind kind, uint32_t num_options) {
  PTFUZZ_DCHECK(num_options >= 2);
  const uint32_t answer = decider_.Decide(kind, num_options);
  PTFUZZ_CHECK(answer < num_options);
  tape_.push_back({kind, num_options, answer});
  if (options_.trace_hash) {
    trace_hash_ = MixHash(trace_hash_, (uint64_t{static_cast<uint8_t>(kind)} << 48) |
                                           (uint64_t{num_options} << 24) | answer);
  }
  return answer;
}

namespace {

// The trace hash after `event`: who (CPU), where (kernel function), what (operation, location,
// values, outcome). Two mixing rounds per step: it runs for every step of every execution.
uint64_t HashStep(uint64_t h, const TraceEvent& e) {
  const uint64_t who_what = (uint64_t{e.cpu} << 56) | (uint64_t{static_cast<uint8_t>(e.op)} << 48) |
                            (uint64_t{e.ok} << 40);
  h = MixHash(h ^ e.func->name_hash, who_what ^ std::rotl(e.addr, 23));
  return MixHash(h, e.new_value ^ std::rotl(e.old_value, 31));
}

}  // namespace

void World::Record(Cpu& cpu, TraceEvent event) {
  event.step = step_;
  event.cpu = cpu.id;
  event.actor = cpu.actor;
  event.func = cpu.func ? cpu.func : &kNoFunc;
  if (options_.trace_hash) trace_hash_ = HashStep(trace_hash_, event);
  if (options_.observer != nullptr) options_.observer->OnStep(event, event.func->name_hash);
  if (options_.record_trace) trace_.push_back(event);
}

void World::HoldPin(const Cpu& cpu, VirtAddr vaddr, FrameId page) {
  memory_.mutable_frame(page).external_refs += kGupPinCountingBias;
  oracles_.OnPinHeld(cpu, vaddr, page);
}

void World::GatherEnd(const Cpu& cpu, const MmuGather* tlb) {
  const auto it = std::find(live_gathers_.begin(), live_gathers_.end(), tlb);
  PTFUZZ_CHECK(it != live_gathers_.end());
  live_gathers_.erase(it);
  oracles_.OnTlbFinishMmu(cpu, *tlb);
}

void World::RecordAgent(int agent, TraceEvent event) {
  const Agent& a = *agents_[agent];
  event.step = step_;
  event.cpu = a.owner() == kMachineAgent ? 0 : a.owner();
  event.actor = -1;
  event.agent = agent;
  event.func = &a.func();
  if (options_.trace_hash) trace_hash_ = HashStep(trace_hash_, event);
  if (options_.observer != nullptr) options_.observer->OnStep(event, event.func->name_hash);
  if (options_.record_trace) trace_.push_back(event);
}

void World::ClearOnFree(Cpu& cpu, Loc loc) {
  const uint64_t old = ReadLoc(loc);
  if (old == 0) return;
  if (relaxed_) relaxed_->Store(cpu.id, loc, old, 0, MemOrder::kPlain);
  WriteLoc(loc, 0);
}

void World::FreeFrame(Cpu& cpu, FrameId frame) {
  const FrameInfo& info = memory_.frame(frame);
  if (info.refcount != 0) {
    oracles_.Report(cpu, ViolationKind::kFreeWithReferences,
                    absl::StrFormat("f%u is freed while its refcount is %d", frame, info.refcount));
  }
  oracles_.OnFree(cpu, frame);
  const uint32_t order = info.order;
  // __folio_put() -> folio_undo_large_rmappable(): off the deferred split list (its lock is not
  // modelled here: the scenarios that queue folios check the race before the free).
  ClearOnFree(cpu, DeferredListLoc(frame));
  memory_.Free(frame, step_, cpu.id);
  if (order > 0) {
    // free_pages_prepare() of a large folio: each tail's compound_head is cleared
    // (free_tail_page_prepare()) and the whole block goes back to the allocator.
    memory_.mutable_frame(frame).order = 0;
    for (FrameId tail = frame + 1; tail < frame + (FrameId{1} << order); ++tail) {
      ClearOnFree(cpu, CompoundHeadLoc(tail));
      ClearOnFree(cpu, PageTailLoc(tail));  // the two-word layout: __ClearPageTail() too
      if (memory_.frame(tail).refcount != 0) {
        oracles_.Report(cpu, ViolationKind::kFreeWithReferences,
                        absl::StrFormat("tail f%u of folio f%u is freed with the folio while its "
                                        "refcount is %d",
                                        tail, frame, memory_.frame(tail).refcount));
      }
      oracles_.OnFree(cpu, tail);
      memory_.Free(tail, step_, cpu.id);
    }
  }
  if (relaxed_) {
    // The page allocator's lock (zone->lock / the per-CPU list lock): freeing releases it, so an
    // allocation that hands this frame out later acquires what the freeing CPU did before.
    const uint64_t frees = ReadLoc(LockLoc(kZoneLock));
    relaxed_->Rmw(cpu.id, LockLoc(kZoneLock), frees, true, frees + 1, MemOrder::kRelease);
    WriteLoc(LockLoc(kZoneLock), frees + 1);
  }
}

uint64_t ExecutePendingOp(World& world, Cpu& cpu) { return world.Execute(cpu); }

bool FenceIsStep(const World& world, const Cpu& cpu, FenceKind fence) {
  return world.FenceIsStep(cpu, fence);
}

void ApplyLocalFence(World& world, Cpu& cpu, FenceKind fence) {
  world.ApplyLocalFence(cpu, fence);
}

Dep JoinDepTokens(World& world, const Cpu& cpu, Dep a, Dep b) {
  return world.JoinDeps(cpu, a, b);
}

Dep World::JoinDeps(const Cpu& cpu, Dep a, Dep b) {
  if (!relaxed_) return kNoDep;
  return relaxed_->JoinDeps(cpu.id, a, b);
}

bool World::FenceIsStep(const Cpu& cpu, FenceKind fence) const {
  switch (config_.memory_model) {
    case MemoryModelKind::kSc:
      return false;
    case MemoryModelKind::kTso:
      // mfence waits for the store buffer to drain; smp_rmb / smp_wmb are compiler barriers.
      return IsFullFence(fence) && !store_buffers_[cpu.id].empty();
    case MemoryModelKind::kRelaxed:
      // smp_mb orders this CPU against every other one (the machine-wide view): when it runs
      // relative to them matters. smp_rmb / smp_wmb only reorganize this CPU's own views.
      return IsFullFence(fence);
  }
  return false;
}

void World::ApplyLocalFence(Cpu& cpu, FenceKind fence) {
  if (config_.memory_model == MemoryModelKind::kRelaxed) relaxed_->Fence(cpu.id, fence);
}

void World::FullFence(Cpu& cpu) {
  switch (config_.memory_model) {
    case MemoryModelKind::kSc:
      break;
    case MemoryModelKind::kTso:
      // Every caller waited for the drain (WaitsForDrain) or drains itself (HandleIpis).
      PTFUZZ_CHECK(store_buffers_[cpu.id].empty());
      break;
    case MemoryModelKind::kRelaxed:
      relaxed_->Fence(cpu.id, FenceKind::kMb);
      break;
  }
}

uint64_t World::ReadLoc(Loc loc) const {
  const uint64_t payload = LocPayload(loc);
  switch (LocSpaceOf(loc)) {
    case LocSpace::kPtEntry:
      // A walker that followed garbage loads from memory that does not exist (reported by
      // Oracles::OnTableLoad); it reads as zero.
      if (AddrFrame(payload) >= memory_.num_frames()) return 0;
      return memory_.ReadWord(AddrFrame(payload), AddrIndex(payload));
    case LocSpace::kRefcount:
      return static_cast<uint64_t>(memory_.frame(static_cast<FrameId>(payload)).refcount);
    case LocSpace::kLock:
      return lock_owner_[LockSlot(payload)];
    case LocSpace::kVar:
      return vars_[payload];
    case LocSpace::kMapcount:
      return static_cast<uint64_t>(memory_.frame(static_cast<FrameId>(payload)).mapcount);
    case LocSpace::kAnonExclusive:
      return memory_.frame(static_cast<FrameId>(payload)).anon_exclusive;
    case LocSpace::kMmUsers:
      return mm_users_;
    case LocSpace::kFolioMapping:
      return memory_.frame(static_cast<FrameId>(payload)).mapping;
    case LocSpace::kInode:
      return inode_freed_step_[payload] == kLiveInode ? kShmemAops : kSlabPoison;
    case LocSpace::kTlbFlushPending:
      return tlb_flush_pending_[payload];
    case LocSpace::kWriteProtectSeq:
      return write_protect_seq_[payload];
    case LocSpace::kCompoundHead:
      return memory_.frame(static_cast<FrameId>(payload)).compound_head;
    case LocSpace::kVmemmap:
      return memory_.frame(static_cast<FrameId>(payload)).struct_page_ro;
    case LocSpace::kPageTail:
      return memory_.frame(static_cast<FrameId>(payload)).page_tail;
    case LocSpace::kDeferredList:
      return memory_.frame(static_cast<FrameId>(payload)).deferred_list;
    case LocSpace::kPtHalf: {
      const uint64_t word = memory_.ReadWord(AddrFrame(payload), AddrIndex(payload));
      return PtLocIsHigh(loc) ? EntryHigh(word) : EntryLow(word);
    }
  }
  PTFUZZ_CHECK(false);
  return 0;
}

bool World::MayStillRead(CpuId cpu, Loc loc, const std::function<bool(uint64_t)>& pred) const {
  if (pred(ReadLoc(loc))) return true;  // the newest store is always readable
  if (!relaxed_) return false;
  if (LocSpaceOf(loc) == LocSpace::kPtEntry && config_.arch == Arch::kX86Pae &&
      SplitEntries(memory_.frame(AddrFrame(LocPayload(loc))).level)) {
    // A split entry: any readable low half with any readable high half (an over-approximation,
    // so the oracles that ask never report what the CPU might still have seen).
    const PhysAddr entry = LocPayload(loc);
    std::vector<uint64_t> lows = relaxed_->Readable(cpu, PtHalfLoc(entry, false));
    std::vector<uint64_t> highs = relaxed_->Readable(cpu, PtHalfLoc(entry, true));
    lows.push_back(ReadLoc(PtHalfLoc(entry, false)));
    highs.push_back(ReadLoc(PtHalfLoc(entry, true)));
    for (uint64_t l : lows) {
      for (uint64_t h : highs) {
        if (pred(JoinHalves(l, h))) return true;
      }
    }
    return false;
  }
  for (uint64_t v : relaxed_->Readable(cpu, loc)) {
    if (pred(v)) return true;
  }
  return false;
}

void World::WriteLoc(Loc loc, uint64_t value) {
  const uint64_t payload = LocPayload(loc);
  switch (LocSpaceOf(loc)) {
    case LocSpace::kPtEntry:
      memory_.WriteWord(AddrFrame(payload), AddrIndex(payload), value);
      oracles_.OnTableStore(payload, value);
      return;
    case LocSpace::kRefcount:
      memory_.mutable_frame(static_cast<FrameId>(payload)).refcount = static_cast<int64_t>(value);
      return;
    case LocSpace::kLock:
      lock_owner_[LockSlot(payload)] = static_cast<uint32_t>(value);
      return;
    case LocSpace::kVar:
      vars_[payload] = value;
      return;
    case LocSpace::kMapcount:
      memory_.mutable_frame(static_cast<FrameId>(payload)).mapcount = static_cast<int64_t>(value);
      return;
    case LocSpace::kAnonExclusive:
      memory_.mutable_frame(static_cast<FrameId>(payload)).anon_exclusive = value;
      return;
    case LocSpace::kMmUsers:
      mm_users_ = value;
      return;
    case LocSpace::kFolioMapping:
      memory_.mutable_frame(static_cast<FrameId>(payload)).mapping = value;
      return;
    case LocSpace::kInode:
      // Only a free writes an inode here (the poison of kmem_cache_free()).
      PTFUZZ_CHECK(value == kSlabPoison && inode_freed_step_[payload] == kLiveInode);
      inode_freed_step_[payload] = step_;
      inode_freed_cpu_[payload] = store_cpu_;
      return;
    case LocSpace::kTlbFlushPending:
      tlb_flush_pending_[payload] = value;
      return;
    case LocSpace::kWriteProtectSeq:
      write_protect_seq_[payload] = value;
      return;
    case LocSpace::kCompoundHead:
      memory_.mutable_frame(static_cast<FrameId>(payload)).compound_head = value;
      return;
    case LocSpace::kVmemmap:
      memory_.mutable_frame(static_cast<FrameId>(payload)).struct_page_ro = value;
      return;
    case LocSpace::kPageTail:
      memory_.mutable_frame(static_cast<FrameId>(payload)).page_tail = value;
      return;
    case LocSpace::kDeferredList:
      memory_.mutable_frame(static_cast<FrameId>(payload)).deferred_list = value;
      return;
    case LocSpace::kPtHalf: {
      const PhysAddr entry = PtLocEntry(loc);
      const uint64_t old = ReadEntry(entry);
      const bool high = PtLocIsHigh(loc);
      const uint64_t now = high ? JoinHalves(old, value) : JoinHalves(value, EntryHigh(old));
      memory_.WriteWord(AddrFrame(entry), AddrIndex(entry), now);
      NoteSplitStore(entry, high ? 2 : 1, old, store_cpu_, store_func_);
      oracles_.OnTableStore(entry, now);
      return;
    }
  }
  PTFUZZ_CHECK(false);
}

uint64_t World::ReadEntry(PhysAddr entry) const {
  return memory_.ReadWord(AddrFrame(entry), AddrIndex(entry));
}

void World::NoteSplitStore(PhysAddr entry, uint8_t halves, uint64_t old_value, CpuId cpu,
                           const FuncInfo* func) {
  split_stores_.push_back({entry, halves, old_value, ReadEntry(entry), step_, cpu, func});
}

bool World::EntryExisted(PhysAddr entry, uint64_t value) const {
  bool first = true;
  for (const SplitStore& s : split_stores_) {
    if (s.entry != entry) continue;
    if ((first && s.old_value == value) || s.new_value == value) return true;
    first = false;
  }
  return first && ReadEntry(entry) == value;  // never written: it held its initial value
}

void World::NoteAllocationZeroing(const Cpu& cpu, FrameId frame,
                                  const std::vector<std::pair<uint32_t, uint64_t>>& zeroed) {
  // The halves the allocation's zeroing rewrote, one record per half so that records match the
  // relaxed model's stores one for one (SplitLoadSource counts them back): under the relaxed
  // model every tracked half (RecordAllocationStores stores to each), and any half that was
  // nonzero.
  static constexpr FuncInfo kZeroing{"clear_page (allocation)", "mm/page_alloc.c",
                                     HashName("clear_page (allocation)")};
  std::vector<Loc> halves;
  for (const auto& [index, old] : zeroed) {
    for (const bool high : {false, true}) {
      if ((high ? EntryHigh(old) : EntryLow(old)) != 0) {
        halves.push_back(PtHalfLoc(EntryAddr(frame, index), high));
      }
    }
  }
  if (relaxed_) {
    for (const Loc loc : relaxed_->TrackedIn(PtHalfLoc(EntryAddr(frame, 0), false),
                                             PtHalfLoc(EntryAddr(frame + 1, 0), false))) {
      halves.push_back(loc);
    }
  }
  std::sort(halves.begin(), halves.end());
  halves.erase(std::unique(halves.begin(), halves.end()), halves.end());
  for (const Loc loc : halves) {
    const PhysAddr entry = PtLocEntry(loc);
    uint64_t old = 0;
    for (const auto& [index, value] : zeroed) {
      if (EntryAddr(frame, index) == entry) old = value;
    }
    const bool high = PtLocIsHigh(loc);
    split_stores_.push_back({entry, static_cast<uint8_t>(high ? 2 : 1), old, 0, step_, cpu.id,
                             &kZeroing});
  }
}

int32_t World::SplitLoadSource(const Cpu& cpu, Loc loc, uint64_t value, CpuId writer,
                               uint32_t newer) const {
  const PhysAddr entry = PtLocEntry(loc);
  const bool high = PtLocIsHigh(loc);
  const uint8_t bit = high ? 2 : 1;
  // The store the load read: `newer` stores to this half back from the newest (each store to a
  // half has its record, in coherence order). Before the first record: the initial value.
  uint32_t skip = newer;
  for (size_t i = split_stores_.size(); i > 0; --i) {
    const SplitStore& s = split_stores_[i - 1];
    if (s.entry != entry || (s.halves & bit) == 0) continue;
    if (skip > 0) {
      --skip;
      continue;
    }
    if ((high ? EntryHigh(s.new_value) : EntryLow(s.new_value)) == value) {
      return static_cast<int32_t>(i - 1);
    }
    break;  // out of step with the records: fall back to matching by value
  }
  if (skip > 0 && newer > 0) return -1;  // older than every record: the initial value
  for (size_t i = split_stores_.size(); i > 0; --i) {
    const SplitStore& s = split_stores_[i - 1];
    if (s.entry != entry || (s.halves & bit) == 0) continue;
    if ((high ? EntryHigh(s.new_value) : EntryLow(s.new_value)) != value) continue;
    if (writer != kInitWriter && writer != s.cpu) continue;
    return static_cast<int32_t>(i - 1);
  }
  (void)cpu;
  return -1;
}

uint64_t World::Xchg64(Cpu& cpu, PhysAddr entry, uint64_t value, MemOrder order) {
  // pxx_xchg64(): a try_cmpxchg64() loop (cmpxchg8b), which succeeds once on the newest value:
  // one locked 64-bit exchange. Under TSO the CPU waited for its store buffer (WaitsForDrain).
  // Under the relaxed model it is an RMW on each half, the high half first, whose two stores
  // then carry each other in their message views (RelaxedMemory::PairAtomic): a reader that
  // reads either new half and then, after smp_rmb(), the other half sees this write's other
  // half too, as it must for a single 64-bit write (docs/memory-models.md, split entries).
  const uint64_t old = ReadEntry(entry);
  if (relaxed_) {
    relaxed_->Rmw(cpu.id, PtHalfLoc(entry, true), EntryHigh(old), true, EntryHigh(value), order);
    relaxed_->Rmw(cpu.id, PtHalfLoc(entry, false), EntryLow(old), true, EntryLow(value), order);
    relaxed_->PairAtomic(PtHalfLoc(entry, true), PtHalfLoc(entry, false));
  }
  memory_.WriteWord(AddrFrame(entry), AddrIndex(entry), value);
  NoteSplitStore(entry, 3, old, cpu.id, cpu.func);
  oracles_.OnTableStore(entry, value);
  return old;
}

std::vector<uint32_t> World::PopulatablePteIndices(VirtAddr pmd_start) const {
  std::vector<uint32_t> indices;
  auto add = [&](VirtAddr v) {
    if (v < pmd_start || v >= pmd_start + kPmdSize) return;
    const uint32_t index = TableIndex(v, PtLevel::kPte);
    if (std::find(indices.begin(), indices.end(), index) == indices.end()) {
      indices.push_back(index);
    }
  };
  for (const VirtAddr v : mapped_vaddrs_) add(v);
  for (const ActorInfo& a : actors_) add(a.vaddr);
  std::sort(indices.begin(), indices.end());
  return indices;
}

bool World::RcuCallbackReady(size_t index) const {
  const uint32_t queued = rcu_callbacks_[index].queued;
  for (const Cpu& c : cpus_) {
    if (InRcuReader(c) && c.reader_since <= queued) return false;
  }
  return true;
}

bool World::RcuAgentRunnable(CpuId cpu) const {
  if (rcu_callbacks_.empty()) return false;
  const Cpu& c = cpus_[cpu];
  // Softirqs run with interrupts on, and after the CPU's own buffered stores (a locked RMW).
  if (c.irqs_disabled) return false;
  if (config_.memory_model == MemoryModelKind::kTso && !store_buffers_[cpu].empty()) return false;
  for (size_t i = 0; i < rcu_callbacks_.size(); ++i) {
    if (rcu_callbacks_[i].cpu == cpu) return RcuCallbackReady(i);  // callbacks run in order
  }
  return false;
}

void World::RcuAgentStep(CpuId cpu_id, int agent) {
  size_t i = 0;
  while (rcu_callbacks_[i].cpu != cpu_id) ++i;
  const RcuCallback cb = rcu_callbacks_[i];
  rcu_callbacks_.erase(rcu_callbacks_.begin() + static_cast<std::ptrdiff_t>(i));
  if (cb.inode) {
    RcuFreeInode(cpu_id, agent, cb.table, cb.queued);
    return;
  }
  // The callback (tlb_remove_table_rcu() -> __tlb_remove_table(), or __pte_free_defer()):
  // pagetable_free(), a put of the table page, fully ordered. It runs on `cpu_id`, as its
  // function.
  Cpu& cpu = cpus_[cpu_id];
  // The grace period is over: every CPU has passed a quiescent state, each with a full barrier.
  if (relaxed_) {
    for (const Cpu& c : cpus_) relaxed_->Fence(c.id, FenceKind::kMb);
  }
  static constexpr FuncInfo kCallback{"tlb_remove_table_rcu", "mm/mmu_gather.c",
                                      HashName("tlb_remove_table_rcu")};
  const FuncInfo* saved = cpu.func;
  cpu.func = &kCallback;
  bool ok = false;
  const uint64_t old = RefcountRmw(cpu, cb.table, RmwOp::kAdd, ~uint64_t{0}, 0, MemOrder::kFull, &ok);
  const FrameInfo& f = memory_.frame(cb.table);
  TraceEvent ev;
  ev.op = OpKind::kRcuCallback;
  ev.addr = cb.table;
  ev.old_value = (uint64_t{cb.queued} << 32) | (old & 0xffffffffu);
  ev.new_value = static_cast<uint64_t>(f.refcount);
  RecordAgent(agent, ev);
  oracles_.OnRefPut(cpu, cb.table, f.refcount);
  if (f.refcount == 0 && f.state != FrameState::kFree) FreeFrame(cpu, cb.table);
  cpu.func = saved;
}

void World::RcuFreeInode(CpuId cpu_id, int agent, uint32_t inode, uint32_t queued) {
  // i_callback() -> free_inode_nonrcu() (fs/inode.c): kmem_cache_free(), after the grace period.
  if (relaxed_) {
    for (const Cpu& c : cpus_) relaxed_->Fence(c.id, FenceKind::kMb);
  }
  store_cpu_ = cpu_id;
  store_func_ = &agents_[agent]->func();
  if (relaxed_) {
    relaxed_->Rmw(cpu_id, InodeLoc(inode), kShmemAops, true, kSlabPoison, MemOrder::kRelaxed);
  }
  WriteLoc(InodeLoc(inode), kSlabPoison);
  TraceEvent ev;
  ev.op = OpKind::kRcuCallback;
  ev.addr = InodeLoc(inode);
  ev.old_value = uint64_t{queued} << 32;
  ev.new_value = kSlabPoison;
  RecordAgent(agent, ev);
}

void World::SetupVar(uint32_t index, uint64_t value) {
  PTFUZZ_CHECK(index < vars_.size() && step_ == 0);
  vars_[index] = value;
}

uint64_t World::DoLoad(Cpu& cpu, const PendingOp& op, TraceEvent& ev) {
  switch (config_.memory_model) {
    case MemoryModelKind::kSc: {
      const uint64_t v = ReadLoc(op.addr);
      if (LocSpaceOf(op.addr) == LocSpace::kPtHalf) {
        cpu.last_split_source = SplitLoadSource(cpu, op.addr, v, kInitWriter, 0);
      }
      return v;
    }
    case MemoryModelKind::kTso: {
      if (const std::optional<uint64_t> v = store_buffers_[cpu.id].Forward(op.addr)) {
        ev.via = TraceEvent::Via::kForwarded;
        cpu.last_split_source = -2;
        return *v;
      }
      const uint64_t v = ReadLoc(op.addr);
      if (LocSpaceOf(op.addr) == LocSpace::kPtHalf) {
        cpu.last_split_source = SplitLoadSource(cpu, op.addr, v, kInitWriter, 0);
      }
      return v;
    }
    case MemoryModelKind::kRelaxed: {
      const uint32_t n = relaxed_->LoadOptions(cpu.id, op.addr, ReadLoc(op.addr), op.dep);
      const uint32_t choice = n > 1 ? Decide(DecisionKind::kReadsFrom, n) : 0;
      const RelaxedMemory::LoadResult r =
          relaxed_->Load(cpu.id, op.addr, choice, op.order, op.dep);
      cpu.last_dep = r.dep;
      if (r.newer > 0) {
        ++stale_loads_;
        ev.via = TraceEvent::Via::kStale;
        ev.newer = r.newer;
        ev.writer = r.writer;
      }
      if (LocSpaceOf(op.addr) == LocSpace::kPtHalf) {
        cpu.last_split_source =
            SplitLoadSource(cpu, op.addr, r.value, r.newer > 0 ? r.writer : kInitWriter, r.newer);
      }
      return r.value;
    }
  }
  return 0;
}

uint64_t World::DoStore(Cpu& cpu, const PendingOp& op, TraceEvent& ev) {
  switch (config_.memory_model) {
    case MemoryModelKind::kSc: {
      const uint64_t old = ReadLoc(op.addr);
      WriteLoc(op.addr, op.value);
      return old;
    }
    case MemoryModelKind::kTso: {
      StoreBuffer& sb = store_buffers_[cpu.id];
      const std::optional<uint64_t> fwd = sb.Forward(op.addr);
      const uint64_t old = fwd ? *fwd : ReadLoc(op.addr);
      sb.Push(op.addr, op.value, op.level, cpu.func);
      ++buffered_stores_;
      ev.via = TraceEvent::Via::kBuffered;
      return old;
    }
    case MemoryModelKind::kRelaxed: {
      const uint64_t old = ReadLoc(op.addr);
      relaxed_->Store(cpu.id, op.addr, old, op.value, op.order);
      WriteLoc(op.addr, op.value);
      return old;
    }
  }
  return 0;
}

uint64_t World::DoRmw(Cpu& cpu, Loc loc, RmwOp rmw, uint64_t a, uint64_t b, MemOrder order,
                      bool* success) {
  // Under TSO the CPU waited until its store buffer drained (a locked instruction); under every
  // model the RMW reads and writes the newest value atomically.
  const uint64_t old = ReadLoc(loc);
  uint64_t value = old;
  bool ok = true;
  switch (rmw) {
    case RmwOp::kXchg:
      value = a;
      break;
    case RmwOp::kCmpxchg:
      ok = old == a;
      value = b;
      break;
    case RmwOp::kAdd:
      value = old + a;
      break;
    case RmwOp::kAddUnless:
      ok = old != b;
      value = old + a;
      break;
  }
  if (config_.memory_model == MemoryModelKind::kRelaxed) {
    relaxed_->Rmw(cpu.id, loc, old, ok, value, order);
  }
  if (ok) WriteLoc(loc, value);
  *success = ok;
  return old;
}

FrameId World::AllocFolio(Cpu& cpu, uint32_t order, TraceEvent& ev) {
  const FrameId nr = FrameId{1} << order;
  const std::vector<FrameId> blocks = memory_.FreeAlignedBlocks(order);
  if (blocks.empty()) {
    ev.ok = false;
    return kNoFrame;
  }
  const uint32_t n = static_cast<uint32_t>(blocks.size());
  const FrameId head = blocks[n > 1 ? Decide(DecisionKind::kAllocFrame, n) : 0];
  if (relaxed_) {
    const uint64_t frees = ReadLoc(LockLoc(kZoneLock));
    relaxed_->Rmw(cpu.id, LockLoc(kZoneLock), frees, true, frees, MemOrder::kAcquire);
  }
  for (FrameId i = 0; i < nr; ++i) {
    memory_.Allocate(head + i, FrameState::kData, PtLevel::kPte, step_, cpu.id);
    if (relaxed_) RecordAllocationStores(cpu, head + i);
    if (i == 0) continue;
    // Only the head's count is set (set_page_refcounted()); the tails' stay 0. Their
    // compound_head words are prep_compound_page()'s stores, steps of the caller.
    memory_.mutable_frame(head + i).refcount = 0;
    if (relaxed_) relaxed_->Store(cpu.id, RefcountLoc(head + i), 1, 0, MemOrder::kPlain);
  }
  memory_.mutable_frame(head).order = static_cast<uint8_t>(order);
  large_folios_ = true;
  ev.new_value = head;
  ev.old_value = memory_.frame(head).generation;
  return head;
}

void World::RecordAllocationStores(Cpu& cpu, FrameId frame) {
  // pte_alloc_one() / clear_user_highpage() zero the page, and set_page_refcounted() sets the
  // count: stores by the allocating CPU, which a CPU that has not synchronized with them may not
  // see yet (why pmd_install() has an smp_wmb() before publishing a new table).
  const Loc lo = PtEntryLoc(EntryAddr(frame, 0));
  const Loc hi = PtEntryLoc(EntryAddr(frame + 1, 0));
  for (const Loc loc : relaxed_->TrackedIn(lo, hi)) {
    relaxed_->Store(cpu.id, loc, 0, 0, MemOrder::kPlain);
  }
  relaxed_->Store(cpu.id, RefcountLoc(frame), 0, 1, MemOrder::kPlain);
  for (const Loc loc : relaxed_->TrackedIn(MapcountLoc(frame), MapcountLoc(frame + 1))) {
    relaxed_->Store(cpu.id, loc, 0, 0, MemOrder::kPlain);
  }
  for (const Loc loc : relaxed_->TrackedIn(AnonExclusiveLoc(frame), AnonExclusiveLoc(frame + 1))) {
    relaxed_->Store(cpu.id, loc, 0, 0, MemOrder::kPlain);
  }
  for (const Loc loc : relaxed_->TrackedIn(CompoundHeadLoc(frame), CompoundHeadLoc(frame + 1))) {
    relaxed_->Store(cpu.id, loc, 0, 0, MemOrder::kPlain);
  }
  for (const Loc loc : relaxed_->TrackedIn(PtHalfLoc(EntryAddr(frame, 0), false),
                                           PtHalfLoc(EntryAddr(frame + 1, 0), false))) {
    relaxed_->Store(cpu.id, loc, 0, 0, MemOrder::kPlain);
  }
}

void World::DrainOldest(CpuId cpu_id, int agent) {
  StoreBuffer& sb = store_buffers_[cpu_id];
  PTFUZZ_CHECK(!sb.empty());
  const BufferedStore s = sb.PopOldest();
  TraceEvent ev;
  ev.op = OpKind::kDrain;
  ev.addr = s.loc;
  ev.level = s.level;
  ev.old_value = ReadLoc(s.loc);
  ev.new_value = s.value;
  store_cpu_ = cpu_id;
  store_func_ = s.func;
  WriteLoc(s.loc, s.value);
  RecordAgent(agent, ev);
}

// folio->_refcount RMWs: add (folio_ref_add, folio_put with a = -n) or add unless `unless`
// (folio_try_get). Returns the old count. Under SC they stay inline: the fuzzer's fast path.
inline uint64_t World::RefcountRmw(Cpu& cpu, FrameId frame, RmwOp rmw, uint64_t a, uint64_t unless,
                                   MemOrder order, bool* success) {
  if (cpu.sc) {
    int64_t& count = memory_.mutable_frame(frame).refcount;
    const uint64_t old = static_cast<uint64_t>(count);
    *success = rmw == RmwOp::kAdd || old != unless;
    if (*success) count = static_cast<int64_t>(old + a);
    return old;
  }
  return DoRmw(cpu, RefcountLoc(frame), rmw, a, unless, order, success);
}

uint64_t World::Execute(Cpu& cpu) {
  const PendingOp& op = cpu.pending;
  store_cpu_ = cpu.id;
  store_func_ = cpu.func;
  TraceEvent ev;
  ev.op = op.kind;
  ev.addr = op.addr;
  ev.level = op.level;
  ev.order = op.order;
  uint64_t result = 0;
  switch (op.kind) {
    case OpKind::kLoad: {
      if (LocSpaceOf(op.addr) == LocSpace::kPtEntry) {
        // A protocol reads split entries through their halves (core/protocols/pgtable_pae.h).
        PTFUZZ_CHECK(!SplitEntries(op.level));
        oracles_.OnTableLoad(cpu, AddrFrame(op.addr), op.level);
        // The SC fast path, inline: a page-table entry's Loc is its physical address.
        result = cpu.sc ? ReadLoc(op.addr) : DoLoad(cpu, op, ev);
      } else if (LocSpaceOf(op.addr) == LocSpace::kPtHalf) {
        oracles_.OnTableLoad(cpu, AddrFrame(PtLocEntry(op.addr)), op.level);
        result = DoLoad(cpu, op, ev);
      } else {
        if (LocSpaceOf(op.addr) == LocSpace::kRefcount) {
          oracles_.OnRefcountRead(cpu, static_cast<FrameId>(LocPayload(op.addr)));
        }
        if (LocSpaceOf(op.addr) == LocSpace::kInode) {
          oracles_.OnInodeLoad(cpu, static_cast<uint32_t>(LocPayload(op.addr)));
        }
        result = DoLoad(cpu, op, ev);
      }
      ev.old_value = ev.new_value = result;
      break;
    }
    case OpKind::kStore: {
      if (IsPtLoc(op.addr)) {
        PTFUZZ_CHECK(LocSpaceOf(op.addr) == LocSpace::kPtHalf || !SplitEntries(op.level));
        oracles_.OnTableLoad(cpu, AddrFrame(PtLocEntry(op.addr)), op.level);
      }
      if (LocSpaceOf(op.addr) == LocSpace::kRefcount) {
        CheckStructPageWritable(cpu, static_cast<FrameId>(LocPayload(op.addr)));
      }
      result = DoStore(cpu, op, ev);
      ev.old_value = result;
      ev.new_value = op.value;
      break;
    }
    case OpKind::kXchg:
    case OpKind::kRmw: {
      if (IsPtLoc(op.addr)) {
        oracles_.OnTableLoad(cpu, AddrFrame(PtLocEntry(op.addr)), op.level);
      }
      if (op.kind == OpKind::kXchg && LocSpaceOf(op.addr) == LocSpace::kPtEntry &&
          SplitEntries(op.level)) {
        result = Xchg64(cpu, op.addr, op.value, op.order);
        ev.old_value = result;
        ev.new_value = op.value;
        ev.ok = true;
        break;
      }
      const RmwOp rmw = op.kind == OpKind::kXchg ? RmwOp::kXchg : op.rmw;
      if (LocSpaceOf(op.addr) == LocSpace::kRefcount) {
        // A locked cmpxchg writes even when it fails (and arm64's CAS needs write permission).
        CheckStructPageWritable(cpu, static_cast<FrameId>(LocPayload(op.addr)));
      }
      bool ok = false;
      result = DoRmw(cpu, op.addr, rmw, op.value, op.value2, op.order, &ok);
      ev.old_value = result;
      ev.new_value = ReadLoc(op.addr);
      ev.ok = ok;
      break;
    }
    case OpKind::kRefTryAdd: {
      // folio_ref_try_add() -> atomic_add_unless(&folio->_refcount, n, 0): fully ordered when it
      // succeeds (include/linux/page_ref.h).
      bool ok = false;
      const FrameId frame = static_cast<FrameId>(op.addr);
      CheckStructPageWritable(cpu, frame);
      ev.old_value = RefcountRmw(cpu, frame, RmwOp::kAddUnless, op.value, 0, op.order, &ok);
      ev.ok = ok;
      result = ok ? 1 : 0;
      ev.new_value = static_cast<uint64_t>(memory_.frame(frame).refcount);
      break;
    }
    case OpKind::kRefAdd: {
      const FrameId frame = static_cast<FrameId>(op.addr);
      CheckStructPageWritable(cpu, frame);
      oracles_.OnRefAdd(cpu, frame, memory_.frame(frame).refcount);
      bool ok = false;
      ev.old_value = RefcountRmw(cpu, frame, RmwOp::kAdd, op.value, 0, op.order, &ok);
      ev.new_value = static_cast<uint64_t>(memory_.frame(frame).refcount);
      break;
    }
    case OpKind::kRefPut: {
      const FrameId frame = static_cast<FrameId>(op.addr);
      CheckStructPageWritable(cpu, frame);
      bool ok = false;
      ev.old_value =
          RefcountRmw(cpu, frame, RmwOp::kAdd, uint64_t{0} - op.value, 0, op.order, &ok);
      const FrameInfo& f = memory_.frame(frame);
      ev.new_value = static_cast<uint64_t>(f.refcount);
      Record(cpu, ev);
      oracles_.OnRefPut(cpu, frame, f.refcount);
      // folio_put(): the last reference frees the folio (__folio_put -> free_unref_page).
      if (f.refcount == 0 && f.state != FrameState::kFree) {
        FreeFrame(cpu, frame);
        return 1;
      }
      return 0;
    }
    case OpKind::kFence:
      // Reached only when FenceIsStep(): TSO waited for the drain; relaxed publishes its views.
      ev.fence = op.fence;
      if (config_.memory_model == MemoryModelKind::kRelaxed) relaxed_->Fence(cpu.id, op.fence);
      break;
    case OpKind::kIrqDisable:
      cpu.irqs_disabled = true;
      UpdateRcuReader(cpu);
      break;
    case OpKind::kIrqEnable:
      cpu.irqs_disabled = false;
      UpdateRcuReader(cpu);
      break;
    case OpKind::kCallRcu:
      // The grace period orders everything the updater did before call_rcu() before the
      // callback and before every read-side section that begins after it: a full barrier here
      // (stronger than call_rcu() itself, never weaker than the guarantee).
      FullFence(cpu);
      rcu_callbacks_.push_back({cpu.id, static_cast<FrameId>(op.addr), op.value != 0, step_});
      if (op.value != 0) ev.addr = InodeLoc(static_cast<uint32_t>(op.addr));
      if (!rcu_used_) {
        rcu_used_ = true;
        ++agents_epoch_;  // the rcu agents join the runner list
      }
      break;
    case OpKind::kSpinLock: {
      // Runnable() held this CPU back while the lock word was not 0 (and, under TSO, while its
      // store buffer was not empty: arch_spin_lock() is a locked RMW).
      PTFUZZ_CHECK(ReadLoc(op.addr) == 0);
      if (LocSpaceOf(op.addr) == LocSpace::kLock && LocPayload(op.addr) < memory_.num_frames()) {
        // A split page-table lock lives in the table's struct ptdesc: taking it on a page that
        // is no longer a page table is a use after free (ptlock_ptr(), include/linux/mm.h).
        const FrameId table = static_cast<FrameId>(LocPayload(op.addr));
        const FrameInfo& info = memory_.frame(table);
        if (info.state != FrameState::kPageTable) {
          oracles_.Report(
              cpu, ViolationKind::kWalkerReadsFreedTable,
              absl::StrFormat("spin_lock() of the page-table lock of f%u, which is %s "
                              "(generation %u, last freed at step %u by cpu %u)",
                              table, info.state == FrameState::kFree ? "free" : "a data page",
                              info.generation, info.free_step, info.free_cpu));
        }
      }
      if (config_.memory_model == MemoryModelKind::kRelaxed) {
        // An acquire RMW on the lock word that reads it free.
        relaxed_->Lock(cpu.id, op.addr, cpu.id + 1);
      }
      WriteLoc(op.addr, cpu.id + 1);
      if (LocSpaceOf(op.addr) != LocSpace::kLock || LockDisablesPreemption(LocPayload(op.addr))) {
        ++cpu.spinlocks_held;
        UpdateRcuReader(cpu);
      }
      break;
    }
    case OpKind::kSpinUnlock: {
      PTFUZZ_CHECK(ReadLoc(op.addr) == cpu.id + 1);
      if (LocSpaceOf(op.addr) != LocSpace::kLock || LockDisablesPreemption(LocPayload(op.addr))) {
        PTFUZZ_CHECK(cpu.spinlocks_held > 0);
        --cpu.spinlocks_held;
        UpdateRcuReader(cpu);
      }
      switch (config_.memory_model) {
        case MemoryModelKind::kSc:
          WriteLoc(op.addr, 0);
          break;
        case MemoryModelKind::kTso:
          // x86 spin_unlock is a plain store (a release under TSO): it waits in the buffer.
          store_buffers_[cpu.id].Push(op.addr, 0, PtLevel::kPte, cpu.func);
          ++buffered_stores_;
          ev.via = TraceEvent::Via::kBuffered;
          break;
        case MemoryModelKind::kRelaxed:
          relaxed_->Unlock(cpu.id, op.addr, cpu.id + 1);
          WriteLoc(op.addr, 0);
          break;
      }
      break;
    }
    case OpKind::kIpiSend: {
      // One flush IPI outstanding per sender: smp_call_function_many() waits before returning.
      // Sending is fully ordered: the x2APIC ICR write is preceded by a fence
      // (weak_wrmsr_fence()), and the call-function data is published with release semantics.
      PTFUZZ_CHECK(cpu.ipi_waiting_on == 0);
      FullFence(cpu);
      uint32_t mask = 0;
      // A flush (a range) goes to mm_cpumask(mm); tlb_remove_table_sync_one() (no range) to
      // every CPU.
      const bool flush = op.addr != 0 || op.value != 0;
      for (Cpu& other : cpus_) {
        if (other.id == cpu.id || (flush && other.mm != cpu.mm)) continue;
        other.ipi_pending_from |= 1u << cpu.id;
        mask |= 1u << other.id;
      }
      cpu.ipi_waiting_on = mask;
      cpu.ipi_flush_start = op.addr;
      cpu.ipi_flush_end = op.value;
      ev.addr = mask;
      ev.new_value = op.addr;
      ev.old_value = op.value;
      break;
    }
    case OpKind::kIpiWait:
      PTFUZZ_CHECK(cpu.ipi_waiting_on == 0);  // Runnable() held this CPU back until then
      // csd_lock_wait(): an acquire of every target's completion; modelled as a full barrier.
      FullFence(cpu);
      break;
    case OpKind::kTlbFlushLocal:
      ev.new_value = cpu.tlb.FlushRange(op.addr, op.value);
      ev.old_value = op.value;
      break;
    case OpKind::kTlbFlushBroadcast: {
      // arm64 __flush_tlb_range(): DSB ISHST before the TLBIs (the cleared entries are visible
      // to every walker first) and DSB ISH after; x86 INVLPGB + TLBSYNC serialize likewise.
      FullFence(cpu);
      uint32_t dropped = 0;
      for (Cpu& c : cpus_) dropped += c.tlb.FlushRange(op.addr, op.value);
      ev.new_value = dropped;
      ev.old_value = op.value;
      break;
    }
    case OpKind::kAllocPage: {
      if (op.value2 != 0) {
        result = AllocFolio(cpu, static_cast<uint32_t>(op.value2), ev);
        break;
      }
      const int64_t level = static_cast<int64_t>(op.value);
      const uint32_t n = memory_.num_free();
      if (n == 0) {
        ev.ok = false;
        result = kNoFrame;
        break;
      }
      const uint32_t option = n > 1 ? Decide(DecisionKind::kAllocFrame, n) : 0;
      const FrameId f = memory_.FreeFrameOption(option);
      std::vector<std::pair<uint32_t, uint64_t>> zeroed;  // split entries: what zeroing wiped
      if (config_.arch == Arch::kX86Pae) zeroed = memory_.NonZeroWords(f);
      memory_.Allocate(f, level < 0 ? FrameState::kData : FrameState::kPageTable,
                       level < 0 ? PtLevel::kPte : static_cast<PtLevel>(level), step_, cpu.id);
      if (config_.arch == Arch::kX86Pae) NoteAllocationZeroing(cpu, f, zeroed);
      if (relaxed_) {
        // Acquire the allocator's lock word (see FreeFrame), then the zeroing stores.
        const uint64_t frees = ReadLoc(LockLoc(kZoneLock));
        relaxed_->Rmw(cpu.id, LockLoc(kZoneLock), frees, true, frees, MemOrder::kAcquire);
        RecordAllocationStores(cpu, f);
      }
      ev.new_value = f;
      ev.old_value = memory_.frame(f).generation;
      result = f;
      break;
    }
    case OpKind::kTlbFill: {
      // The hardware walker reads the page tables as memory holds them (its loads are atomic and
      // see the coherence-newest entries). Under TSO the CPU first returned to user mode, which
      // serializes (WaitsForDrain): its own buffered stores are in memory.
      const FrameId f = Translate(op.addr);
      if (f == kNoFrame) {
        ev.ok = false;
        result = kNoFrame;
      } else {
        cpu.tlb.Fill(op.addr, f, memory_.frame(f).generation);
        ev.new_value = f;
        result = f;
      }
      break;
    }
    case OpKind::kWaitChange:
      ev.old_value = op.value;
      ev.new_value = ReadLoc(op.addr);
      cpu.wait_set.clear();
      break;
    case OpKind::kSynchronizeRcu:
      // Runnable() waited for the grace period. What every reader did in its section is
      // visible to the updater now, and what the updater did before the call to every section
      // that began after it (kernel/rcu/tree.c's memory-ordering guarantees): full barriers.
      PTFUZZ_CHECK(!InRcuReader(cpu));
      if (relaxed_) {
        for (const Cpu& c : cpus_) relaxed_->Fence(c.id, FenceKind::kMb);
      }
      FullFence(cpu);
      ev.old_value = op.value;
      break;
    case OpKind::kIpiHandle:
    case OpKind::kDrain:
    case OpKind::kRcuCallback:
    case OpKind::kHwWalk:
      PTFUZZ_CHECK(false);  // never pending: HandleIpis() / the agents run them
  }
  Record(cpu, ev);
  return result;
}

void World::HandleIpis(Cpu& cpu) {
  // flush_tlb_func() for every CPU whose IPI is pending here, in CPU order, then acknowledge.
  const FuncInfo* saved = cpu.func;
  // A sync IPI (tlb_remove_table_sync_one(): empty range) runs a handler that does nothing.
  static constexpr FuncInfo kSyncFunc{"tlb_remove_table_smp_sync", "mm/mmu_gather.c",
                                      HashName("tlb_remove_table_smp_sync")};
  bool flushes = false;
  for (const Cpu& sender : cpus_) {
    if ((cpu.ipi_pending_from & (1u << sender.id)) != 0 &&
        sender.ipi_flush_end > sender.ipi_flush_start) {
      flushes = true;
    }
  }
  cpu.func = flushes ? &kFlushTlbFunc : &kSyncFunc;
  // Taking the interrupt serializes: under TSO the CPU's buffered stores reach memory first;
  // under the relaxed model the handler's completion (csd_unlock(), a release) and the
  // initiator's wait are modelled as full barriers.
  if (config_.memory_model == MemoryModelKind::kTso) {
    while (!store_buffers_[cpu.id].empty()) DrainOldest(cpu.id, StoreBufferAgentOf(cpu.id));
  }
  FullFence(cpu);
  TraceEvent ev;
  ev.op = OpKind::kIpiHandle;
  ev.addr = cpu.ipi_pending_from;
  uint32_t dropped = 0;
  for (Cpu& sender : cpus_) {
    const uint32_t bit = 1u << sender.id;
    if ((cpu.ipi_pending_from & bit) == 0) continue;
    dropped += cpu.tlb.FlushRange(sender.ipi_flush_start, sender.ipi_flush_end);
    sender.ipi_waiting_on &= ~(1u << cpu.id);
  }
  cpu.ipi_pending_from = 0;
  ev.new_value = dropped;
  Record(cpu, ev);
  cpu.func = saved;
}

bool World::WaitsForDrain(const Cpu& cpu) const {
  if (store_buffers_[cpu.id].empty()) return false;
  switch (cpu.pending.kind) {
    case OpKind::kFence:  // mfence
    case OpKind::kXchg:   // lock-prefixed instructions
    case OpKind::kRmw:
    case OpKind::kRefTryAdd:
    case OpKind::kRefAdd:
    case OpKind::kRefPut:
    case OpKind::kSpinLock:
    case OpKind::kIpiSend:            // the ICR write is fenced
    case OpKind::kIpiWait:            // csd_lock_wait() then returns through fenced code
    case OpKind::kAllocPage:          // the zone / per-CPU list lock is a locked RMW
    case OpKind::kSynchronizeRcu:     // a full barrier
    case OpKind::kTlbFlushLocal:      // INVLPG and CR3 writes are serializing instructions
    case OpKind::kTlbFlushBroadcast:  // INVLPGB/TLBSYNC, or a paravirt hypercall: serializing
    case OpKind::kTlbFill:            // the return to user mode (iret/sysret) serializes
    case OpKind::kCallRcu:            // World::Execute: a full barrier
      return true;
    default:
      return false;
  }
}

bool World::Runnable(const Cpu& cpu) const {
  if (cpu.ipi_pending_from != 0 && !cpu.irqs_disabled) return true;
  if (cpu.finished) return false;
  if (config_.memory_model == MemoryModelKind::kTso && WaitsForDrain(cpu)) return false;
  switch (cpu.pending.kind) {
    case OpKind::kSpinLock:
      return ReadLoc(cpu.pending.addr) == 0;
    case OpKind::kIpiWait:
      return cpu.ipi_waiting_on == 0;
    case OpKind::kSynchronizeRcu:
      // The grace period: every other CPU outside a read-side section, or in one that began
      // after the call.
      for (const Cpu& c : cpus_) {
        if (c.id != cpu.id && InRcuReader(c) && c.reader_since <= cpu.pending.value) return false;
      }
      return true;
    case OpKind::kWaitChange:
      for (const auto& [loc, seen] : cpu.wait_set) {
        if (ReadLoc(loc) != seen) return true;
        if (relaxed_) {
          for (uint64_t v : relaxed_->Readable(cpu.id, loc)) {
            if (v != seen) return true;
          }
        }
      }
      return false;
    default:
      return true;
  }
}

void World::ReportDeadlock() {
  std::string why;
  for (const Cpu& cpu : cpus_) {
    if (cpu.finished) continue;
    absl::StrAppend(&why, why.empty() ? "" : "; ", ActorName(cpu), " in ",
                    cpu.func ? cpu.func->name : "?");
    if (cpu.pending.kind == OpKind::kIpiWait) {
      absl::StrAppend(&why, " waits for its flush IPI to be handled by cpus");
      for (const Cpu& t : cpus_) {
        if (cpu.ipi_waiting_on & (1u << t.id)) {
          absl::StrAppend(&why, " ", t.id, t.irqs_disabled ? " (interrupts off)" : "");
        }
      }
    } else if (cpu.pending.kind == OpKind::kSynchronizeRcu) {
      absl::StrAppend(&why, " waits for a grace period");
    } else if (cpu.pending.kind == OpKind::kSpinLock) {
      absl::StrAppend(&why, " spins on a lock held by cpu ", ReadLoc(cpu.pending.addr) - 1);
    }
  }
  oracles_.ReportGlobal(ViolationKind::kDeadlock,
                        absl::StrCat("no CPU can make progress: ", why));
}

RunResult World::Run() {
  RunResult result;
  // Run each actor's CPU-local prologue up to its first shared operation. No shared state is
  // touched, so the order does not matter and no step is taken.
  for (Cpu& cpu : cpus_) {
    if (cpu.finished) continue;
    cpu.root.handle().resume();
    if (cpu.root.done()) cpu.finished = true;
  }
  // The runners, in schedule order: each CPU followed by its listed agents, then listed machine
  // agents. A runner r >= 0 is CPU r; r < 0 is agent ~r. Without listed agents (SC, relaxed)
  // this is the CPUs. Rebuilt when the set of listed agents changes (agents_epoch_).
  // At most 32 CPUs (checked at construction) and a handful of agents each.
  constexpr size_t kMaxRunners = 128;
  PTFUZZ_CHECK(cpus_.size() + agents_.size() <= kMaxRunners);
  int runners[kMaxRunners];
  const bool wants_options = decider_.WantsScheduleOptions();
  // For an agent of a CPU: the position of that CPU (where the cyclic order resumes once the
  // agent has nothing left to do); for everything else, its own position.
  uint32_t home[kMaxRunners];
  uint32_t n = 0;
  bool have_agents = false;
  uint32_t built_epoch = 0;
  auto build_runners = [&] {
    n = 0;
    for (const Cpu& cpu : cpus_) {
      const uint32_t cpu_pos = n;
      home[n] = n;
      runners[n++] = static_cast<int>(cpu.id);
      for (size_t a = 0; a < agents_.size(); ++a) {
        if (agents_[a]->owner() != cpu.id || !agents_[a]->Listed(*this)) continue;
        home[n] = cpu_pos;
        runners[n++] = ~static_cast<int>(a);
      }
    }
    for (size_t a = 0; a < agents_.size(); ++a) {
      if (agents_[a]->owner() != kMachineAgent || !agents_[a]->Listed(*this)) continue;
      home[n] = n;
      runners[n++] = ~static_cast<int>(a);
    }
    have_agents = n > cpus_.size();
    built_epoch = agents_epoch_;
  };
  build_runners();
  auto runnable = [&](int r) {
    return !have_agents || r >= 0 ? Runnable(cpus_[r]) : agents_[~r]->Runnable(*this);
  };
  uint32_t options[kMaxRunners];  // positions in `runners`
  uint32_t last = 0;  // position in `runners` of the previous step's runner
  bool have_last = false;
  for (;;) {
    if (built_epoch != agents_epoch_) {
      // Newly listed agents: the same runners in the same order, plus them; `last` keeps naming
      // the runner that took the previous step.
      const int last_runner = runners[last];
      build_runners();
      for (uint32_t pos = 0; pos < n; ++pos) {
        if (runners[pos] == last_runner) last = pos;
      }
    }
    // A divergence invalidates everything after it, including a violation in the same step.
    if (!decider_.status().ok()) {
      result.outcome = Outcome::kDivergence;
      result.divergence = decider_.status();
      break;
    }
    if (oracles_.violation()) {
      result.outcome = Outcome::kViolation;
      break;
    }
    // Options: the previous runner first when runnable, then cyclic order after it. A CPU's
    // agent that has run dry hands back to its CPU: after a CPU waited for its store buffer to
    // drain, option 0 is that CPU again, not the next one.
    uint32_t start = last;
    if (have_agents && runners[last] < 0 && !runnable(runners[last])) start = home[last];
    uint32_t num_options = 0;
    bool last_runnable = false;
    for (uint32_t k = 0, pos = start; k < n; ++k, pos = pos + 1 == n ? 0 : pos + 1) {
      if (runnable(runners[pos])) {
        options[num_options++] = pos;
        last_runnable |= pos == last;
      }
    }
    if (num_options == 0) {
      bool all_finished = true;
      for (const Cpu& c : cpus_) all_finished &= c.finished;
      if (all_finished) {
        oracles_.OnRunEnd();
        result.outcome = oracles_.violation() ? Outcome::kViolation : Outcome::kClean;
        break;
      }
      ReportDeadlock();
      continue;
    }
    if (step_ >= options_.max_steps) {
      result.outcome = Outcome::kStepBound;
      break;
    }
    if (num_options > 1 && wants_options) {
      uint32_t ids[kMaxRunners];
      uint64_t accesses[kMaxRunners];
      for (uint32_t i = 0; i < num_options; ++i) {
        const int r = runners[options[i]];
        ids[i] = r >= 0 ? static_cast<uint32_t>(r) : Decider::kAgentRunnerBase + ~r;
        accesses[i] = r >= 0 ? PendingAccess(cpus_[r]) : 0;
      }
      decider_.OnScheduleOptions(absl::MakeConstSpan(ids, num_options),
                                 absl::MakeConstSpan(accesses, num_options));
    }
    const uint32_t choice = num_options > 1 ? Decide(DecisionKind::kSchedule, num_options) : 0;
    const uint32_t pos = options[choice];
    if (have_last && pos != last) {
      ++result.context_switches;
      if (last_runnable) ++result.preemptions;
    }
    last = pos;
    have_last = true;
    if (step_ == options_.break_at_step && options_.on_break != nullptr) {
      options_.on_break(step_);
    }
    const int r = runners[pos];
    if (have_agents && r < 0) {
      agents_[~r]->Step(*this);
      ++step_;
      continue;
    }
    Cpu& cpu = cpus_[r];
    if (cpu.ipi_pending_from != 0 && !cpu.irqs_disabled) {
      HandleIpis(cpu);
    } else {
      std::coroutine_handle<> h = std::exchange(cpu.resume_point, {});
      PTFUZZ_CHECK(h);
      h.resume();
      if (cpu.root.done()) cpu.finished = true;
    }
    ++step_;
  }
  // However the run ended, a strict replay must have used its tape exactly.
  if (result.outcome != Outcome::kDivergence) {
    if (const absl::Status st = decider_.Finish(); !st.ok()) {
      result.outcome = Outcome::kDivergence;
      result.divergence = st;
    }
  }
  result.steps = step_;
  result.stale_loads = stale_loads_;
  result.buffered_stores = buffered_stores_;
  result.violation = oracles_.violation();
  result.trace_hash = trace_hash_;
  if (options_.state_digest) result.state_digest = StateDigest();
  result.tape = std::move(tape_);
  if (options_.record_trace) result.trace = std::move(trace_);
  return result;
}

uint64_t World::PendingAccess(const Cpu& cpu) {
  if (cpu.ipi_pending_from != 0 && !cpu.irqs_disabled) return 0;
  const PendingOp& op = cpu.pending;
  switch (op.kind) {
    case OpKind::kLoad:
      return Decider::AccessKey(op.addr, false);
    case OpKind::kStore:
    case OpKind::kXchg:
    case OpKind::kRmw:
      return Decider::AccessKey(op.addr, true);
    case OpKind::kRefTryAdd:
    case OpKind::kRefAdd:
    case OpKind::kRefPut:
      return Decider::AccessKey(RefcountLoc(static_cast<FrameId>(op.addr)), true);
    default:
      return 0;
  }
}

uint64_t World::StateDigest() const {
  uint64_t h = MixHash(0, trace_hash_);
  for (FrameId f = 0; f < memory_.num_frames(); ++f) {
    const FrameInfo& info = memory_.frame(f);
    h = MixHash(h, (uint64_t{static_cast<uint8_t>(info.state)} << 56) |
                       (uint64_t{static_cast<uint8_t>(info.level)} << 48) | info.generation);
    h = MixHash(h, static_cast<uint64_t>(info.refcount));
    h = MixHash(h, static_cast<uint64_t>(info.mapcount) ^ (info.anon_exclusive << 62));
    // Only large folios have these (the digests of runs without any stay as they were).
    if (info.compound_head != 0 || info.order != 0 || info.struct_page_ro != 0 ||
        info.page_tail != 0 || info.deferred_list != 0) {
      h = MixHash(h, info.compound_head ^ (uint64_t{info.order} << 56) ^
                         (info.struct_page_ro << 48) ^ (info.page_tail << 40) ^
                         (info.deferred_list << 32));
    }
    if (info.state == FrameState::kPageTable) {
      for (const auto& [index, value] : memory_.NonZeroWords(f)) {
        h = MixHash(MixHash(h, index), value);
      }
    }
  }
  for (const Cpu& cpu : cpus_) {
    for (const TlbEntry& e : cpu.tlb.entries()) {
      h = MixHash(MixHash(MixHash(h, cpu.id), e.vaddr), e.frame);
    }
  }
  for (const auto& [pmdp, f] : deposited_) h = MixHash(MixHash(h, pmdp), 0xde9051700000000 | f);
  for (const CanonicalDecision& d : tape_) {
    h = MixHash(h, (uint64_t{static_cast<uint8_t>(d.kind)} << 48) |
                       (uint64_t{d.num_options} << 24) | d.value);
  }
  return h;
}

}  // namespace ptfuzz

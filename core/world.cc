#include "core/world.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/str_format.h"
#include "core/check.h"

namespace ptfuzz {

namespace {
// The FuncInfo of work that is not in any actor's code: the IPI handler on the target CPU.
constexpr FuncInfo kFlushTlbFunc{"flush_tlb_func", "arch/x86/mm/tlb.c",
                                 HashName("flush_tlb_func")};
constexpr FuncInfo kNoFunc{"(idle)", "", HashName("(idle)")};
}  // namespace

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
      lock_owner_(config.num_frames + 1, 0),
      oracles_(*this) {
  PTFUZZ_CHECK(config.num_cpus >= 1 && config.num_cpus <= 32);
  tape_.reserve(64);
  for (uint32_t i = 0; i < cpus_.size(); ++i) {
    cpus_[i].world = this;
    cpus_[i].id = i;
  }
  pgd_ = SetupAlloc(static_cast<int>(PtLevel::kPgd));
  PTFUZZ_CHECK(pgd_ != kNoFrame);
}

World::~World() = default;

FrameId World::SetupAlloc(int level) {
  if (memory_.num_free() == 0) return kNoFrame;
  const FrameId f = memory_.FreeFrameOption(0);
  memory_.Allocate(f, level < 0 ? FrameState::kData : FrameState::kPageTable,
                   level < 0 ? PtLevel::kPte : static_cast<PtLevel>(level), 0, 0);
  return f;
}

bool World::SetupMapAnonPage(VirtAddr vaddr, uint32_t tlb_cpus) {
  FrameId table = pgd_;
  for (int level = static_cast<int>(PtLevel::kPgd); level > 0; --level) {
    const uint32_t index = TableIndex(vaddr, static_cast<PtLevel>(level));
    uint64_t entry = memory_.ReadWord(table, index);
    if (!EntryPresent(entry)) {
      const FrameId next = SetupAlloc(level - 1);
      if (next == kNoFrame) return false;
      entry = MakeEntry(next, kTableEntryFlags);
      memory_.WriteWord(table, index, entry);
    }
    table = EntryFrame(entry);
  }
  const uint32_t index = TableIndex(vaddr, PtLevel::kPte);
  if (EntryPresent(memory_.ReadWord(table, index))) return true;  // already mapped
  const FrameId page = SetupAlloc(-1);
  if (page == kNoFrame) return false;
  memory_.WriteWord(table, index, MakeEntry(page, kAnonPteFlags));
  for (Cpu& cpu : cpus_) {
    if (tlb_cpus & (1u << cpu.id)) cpu.tlb.Fill(vaddr, page, memory_.frame(page).generation);
  }
  return true;
}

void World::SetActor(CpuId cpu, ActorInfo info, Task<void> task) {
  PTFUZZ_CHECK(cpu < cpus_.size() && cpus_[cpu].actor < 0);
  cpus_[cpu].actor = static_cast<int>(actors_.size());
  actors_.push_back(std::move(info));
  cpus_[cpu].root = std::move(task);
  cpus_[cpu].finished = false;
}

std::string World::ActorName(const Cpu& cpu) const {
  if (cpu.actor < 0) return absl::StrCat("idle@cpu", cpu.id);
  return absl::StrCat(actors_[cpu.actor].kind, "@cpu", cpu.id);
}

FrameId World::Translate(VirtAddr vaddr) const {
  FrameId table = pgd_;
  for (int level = static_cast<int>(PtLevel::kPgd); level >= 0; --level) {
    const FrameInfo& info = memory_.frame(table);
    if (info.state != FrameState::kPageTable || static_cast<int>(info.level) != level) {
      return kNoFrame;
    }
    const uint64_t entry = memory_.ReadWord(table, TableIndex(vaddr, static_cast<PtLevel>(level)));
    if (!EntryPresent(entry)) return kNoFrame;
    table = EntryFrame(entry);
    if (table >= memory_.num_frames()) return kNoFrame;
  }
  return memory_.frame(table).state == FrameState::kData ? table : kNoFrame;
}

uint32_t World::Decide(DecisionKind kind, uint32_t num_options) {
  PTFUZZ_DCHECK(num_options >= 2);
  const uint32_t answer = decider_.Decide(kind, num_options);
  PTFUZZ_CHECK(answer < num_options);
  tape_.push_back({kind, num_options, answer});
  trace_hash_ = MixHash(trace_hash_, (uint64_t{static_cast<uint8_t>(kind)} << 48) |
                                         (uint64_t{num_options} << 24) | answer);
  return answer;
}

void World::Record(Cpu& cpu, TraceEvent event) {
  event.step = step_;
  event.cpu = cpu.id;
  event.actor = cpu.actor;
  event.func = cpu.func ? cpu.func : &kNoFunc;
  uint64_t h = MixHash(trace_hash_, event.func->name_hash);
  h = MixHash(h, (uint64_t{cpu.id} << 8) | static_cast<uint8_t>(event.op));
  h = MixHash(h, event.addr);
  trace_hash_ = MixHash(h, event.new_value ^ (event.old_value << 1) ^ event.ok);
  if (options_.observer != nullptr) options_.observer->OnStep(event, event.func->name_hash);
  if (options_.record_trace) trace_.push_back(event);
}

void World::FreeFrame(Cpu& cpu, FrameId frame) {
  const FrameInfo& info = memory_.frame(frame);
  if (info.refcount != 0) {
    oracles_.Report(cpu, ViolationKind::kFreeWithReferences,
                    absl::StrFormat("f%u is freed while its refcount is %d", frame, info.refcount));
  }
  oracles_.OnFree(cpu, frame);
  memory_.Free(frame, step_, cpu.id);
}

uint64_t ExecutePendingOp(World& world, Cpu& cpu) { return world.Execute(cpu); }

uint64_t World::Execute(Cpu& cpu) {
  const PendingOp op = cpu.pending;
  TraceEvent ev;
  ev.op = op.kind;
  ev.addr = op.addr;
  ev.level = op.level;
  uint64_t result = 0;
  switch (op.kind) {
    case OpKind::kLoad: {
      const FrameId table = AddrFrame(op.addr);
      oracles_.OnTableLoad(cpu, table, op.level);
      result = memory_.ReadWord(table, AddrIndex(op.addr));
      ev.old_value = ev.new_value = result;
      break;
    }
    case OpKind::kStore:
    case OpKind::kXchg: {
      const FrameId table = AddrFrame(op.addr);
      oracles_.OnTableLoad(cpu, table, op.level);
      result = memory_.ReadWord(table, AddrIndex(op.addr));
      memory_.WriteWord(table, AddrIndex(op.addr), op.value);
      ev.old_value = result;
      ev.new_value = op.value;
      Record(cpu, ev);
      oracles_.OnTableStore();
      return result;
    }
    case OpKind::kRefTryAdd: {
      FrameInfo& f = memory_.mutable_frame(static_cast<FrameId>(op.addr));
      ev.old_value = static_cast<uint64_t>(f.refcount);
      if (f.refcount == 0) {
        ev.ok = false;
        result = 0;
      } else {
        f.refcount += static_cast<int64_t>(op.value);
        result = 1;
      }
      ev.new_value = static_cast<uint64_t>(f.refcount);
      break;
    }
    case OpKind::kRefAdd: {
      FrameInfo& f = memory_.mutable_frame(static_cast<FrameId>(op.addr));
      ev.old_value = static_cast<uint64_t>(f.refcount);
      oracles_.OnRefAdd(cpu, static_cast<FrameId>(op.addr), f.refcount);
      f.refcount += static_cast<int64_t>(op.value);
      ev.new_value = static_cast<uint64_t>(f.refcount);
      break;
    }
    case OpKind::kRefPut: {
      const FrameId frame = static_cast<FrameId>(op.addr);
      FrameInfo& f = memory_.mutable_frame(frame);
      ev.old_value = static_cast<uint64_t>(f.refcount);
      f.refcount -= static_cast<int64_t>(op.value);
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
    case OpKind::kIrqDisable:
      cpu.irqs_disabled = true;
      break;
    case OpKind::kIrqEnable:
      cpu.irqs_disabled = false;
      break;
    case OpKind::kSpinLock: {
      const size_t slot = LockSlot(op.addr);
      PTFUZZ_CHECK(slot < lock_owner_.size() && lock_owner_[slot] == 0);
      lock_owner_[slot] = cpu.id + 1;
      break;
    }
    case OpKind::kSpinUnlock: {
      const size_t slot = LockSlot(op.addr);
      PTFUZZ_CHECK(slot < lock_owner_.size() && lock_owner_[slot] == cpu.id + 1);
      lock_owner_[slot] = 0;
      break;
    }
    case OpKind::kIpiSend: {
      // One flush IPI outstanding per sender: smp_call_function_many() waits before returning.
      PTFUZZ_CHECK(cpu.ipi_waiting_on == 0);
      uint32_t mask = 0;
      for (Cpu& other : cpus_) {
        if (other.id == cpu.id) continue;
        other.ipi_pending_from |= 1u << cpu.id;
        mask |= 1u << other.id;
      }
      cpu.ipi_waiting_on = mask;
      cpu.ipi_flush_start = op.addr;
      cpu.ipi_flush_end = op.value;
      ev.addr = mask;
      ev.new_value = op.addr;
      break;
    }
    case OpKind::kIpiWait:
      PTFUZZ_CHECK(cpu.ipi_waiting_on == 0);  // Runnable() held this CPU back until then
      break;
    case OpKind::kTlbFlushLocal:
      ev.new_value = cpu.tlb.FlushRange(op.addr, op.value);
      break;
    case OpKind::kTlbFlushBroadcast: {
      uint32_t dropped = 0;
      for (Cpu& c : cpus_) dropped += c.tlb.FlushRange(op.addr, op.value);
      ev.new_value = dropped;
      break;
    }
    case OpKind::kAllocPage: {
      const int64_t level = static_cast<int64_t>(op.value);
      const uint32_t n = memory_.num_free();
      if (n == 0) {
        ev.ok = false;
        result = kNoFrame;
        break;
      }
      const uint32_t option = n > 1 ? Decide(DecisionKind::kAllocFrame, n) : 0;
      const FrameId f = memory_.FreeFrameOption(option);
      memory_.Allocate(f, level < 0 ? FrameState::kData : FrameState::kPageTable,
                       level < 0 ? PtLevel::kPte : static_cast<PtLevel>(level), step_, cpu.id);
      ev.new_value = f;
      ev.old_value = memory_.frame(f).generation;
      result = f;
      break;
    }
    case OpKind::kTlbFill: {
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
    case OpKind::kIpiHandle:
      PTFUZZ_CHECK(false);  // never pending: HandleIpis() runs it
  }
  Record(cpu, ev);
  return result;
}

void World::HandleIpis(Cpu& cpu) {
  // flush_tlb_func() for every CPU whose IPI is pending here, in CPU order, then acknowledge.
  const FuncInfo* saved = cpu.func;
  cpu.func = &kFlushTlbFunc;
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

bool World::Runnable(const Cpu& cpu) const {
  if (cpu.ipi_pending_from != 0 && !cpu.irqs_disabled) return true;
  if (cpu.finished) return false;
  switch (cpu.pending.kind) {
    case OpKind::kSpinLock:
      return lock_owner_[LockSlot(cpu.pending.addr)] == 0;
    case OpKind::kIpiWait:
      return cpu.ipi_waiting_on == 0;
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
    } else if (cpu.pending.kind == OpKind::kSpinLock) {
      absl::StrAppend(&why, " spins on a lock held by cpu ",
                      lock_owner_[LockSlot(cpu.pending.addr)] - 1);
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
  std::vector<Cpu*> options;
  options.reserve(cpus_.size());
  uint32_t last = 0;
  bool have_last = false;
  for (;;) {
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
    // Options: the previous CPU first when runnable, then cyclic order after it.
    options.clear();
    const uint32_t n = static_cast<uint32_t>(cpus_.size());
    for (uint32_t k = 0; k < n; ++k) {
      Cpu& c = cpus_[(last + k) % n];
      if (Runnable(c)) options.push_back(&c);
    }
    if (options.empty()) {
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
    const uint32_t choice =
        options.size() > 1 ? Decide(DecisionKind::kSchedule, static_cast<uint32_t>(options.size()))
                           : 0;
    Cpu& cpu = *options[choice];
    if (have_last && cpu.id != last) {
      ++result.context_switches;
      if (Runnable(cpus_[last])) ++result.preemptions;
    }
    last = cpu.id;
    have_last = true;
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
  result.violation = oracles_.violation();
  result.trace_hash = trace_hash_;
  result.state_digest = StateDigest();
  result.tape = std::move(tape_);
  if (options_.record_trace) result.trace = std::move(trace_);
  return result;
}

uint64_t World::StateDigest() const {
  uint64_t h = MixHash(0, trace_hash_);
  for (FrameId f = 0; f < memory_.num_frames(); ++f) {
    const FrameInfo& info = memory_.frame(f);
    h = MixHash(h, (uint64_t{static_cast<uint8_t>(info.state)} << 56) |
                       (uint64_t{static_cast<uint8_t>(info.level)} << 48) | info.generation);
    h = MixHash(h, static_cast<uint64_t>(info.refcount));
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
  for (const CanonicalDecision& d : tape_) {
    h = MixHash(h, (uint64_t{static_cast<uint8_t>(d.kind)} << 48) |
                       (uint64_t{d.num_options} << 24) | d.value);
  }
  return h;
}

}  // namespace ptfuzz

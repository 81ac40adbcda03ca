#include "core/oracles.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/protocols/mmu_gather.h"
#include "core/world.h"

namespace ptfuzz {

void Oracles::Report(const Cpu& cpu, ViolationKind kind, std::string explanation) {
  if (violation_) return;
  Violation v;
  v.kind = kind;
  v.step = world_.step();
  v.cpu = cpu.id;
  v.actor = world_.ActorName(cpu);
  v.site = cpu.func ? cpu.func->name : "(none)";
  v.explanation = std::move(explanation);
  violation_ = std::move(v);
}

void Oracles::ReportGlobal(ViolationKind kind, std::string explanation) {
  if (violation_) return;
  Violation v;
  v.kind = kind;
  v.step = world_.step();
  v.cpu = 0;
  v.actor = "(machine)";
  v.site = "scheduler";
  v.explanation = std::move(explanation);
  violation_ = std::move(v);
}

std::string Oracles::FrameHistory(FrameId frame) const {
  const FrameInfo& info = world_.memory().frame(frame);
  std::string s = absl::StrFormat("f%u is generation %u, allocated at step %u by cpu %u", frame,
                                  info.generation, info.alloc_step, info.alloc_cpu);
  if (info.ever_freed) {
    absl::StrAppendFormat(&s, "; last freed at step %u by cpu %u", info.free_step, info.free_cpu);
  }
  return s;
}

void Oracles::Observe(GupWindow& window) {
  const FrameId f = world_.Translate(window.vaddr);
  if (f == kNoFrame) return;
  const std::pair<FrameId, uint32_t> seen{f, world_.memory().frame(f).generation};
  if (std::find(window.seen.begin(), window.seen.end(), seen) == window.seen.end()) {
    window.seen.push_back(seen);
  }
}

void Oracles::OnSplitRead(const Cpu& cpu, PhysAddr entry, PtLevel level, uint64_t value,
                          int32_t low_src, int32_t high_src, const char* reader,
                          int32_t recheck_src) {
  // A CPU uses what it read soon after; eight reads per CPU is far more than any walker keeps.
  constexpr size_t kKeepPerCpu = 8;
  size_t mine = 0;
  for (const SplitRead& r : split_reads_) mine += r.cpu == cpu.id;
  if (mine >= kKeepPerCpu) {
    for (auto it = split_reads_.begin(); it != split_reads_.end(); ++it) {
      if (it->cpu == cpu.id) {
        split_reads_.erase(it);
        break;
      }
    }
  }
  split_reads_.push_back({cpu.id, entry, level, value, low_src, high_src, reader, recheck_src});
}

std::string Oracles::DescribeSplitSource(int32_t src, bool high, uint64_t half) const {
  const char* name = high ? "high" : "low";
  if (src == -1) return absl::StrFormat("its %s half %#x is the value the run started with", name, half);
  if (src == -2) {
    return absl::StrFormat("its %s half %#x came from this cpu's own store buffer", name, half);
  }
  const World::SplitStore& s = world_.split_stores()[static_cast<size_t>(src)];
  return absl::StrFormat("its %s half %#x was written by %s on cpu %u at step %u (%#x -> %#x)",
                         name, half, s.func ? s.func->name : "(setup)", s.cpu, s.step,
                         s.old_value, s.new_value);
}

void Oracles::OnEntryUse(const Cpu& cpu, PhysAddr entry, uint64_t value, EntryUse use) {
  if (split_reads_.empty() || !EntryPresent(value)) return;
  for (size_t i = split_reads_.size(); i > 0; --i) {
    const SplitRead& r = split_reads_[i - 1];
    // The newest read by this CPU that produced the value it uses (a recheck may have read the
    // entry again since).
    if (r.cpu != cpu.id || r.entry != entry || r.value != value) continue;
    if (world_.EntryExisted(entry, value)) return;
    const FrameId f = EntryFrame(value);
    const std::string names =
        f < world_.memory().num_frames() ? absl::StrFormat("f%u", f) : std::string("no frame");
    std::string recheck;
    if (r.recheck_src >= 0 && r.recheck_src != r.low_src) {
      // The ABA: the loop's re-read of the low half matched, but came from another store.
      const auto& stores = world_.split_stores();
      const World::SplitStore& st = stores[static_cast<size_t>(r.recheck_src)];
      // What the whole entry held when the first low half was read: the store it came from, or
      // the run's initial value (the old value of the entry's first recorded store).
      std::optional<uint64_t> first;
      if (r.low_src >= 0) {
        first = stores[static_cast<size_t>(r.low_src)].new_value;
      } else if (r.low_src == -1) {
        for (const World::SplitStore& s : stores) {
          if (s.entry == entry) {
            first = s.old_value;
            break;
          }
        }
      }
      recheck = absl::StrFormat(
          "; the loop's re-read of the low half saw %#x again, written by %s on cpu %u at step %u "
          "(%#x -> %#x): %s",
          EntryLow(value), st.func ? st.func->name : "(setup)", st.cpu, st.step, st.old_value,
          st.new_value,
          first == st.new_value ? "the same entry back (present, none, present again)"
                                : "the same low word, another page");
    }
    Report(cpu, ViolationKind::kTornEntryUsed,
           absl::StrFormat(
               "%s returned %s[f%u:%u] = %#x (pfn %#x: %s), a value the entry never held: %s; "
               "%s%s. The value is used as %s.",
               r.reader, PtLevelName(r.level), AddrFrame(entry), AddrIndex(entry), value,
               (value & kPtePfnMask) >> kPageShift, names,
               DescribeSplitSource(r.low_src, false, EntryLow(value)),
               DescribeSplitSource(r.high_src, true, EntryHigh(value)), recheck,
               use == EntryUse::kTablePointer ? "a page-table pointer"
                                              : "the page GUP-fast returns to its caller"));
    return;
  }
}

void Oracles::OnContReadBegin(const Cpu& cpu, PhysAddr ptep) {
  // "At some instant of the read" includes, under the relaxed model, any older value this CPU
  // may still read (World::MayStillRead): a stale dirty entry is the entry's own.
  const bool dirty = world_.MayStillRead(cpu.id, PtEntryLoc(ptep), [](uint64_t e) {
    return EntryPresent(e) && (e & kPteDirty) != 0;
  });
  for (DirtyWatch& d : dirty_watches_) {
    if (d.cpu == cpu.id) {
      d = {cpu.id, ptep, world_.step(), dirty};
      return;
    }
  }
  dirty_watches_.push_back({cpu.id, ptep, world_.step(), dirty});
}

void Oracles::OnContRead(const Cpu& cpu, PhysAddr ptep, uint64_t value,
                         const std::vector<uint64_t>& pass) {
  const uint64_t flags_mask = ~kPtePfnMask & ~(kPteAccessed | kPteDirty);
  if ((value & kPteCont) != 0 && (value & kPtePresent) != 0) {
    const uint32_t n = world_.config().cont_ptes;
    const uint32_t offset = AddrIndex(ptep) & (n - 1);
    const uint64_t base_pfn = ((value & kPtePfnMask) >> kPageShift) - offset;
    for (size_t i = 0; i < pass.size(); ++i) {
      const uint64_t e = pass[i];
      const bool ok = (e & kPtePresent) != 0 && (e & kPteCont) != 0 &&
                      ((e & kPtePfnMask) >> kPageShift) == base_pfn + i &&
                      (e & flags_mask) == (value & flags_mask);
      if (!ok) {
        Report(cpu, ViolationKind::kContInconsistentRead,
               absl::StrFormat("the lockless read of pte[f%u:%u] returned %#x (contiguous, pfn "
                               "%#x) having accepted entry %u of its block = %#x, which is %s: the "
                               "entries it gathered young/dirty from were never one block",
                               AddrFrame(ptep), AddrIndex(ptep), value,
                               (value & kPtePfnMask) >> kPageShift, i, e,
                               (e & kPtePresent) == 0   ? "not valid (cleared mid-convert)"
                               : (e & kPteCont) == 0    ? "valid but not contiguous"
                               : ((e & kPtePfnMask) >> kPageShift) != base_pfn + i
                                   ? "valid and contiguous but maps another pfn"
                                   : "valid and contiguous but has other protections"));
        return;
      }
    }
  }
  for (auto it = dirty_watches_.begin(); it != dirty_watches_.end(); ++it) {
    if (it->cpu != cpu.id) continue;
    const DirtyWatch d = *it;
    dirty_watches_.erase(it);
    if (world_.variant().oracle_exact_dirty && (value & kPteDirty) != 0 && !d.dirty_seen &&
        d.ptep == ptep) {
      Report(cpu, ViolationKind::kFalsePositiveDirty,
             absl::StrFormat("the lockless read of pte[f%u:%u] (begun at step %u) reported it dirty "
                             "(%#x), but the entry itself was not dirty at any instant of the "
                             "read: the bit was gathered from another page of its contiguous "
                             "block, which a user that maps only dirty pages writable (the KVM "
                             "use in seed 001) cannot tolerate",
                             AddrFrame(ptep), AddrIndex(ptep), d.step, value));
    }
    return;
  }
}

void Oracles::OnGupBegin(const Cpu& cpu, VirtAddr vaddr) {
  windows_.push_back({cpu.id, vaddr, {}});
  Observe(windows_.back());
}

bool Oracles::SlotsMapRef(const GupWindow& w) const {
  // The leaf slot (the PTE, or the pmd of a huge PMD) maps the page, with its generation ...
  if (!LeafMapsRef(w, /*ground_truth=*/false)) return false;
  if (w.ptep == 0) return true;
  // ... and the pmd still names the PTE table the walker found the PTE in.
  const PhysMemory& mem = world_.memory();
  const FrameId pmd_table = AddrFrame(w.pmdp);
  const FrameId pte_table = AddrFrame(w.ptep);
  if (mem.frame(pmd_table).state != FrameState::kPageTable) return false;
  auto pmd_ok = [&](uint64_t pmd) { return EntryPresent(pmd) && EntryFrame(pmd) == pte_table; };
  if (world_.memory_model() != MemoryModelKind::kRelaxed) {
    // Under SC and TSO the instant is now: memory holds both entries.
    return pmd_ok(mem.ReadWord(pmd_table, AddrIndex(w.pmdp)));
  }
  // "At some instant" under the relaxed model: the walker's CPU may still read a pmd naming the
  // PTE table and a PTE naming the page, i.e. no unmap is ordered before its reference in its
  // own view.
  return world_.MayStillRead(w.cpu, PtEntryLoc(w.pmdp), pmd_ok);
}

bool Oracles::LeafMapsRef(const GupWindow& w, bool ground_truth) const {
  const PhysMemory& mem = world_.memory();
  const PhysAddr leaf = w.ptep != 0 ? w.ptep : w.pmdp;
  const FrameId table = AddrFrame(leaf);
  if (mem.frame(table).state != FrameState::kPageTable ||
      mem.frame(w.ref_frame).generation != w.ref_generation) {
    return false;
  }
  auto ok = [&](uint64_t e) {
    return EntryPresent(e) && EntryFrame(e) == w.ref_frame && (w.ptep != 0 || PmdHuge(e));
  };
  if (ground_truth || world_.memory_model() != MemoryModelKind::kRelaxed) {
    return ok(mem.ReadWord(table, AddrIndex(leaf)));
  }
  return world_.MayStillRead(w.cpu, PtEntryLoc(leaf), ok);
}

void Oracles::ReportRefTakenAfterUnmap(const GupWindow& w, FrameId frame, uint32_t generation,
                                       uint32_t return_step, const std::string& actor,
                                       const char* site, const std::string& outcome) {
  if (violation_) return;
  const std::string slots =
      w.ptep == 0 ? absl::StrFormat("pmd[f%u:%u]", AddrFrame(w.pmdp), AddrIndex(w.pmdp))
                  : absl::StrFormat("pmd[f%u:%u], pte[f%u:%u]", AddrFrame(w.pmdp),
                                    AddrIndex(w.pmdp), AddrFrame(w.ptep), AddrIndex(w.ptep));
  Violation v;
  v.kind = ViolationKind::kRefTakenAfterUnmap;
  v.step = world_.step();
  v.cpu = w.cpu;
  v.actor = actor;
  v.site = site;
  v.explanation = absl::StrFormat(
      "GUP-fast on cpu %u returned f%u (generation %u) for %#x at step %u, but from the step it "
      "took its reference (step %u) until it returned, the slots it walked (%s) never mapped "
      "that page: %s (%s.)",
      w.cpu, frame, generation, w.vaddr, return_step, w.ref_step, slots, outcome,
      FrameHistory(frame));
  violation_ = std::move(v);
}

void Oracles::CheckUnmappedReturns() {
  for (size_t i = 0; i < unmapped_returns_.size(); ++i) {
    const UnmappedReturn& u = unmapped_returns_[i];
    if (SlotsMapRef(u.window)) {
      // Mapped again: the unmapper saw the reference and put the entry back.
      unmapped_returns_.erase(unmapped_returns_.begin() + static_cast<std::ptrdiff_t>(i));
      --i;
      continue;
    }
    // Whether the unmapper finished is a fact about memory, not about what the GUP CPU may
    // still read.
    if (LeafMapsRef(u.window, /*ground_truth=*/true)) continue;
    // The leaf is gone. The unmapper's refcount check (the latest by a CPU other than GUP-fast's)
    // decides: after the release it saw no reference and nothing overlaps.
    uint32_t check = ~0u;
    if (u.frame < refcount_reads_.size()) {
      for (CpuId c = 0; c < refcount_reads_[u.frame].size(); ++c) {
        const uint32_t st = refcount_reads_[u.frame][c];
        if (c != u.window.cpu && st != ~0u && (check == ~0u || st > check)) check = st;
      }
    }
    if (u.release_step != ~0u && (check == ~0u || check > u.release_step)) {
      unmapped_returns_.erase(unmapped_returns_.begin() + static_cast<std::ptrdiff_t>(i));
      --i;
      continue;
    }
    const PhysAddr leaf = u.window.ptep != 0 ? u.window.ptep : u.window.pmdp;
    ReportRefTakenAfterUnmap(
        u.window, u.frame, u.generation, u.return_step, u.actor, u.site,
        absl::StrFormat(
            "the reference landed after the pmd was cleared, the unmapper %s, and now "
            "%s[f%u:%u] no longer maps the page: the unmapper's copy or discard can miss the "
            "caller's I/O",
            check == ~0u ? std::string("never checked the refcount")
            : check < u.window.ref_step
                ? absl::StrFormat("checked the refcount at step %u, before that reference", check)
                : absl::StrFormat("checked the refcount at step %u, while the caller held the "
                                  "page, and went on",
                                  check),
            u.window.ptep != 0 ? "pte" : "pmd", AddrFrame(leaf), AddrIndex(leaf)));
    return;
  }
}

void Oracles::OnTableStore(PhysAddr entry, uint64_t value) {
  const PhysMemory& mem = world_.memory();
  const FrameInfo& table = mem.frame(AddrFrame(entry));
  if (table.state == FrameState::kPageTable && table.level != PtLevel::kPte &&
      EntryPresent(value) && !(table.level == PtLevel::kPmd && PmdHuge(value)) && !violation_) {
    const FrameId child = EntryFrame(value);
    const PtLevel want = world_.ChildTableLevel(table.level);
    const bool ok = child < mem.num_frames() && mem.frame(child).state == FrameState::kPageTable &&
                    mem.frame(child).level == want;
    if (!ok) {
      const std::string what =
          child >= mem.num_frames() ? std::string("memory that does not exist")
          : mem.frame(child).state == FrameState::kFree ? std::string("a free frame")
          : mem.frame(child).state == FrameState::kData
              ? std::string("a data page")
              : absl::StrFormat("a %s table", PtLevelName(mem.frame(child).level));
      Report(world_.cpu(world_.store_cpu()), ViolationKind::kTableEntryNotTable,
                   absl::StrFormat("%s[f%u:%u] is set to %#x, which points to f%u as a %s table, "
                                   "but f%u is %s (%s)",
                                   PtLevelName(table.level), AddrFrame(entry), AddrIndex(entry),
                                   value, child, PtLevelName(want), child, what,
                                   child < mem.num_frames() ? FrameHistory(child) : "-"));
      // The site is the function that issued the store (under TSO it may reach memory later,
      // from the store buffer, while the CPU runs something else).
      if (violation_ && world_.store_func() != nullptr) violation_->site = world_.store_func()->name;
    }
  }
  for (DirtyWatch& d : dirty_watches_) {
    if (d.ptep == entry && (value & kPteDirty) != 0 && EntryPresent(value)) d.dirty_seen = true;
  }
  for (const Unshare& u : unshares_) {
    if (u.table != AddrFrame(entry)) continue;
    const Cpu& writer = world_.cpu(world_.store_cpu());
    unshared_table_stores_.push_back({entry, world_.step(), writer.mm, writer.id});
    break;
  }
  for (GupWindow& w : windows_) {
    Observe(w);
    if (w.ref_held && !w.covered) w.covered = SlotsMapRef(w);
  }
  if (!unmapped_returns_.empty()) CheckUnmappedReturns();
}

void Oracles::OnGupRefTaken(const Cpu& cpu, VirtAddr vaddr, FrameId frame, PhysAddr pmdp,
                            PhysAddr ptep) {
  // A pmd read through a garbage pointer: the wrong-location report ends the run.
  if (pmdp == kNoSlot || AddrFrame(pmdp) >= world_.memory().num_frames()) return;
  for (GupWindow& w : windows_) {
    if (w.cpu != cpu.id || w.vaddr != vaddr) continue;
    w.ref_held = true;
    w.ref_frame = frame;
    w.ref_generation = world_.memory().frame(frame).generation;
    w.pmdp = pmdp;
    w.ptep = ptep;
    w.ref_step = world_.step();
    w.covered = SlotsMapRef(w);
  }
}

void Oracles::OnGupRelease(const Cpu& cpu) {
  for (UnmappedReturn& u : unmapped_returns_) {
    if (u.window.cpu == cpu.id && u.release_step == ~0u) u.release_step = world_.step();
  }
  returned_.erase(std::remove_if(returned_.begin(), returned_.end(),
                                 [&](const auto& r) { return r.first == cpu.id; }),
                  returned_.end());
}

void Oracles::OnDiscard(const Cpu& cpu, FrameId frame) {
  RecordHarm(cpu, frame, ViolationKind::kDiscardedWhileReferenced);
}

void Oracles::OnUnshare(const Cpu& cpu, FrameId frame) {
  RecordHarm(cpu, frame, ViolationKind::kUnsharedWhilePinned);
}

void Oracles::RecordHarm(const Cpu& cpu, FrameId frame, ViolationKind kind) {
  harms_.push_back({frame, world_.step(), kind});
  for (const auto& [holder, f] : returned_) {
    if (f != frame) continue;
    const bool discard = kind == ViolationKind::kDiscardedWhileReferenced;
    Report(cpu, kind,
           absl::StrFormat("f%u is %s while GUP-fast on cpu %u still holds the reference it "
                           "returned: the unmapper's refcount check did not see it, and %s (%s)",
                           frame, discard ? "discarded" : "made non-exclusive (shared)", holder,
                           discard ? "the holder's I/O now goes to a page the mm no longer maps"
                                   : "a later fault maps another page while the DMA targets this "
                                     "one",
                           FrameHistory(frame)));
    return;
  }
}

void Oracles::OnGupRefDropped(const Cpu& cpu, VirtAddr vaddr) {
  for (GupWindow& w : windows_) {
    if (w.cpu == cpu.id && w.vaddr == vaddr) w.ref_held = false;
  }
}

void Oracles::OnTableUnshared(const Cpu& cpu, FrameId table) {
  unshares_.push_back({table, cpu.mm, world_.step()});
}

void Oracles::OnWalkLoad(const Cpu& cpu, PtLevel level, VirtAddr vaddr, PhysAddr entryp,
                         uint64_t value) {
  if (violation_) return;
  for (const Unshare& u : unshares_) {
    if (u.table != AddrFrame(entryp) || u.mm != cpu.mm || !EntryPresent(value)) continue;
    for (size_t i = unshared_table_stores_.size(); i > 0; --i) {
      // The newest store another mm made to this entry since the unshare.
      const ForeignStore& st = unshared_table_stores_[i - 1];
      if (st.entry != entryp || st.mm == cpu.mm || st.step < u.step) continue;
      Report(
          cpu, ViolationKind::kWalkerReadsFreedTable,
          absl::StrFormat(
              "the walker of mm %u read %#x as the %s entry for %#x from f%u, a PMD table its "
              "mm stopped sharing at step %u (huge_pmd_unshare()); the entry was written at "
              "step %u by cpu %u for mm %u, which owns the table now: GUP-fast walks another "
              "process's page table and may pin its pages",
              cpu.mm, value, PtLevelName(level), vaddr, u.table, u.step, st.step, st.cpu, st.mm));
      return;
    }
  }
  const PtGeometry& g = world_.geometry();
  PhysAddr slot = entryp;
  std::string via;
  if (IsStackAddr(entryp)) {
    slot = world_.StackSource(entryp);
    const CpuId owner = AddrFrame(entryp) - kStackFrameBase;
    if (slot == kNoSlot) {
      Report(cpu, ViolationKind::kWrongLocationTablePointer,
             absl::StrFormat(
                 "the walker read the %s entry for %#x from word %u of cpu %u's kernel stack, "
                 "which holds no page-table entry (%#x: a saved register or return address): "
                 "the pointer it loaded through was derived from the address of a local copy of "
                 "an upper entry (pXd_offset(&pXd, addr)), then %s",
                 PtLevelName(level), vaddr, AddrIndex(entryp), owner, value,
                 g.RuntimeFolded(level) && g.runtime_fold == RuntimeFold::kReindex
                     ? "re-indexed within the stack page as if it were the folded table"
                     : "stepped past the local to the next entry's address"));
      return;
    }
    via = absl::StrFormat(" (through the local copy in word %u of cpu %u's stack)",
                          AddrIndex(entryp), owner);
  }
  const PhysMemory& mem = world_.memory();
  if (child_tables_.size() <= cpu.id) child_tables_.resize(cpu.id + 1);
  ChildTable& child = child_tables_[cpu.id];
  if (slot != kNoSlot && AddrFrame(slot) == child.table && AddrFrame(slot) < mem.num_frames() &&
      mem.frame(child.table).generation != child.generation) {
    const FrameInfo& now = mem.frame(child.table);
    Report(cpu, ViolationKind::kWalkerReadsFreedTable,
           absl::StrFormat("the walker read the %s entry for %#x from f%u, the table the %s entry "
                           "it read at step %u pointed to (generation %u), but f%u was freed at "
                           "step %u and is now generation %u (%s): it walks a page table that "
                           "was freed and reused under it",
                           PtLevelName(level), vaddr, child.table, PtLevelName(child.level),
                           child.step, child.generation, child.table, now.free_step, now.generation,
                           FrameHistory(child.table)));
    return;
  }
  // The table a present, non-leaf entry names: what the next level must be read from.
  if (level != PtLevel::kPte && EntryPresent(value) &&
      !(level == PtLevel::kPmd && PmdHuge(value)) && !g.ChecksTrivial(level) &&
      EntryFrame(value) < mem.num_frames()) {
    child = {EntryFrame(value), mem.frame(EntryFrame(value)).generation, world_.step(), level};
  }
  // A level folded into the one below only hands its value down; the level that uses it is
  // checked where it is read.
  if (g.ChecksTrivial(level)) return;
  const FrameId table = AddrFrame(slot);
  // A freed or reused table, or a frame that is not a table: the freed-table oracle's.
  if (table >= mem.num_frames() || mem.frame(table).state != FrameState::kPageTable) return;
  const int want_position = g.TablePosition(level);
  const uint32_t want_index = IndexAtPosition(vaddr, want_position);
  const int position = g.PositionOf(mem.frame(table).level);
  if (position == want_position && AddrIndex(slot) == want_index) return;
  Report(cpu, ViolationKind::kWrongLocationTablePointer,
         absl::StrFormat("the walker used %#x as the %s entry for %#x, read from %s[f%u:%u]%s, "
                         "but that entry is slot %u of the level-%d table on the path to %#x: "
                         "the table pointer was derived from the wrong place",
                         value, PtLevelName(level), vaddr, PtLevelName(mem.frame(table).level),
                         table, AddrIndex(slot), via, want_index, want_position, vaddr));
}

void Oracles::OnGupReturn(const Cpu& cpu, FrameId frame) {
  auto it = std::find_if(windows_.begin(), windows_.end(),
                         [&](const GupWindow& w) { return w.cpu == cpu.id; });
  if (it == windows_.end()) return;
  GupWindow window = std::move(*it);
  windows_.erase(it);
  if (frame == kNoFrame) return;
  const uint32_t gen = world_.memory().frame(frame).generation;
  for (const Harm& h : harms_) {
    if (h.frame != frame || !window.ref_held || h.step < window.ref_step) continue;
    const bool discard = h.kind == ViolationKind::kDiscardedWhileReferenced;
    Report(cpu, h.kind,
           absl::StrFormat("GUP-fast on cpu %u returned f%u for %#x, but the page was %s at step "
                           "%u, while GUP-fast held the reference it took at step %u: the "
                           "unmapper's check did not see that reference, and %s (%s.)",
                           cpu.id, frame, window.vaddr,
                           discard ? "discarded" : "made non-exclusive (shared)", h.step,
                           window.ref_step,
                           discard ? "the caller's I/O now goes to a page the mm no longer maps"
                                   : "a later fault maps another page while the DMA targets this "
                                     "one",
                           FrameHistory(frame)));
    return;
  }
  returned_.push_back({cpu.id, frame});
  if (std::find(window.seen.begin(), window.seen.end(), std::pair{frame, gen}) !=
      window.seen.end()) {
    if (!window.ref_held || window.covered || window.ref_frame != frame) return;
    // The reference landed while the slots did not map the page. When the leaf entry is gone
    // too, the unmap is complete and the caller holds a page the mm no longer maps. When only
    // the pmd was cleared (a THP collapse under way), what matters is whether the unmapper
    // finishes while the caller holds the page: it may instead see the reference and restore
    // the pmd (CheckUnmappedReturns, until OnGupRelease).
    if (!LeafMapsRef(window, /*ground_truth=*/false)) {
      ReportRefTakenAfterUnmap(window, frame, gen, world_.step(), world_.ActorName(cpu),
                               cpu.func ? cpu.func->name : "(none)",
                               "the reference landed after the entry was cleared, so the "
                               "unmapper's refcount check could not see it, and the caller now "
                               "holds a page the mm no longer maps");
      return;
    }
    unmapped_returns_.push_back({std::move(window), frame, gen, world_.step(),
                                 world_.ActorName(cpu), cpu.func ? cpu.func->name : "(none)"});
    return;
  }
  std::string mapped;
  for (const auto& [f, g] : window.seen) {
    absl::StrAppendFormat(&mapped, "%sf%u generation %u", mapped.empty() ? "" : ", ", f, g);
  }
  if (mapped.empty()) mapped = "nothing";
  std::string what;
  for (const auto& [f, g] : window.seen) {
    if (f == frame && g != gen) {
      what = absl::StrFormat(
          " The page was freed and reused: GUP-fast read the PTE while f%u was generation %u, "
          "then took its reference on generation %u, a new allocation that is not mapped at "
          "%#x.",
          frame, g, gen, window.vaddr);
    }
  }
  Report(cpu, ViolationKind::kPinnedPageNotMapped,
         absl::StrFormat("GUP-fast on cpu %u returned f%u (generation %u) for %#x, but during its "
                         "window %#x mapped %s.%s (%s.)",
                         cpu.id, frame, gen, window.vaddr, window.vaddr, mapped, what,
                         FrameHistory(frame)));
}

void Oracles::OnTableLoad(const Cpu& cpu, FrameId table, PtLevel level) {
  if (table >= world_.memory().num_frames()) {
    Report(cpu, ViolationKind::kWalkerReadsFreedTable,
           absl::StrFormat("access to a %s entry in frame %u, which does not exist",
                           PtLevelName(level), table));
    return;
  }
  const FrameInfo& info = world_.memory().frame(table);
  // A folded level's entry lives in the table of the level it is folded into (core/geometry.h).
  const PtGeometry& g = world_.geometry();
  if (info.state == FrameState::kPageTable && g.PositionOf(info.level) == g.TablePosition(level)) {
    return;
  }
  const char* state = info.state == FrameState::kFree   ? "free"
                      : info.state == FrameState::kData ? "a data page"
                                                        : "a page table of another level";
  Report(cpu, ViolationKind::kWalkerReadsFreedTable,
         absl::StrFormat("access to a %s entry in f%u, which is %s (%s)", PtLevelName(level),
                         table, state, FrameHistory(table)));
}

void Oracles::OnMissingPage(const Cpu& cpu, PhysAddr entry, uint64_t value) {
  const FrameId table = AddrFrame(entry);
  const bool real = table < world_.memory().num_frames();
  Report(cpu, ViolationKind::kRefOnMissingPage,
         absl::StrFormat("GUP-fast read %#x from %s and would take a reference on the struct page "
                         "of pfn %#x, which names no memory (pte_page() does no pfn_valid() check)",
                         value,
                         real ? absl::StrFormat("[f%u:%u]", table, AddrIndex(entry))
                              : std::string("a walker's stack"),
                         (value & kPtePfnMask) >> kPageShift));
}

void Oracles::OnBadTableEntry(const Cpu& cpu, PhysAddr entry, uint64_t value, const char* why) {
  Report(cpu, ViolationKind::kTableEntryNotTable,
         absl::StrFormat("the walker read %#x from the table entry %s[f%u:%u] and cannot use it as "
                         "a table pointer (%s): the page table is corrupted",
                         value, PtLevelName(world_.memory().frame(AddrFrame(entry)).level),
                         AddrFrame(entry), AddrIndex(entry), why));
}

void Oracles::OnInodeLoad(const Cpu& cpu, uint32_t inode) {
  uint32_t step = 0;
  CpuId by = 0;
  if (!world_.InodeFreed(inode, &step, &by)) return;
  Report(cpu, ViolationKind::kWalkerReadsFreedTable,
         absl::StrFormat("a read of inode%u's address_space (mapping->a_ops) through the "
                         "folio->mapping it loaded, but inode%u was freed at step %u on cpu %u: "
                         "the folio reference does not keep the inode alive, only an RCU grace "
                         "period that this CPU's interrupts-off section holds off would",
                         inode, inode, step, by));
}

void Oracles::OnRefcountRead(const Cpu& cpu, FrameId frame) {
  if (refcount_reads_.size() <= frame) refcount_reads_.resize(frame + 1);
  std::vector<uint32_t>& by_cpu = refcount_reads_[frame];
  if (by_cpu.size() <= cpu.id) by_cpu.resize(cpu.id + 1, ~0u);
  by_cpu[cpu.id] = world_.step();
}

void Oracles::OnRefAdd(const Cpu& cpu, FrameId frame, int64_t old_count) {
  if (old_count != 0) return;
  const FrameInfo& info = world_.memory().frame(frame);
  Report(cpu, ViolationKind::kRefcountIncFromZero,
         absl::StrFormat("folio_ref_add() on f%u whose refcount is 0: the folio is %s; raising "
                         "it resurrects a page the allocator owns (%s)",
                         frame, info.state == FrameState::kFree ? "free" : "frozen",
                         FrameHistory(frame)));
}

void Oracles::OnRefPut(const Cpu& cpu, FrameId frame, int64_t new_count) {
  if (new_count >= 0) return;
  Report(cpu, ViolationKind::kRefcountUnderflow,
         absl::StrFormat("folio_put() on f%u took its refcount to %d (%s)", frame, new_count,
                         FrameHistory(frame)));
}

void Oracles::OnFree(const Cpu& cpu, FrameId frame) {
  const FrameInfo& info = world_.memory().frame(frame);
  if (info.state == FrameState::kPageTable) {
    // A page table is freed only after every paging-structure cache that points to it was
    // invalidated: a hardware walker (speculative, or of a CPU lazily holding the mm) may
    // otherwise follow the cached pointer into the page after its reuse (Z15).
    for (const Cpu& other : world_.cpus()) {
      if (const PscEntry* e = other.tlb.FindPscTable(frame, info.generation)) {
        Report(cpu, ViolationKind::kStaleTlbAfterFree,
               absl::StrFormat("page table f%u (generation %u) is freed while cpu %u's "
                               "paging-structure cache still points to it for [%#x, %#x): that "
                               "CPU's hardware walker can still read entries from the page after "
                               "the allocator hands it to someone else",
                               frame, info.generation, other.id, e->pmd_start,
                               e->pmd_start + kPmdSize));
        return;
      }
    }
    return;
  }
  if (info.state != FrameState::kData) return;
  for (const Cpu& other : world_.cpus()) {
    const TlbEntry* e = other.tlb.FindFrame(frame);
    if (e != nullptr && e->generation == info.generation) {
      Report(cpu, ViolationKind::kStaleTlbAfterFree,
             absl::StrFormat("f%u (generation %u) is freed while cpu %u's TLB still maps %#x to "
                             "it: a user access on cpu %u can still reach the page after the "
                             "allocator hands it to someone else",
                             frame, info.generation, other.id, e->vaddr, other.id));
      return;
    }
  }
}

void Oracles::OnTlbFinishMmu(const Cpu& cpu, const MmuGather& tlb) {
  // The batches still in progress (this one has ended): the pages each unhooked and holds until
  // its flush. A TLB entry to one of them, for an address this unmap covered, whose entry the
  // other batch cleared before this one's walk read it (so this walk found it none and skipped
  // it), outlives the call. An entry cleared after this walk is a later unmap's business.
  if (tlb.walked_at == 0) return;
  for (const MmuGather* other : world_.live_gathers()) {
    if (other->mm != tlb.mm) continue;
    for (size_t i = 0; i < other->pages.size(); ++i) {
      const FrameId page = other->pages[i];
      if (other->cleared_at[i] >= tlb.walked_at) continue;
      for (const Cpu& c : world_.cpus()) {
        if (c.mm != tlb.mm) continue;
        for (const TlbEntry& e : c.tlb.entries()) {
          if (e.frame != page || e.vaddr < tlb.range_start || e.vaddr >= tlb.range_end) continue;
          if (world_.Translate(e.vaddr, tlb.mm) == page) continue;  // mapped again since
          Report(cpu, ViolationKind::kStaleTlbAfterUnmap,
                 absl::StrFormat(
                     "tlb_finish_mmu() returns for [%#x, %#x) while cpu %u's TLB still maps %#x "
                     "to f%u, whose entry another unmap cleared and has not flushed yet (its "
                     "batch holds the page until then): this unmap found the entry none and "
                     "flushed nothing for it, so user space on cpu %u still reaches the page "
                     "after the call returned; tlb_finish_mmu() must flush the whole mm when "
                     "mm_tlb_flush_nested()",
                     tlb.range_start, tlb.range_end, c.id, e.vaddr, page, c.id));
          return;
        }
      }
    }
  }
}

void Oracles::OnPinHeld(const Cpu& cpu, VirtAddr vaddr, FrameId page) {
  held_pins_.push_back(
      {cpu.id, cpu.mm, vaddr, page, world_.memory().frame(page).generation, world_.step()});
}

void Oracles::OnCowReplace(const Cpu& cpu, VirtAddr vaddr, FrameId old_page) {
  for (const HeldPin& pin : held_pins_) {
    if (pin.mm != cpu.mm || pin.vaddr != vaddr || pin.page != old_page ||
        pin.generation != world_.memory().frame(old_page).generation) {
      continue;
    }
    Report(cpu, ViolationKind::kPinLostToCow,
           absl::StrFormat(
               "a COW fault replaces f%u at %#x with a copy while cpu %u's FOLL_PIN of f%u (taken "
               "at step %u) is still held: the DMA keeps writing f%u, which the process no longer "
               "maps; fork() shared a page GUP-fast pinned through the still-writable PTE",
               old_page, vaddr, pin.cpu, old_page, pin.step, old_page));
    return;
  }
}

void Oracles::OnGupFolioReturned(const Cpu& cpu, VirtAddr vaddr, FrameId page, FrameId folio) {
  const PhysMemory& mem = world_.memory();
  const FrameId now = mem.FolioOf(page);
  if (now == folio) return;
  Report(cpu, ViolationKind::kRefOnWrongFolio,
         absl::StrFormat(
             "GUP-fast returns f%u for %#x holding a reference on folio f%u, but f%u now belongs "
             "to folio f%u: the folio was split (or freed and reused) between page_folio() and "
             "the try-get, so the caller's put_page(f%u) will drop a reference from f%u it never "
             "took while f%u keeps one nobody owns; try_get_folio() must recheck "
             "page_folio(page) == folio after the increment (%s)",
             page, vaddr, folio, page, now, page, now, folio, FrameHistory(page)));
}

void Oracles::OnReadonlyStructPageWrite(const Cpu& cpu, FrameId frame) {
  const FrameInfo& info = world_.memory().frame(frame);
  Report(cpu, ViolationKind::kWriteToReadonlyStructPage,
         absl::StrFormat(
             "an atomic write to refcount(f%u), whose struct page HVO has remapped read-only: f%u "
             "is a tail of a hugetlb folio (head f%u) now, so the write faults (or, were the "
             "page writable, corrupts the shared vmemmap page); a speculative reference must "
             "not be attempted on memory being repurposed (%s)",
             frame, frame, CompoundHeadOf(frame, info.compound_head), FrameHistory(frame)));
}

void Oracles::OnCompoundHeadNull(const Cpu& cpu, FrameId page) {
  Report(cpu, ViolationKind::kCompoundHeadNull,
         absl::StrFormat(
             "compound_head(f%u) saw the page's tail flag set but read a NULL head pointer: the "
             "flag and the pointer are two words, and the reader met them between "
             "prep_compound_page()'s two stores (or out of order); the caller dereferences NULL "
             "(%s)",
             page, FrameHistory(page)));
}

void Oracles::OnMigratedFolioReleased(const Cpu& cpu, FrameId folio, int64_t expected) {
  const FrameInfo& info = world_.memory().frame(folio);
  // A folio still on the deferred split queue is taken off it by the free path
  // (folio_undo_large_rmappable() in __folio_put()); one on the shrinker's private list, or held
  // by anyone else, will be touched by its holder after the release.
  if (info.refcount == expected && info.deferred_list != kOnScannerList) return;
  Report(cpu, ViolationKind::kRepurposedWhileReferenced,
         absl::StrFormat(
             "migration releases folio f%u as exclusive after an unfrozen check of its "
             "refcount (%d, its isolation reference), but the count is %d and the folio is %s: "
             "the deferred split shrinker took it with folio_try_get() around the check, and its "
             "put or list_splice_tail() now works on a folio migration has released; after "
             "mem_cgroup_migrate() the free path unqueues it under another queue's lock, so the "
             "deferred list is corrupted or a freed folio goes back on it ('Bad page state', a "
             "double free); freezing the count, and unqueueing while frozen, keeps the shrinker "
             "out (%s)",
             folio, expected, info.refcount,
             info.deferred_list == kOnScannerList  ? "on the shrinker's private list"
             : info.deferred_list == kOnSplitQueue ? "on the deferred split queue"
                                                   : "on no deferred list",
             FrameHistory(folio)));
}

void Oracles::OnRunEnd() {
  // Count the references the live page tables account for: one per present PTE or huge PMD for
  // a data page (the mapping's reference), one per table reachable from the pgd or deposited,
  // plus the long-term pins taken before the run.
  const PhysMemory& mem = world_.memory();
  std::vector<int64_t> expected(mem.num_frames(), 0);
  std::vector<FrameId> stack;
  for (uint32_t mm = 0; mm < world_.num_mms(); ++mm) {
    stack.push_back(world_.pgd_of(mm));
    expected[world_.pgd_of(mm)] = 1;
  }
  // A table shared by several mms (hugetlb PMD sharing) holds one reference per pointer to it;
  // its entries count once.
  std::vector<bool> visited(mem.num_frames(), false);
  // A PTE table deposited for a huge PMD keeps its allocation reference; its entries are none.
  for (const FrameId table : world_.deposited_tables()) ++expected[table];
  for (FrameId f = 0; f < mem.num_frames(); ++f) expected[f] += mem.frame(f).external_refs;
  while (!stack.empty()) {
    const FrameId table = stack.back();
    stack.pop_back();
    if (visited[table]) continue;
    visited[table] = true;
    const FrameInfo& info = mem.frame(table);
    for (const auto& [index, entry] : mem.NonZeroWords(table)) {
      if (!EntryPresent(entry)) continue;
      const FrameId next = EntryFrame(entry);
      if (next >= mem.num_frames()) continue;
      // A mapping of a page of a large folio holds a reference on the folio: on its head.
      ++expected[info.level == PtLevel::kPte ? mem.FolioOf(next) : next];
      if (info.level != PtLevel::kPte && mem.frame(next).state == FrameState::kPageTable) {
        stack.push_back(next);
      }
    }
  }
  for (FrameId f = 0; f < mem.num_frames(); ++f) {
    const FrameInfo& info = mem.frame(f);
    const char* what = info.state == FrameState::kFree   ? "free"
                       : info.state == FrameState::kData ? "data page"
                                                         : "page table";
    if (info.state == FrameState::kFree && expected[f] > 0) {
      ReportGlobal(ViolationKind::kRefcountLeak,
                   absl::StrFormat("at the end of the run f%u is free but still mapped by %d "
                                   "page-table entr%s: a use after free (%s)",
                                   f, expected[f], expected[f] == 1 ? "y" : "ies",
                                   FrameHistory(f)));
      return;
    }
    const int64_t want = info.state == FrameState::kFree ? 0 : expected[f];
    // A live frame nobody references is a leak, unless it is a tail page (its references are
    // its head's).
    const bool tail = (info.compound_head & 1) != 0;
    if (info.refcount == want && !(info.state != FrameState::kFree && want == 0 && !tail)) {
      continue;
    }
    ReportGlobal(ViolationKind::kRefcountLeak,
                 absl::StrFormat("at the end of the run f%u (%s) has refcount %d but the page "
                                 "tables account for %d reference(s) (%s)",
                                 f, what, info.refcount, want, FrameHistory(f)));
    return;
  }
}

}  // namespace ptfuzz

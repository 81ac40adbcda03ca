#include "core/relaxed_memory.h"

#include <algorithm>
#include <utility>

#include "core/check.h"

namespace ptfuzz {

RelaxedMemory::RelaxedMemory(uint32_t num_cpus) : cpus_(num_cpus) {
  // A run of a built-in scenario touches a few dozen locations: no rehash, no reallocation.
  slot_of_.reserve(64);
  locs_.reserve(64);
}

void RelaxedMemory::Raise(View& v, uint32_t slot, uint32_t index) {
  if (slot >= v.size()) v.resize(slot + 1, 0);
  if (v[slot] < index) v[slot] = index;
}

void RelaxedMemory::Join(View& into, const View& from) {
  if (into.size() < from.size()) into.resize(from.size(), 0);
  for (size_t i = 0; i < from.size(); ++i) into[i] = std::max(into[i], from[i]);
}

uint32_t RelaxedMemory::Slot(Loc loc, uint64_t current) {
  auto [it, inserted] = slot_of_.try_emplace(loc, static_cast<uint32_t>(locs_.size()));
  if (inserted) {
    LocState& l = locs_.emplace_back();
    l.loc = loc;
    l.newest = 0;
    l.ring[0].value = current;  // the initial store: no writer, empty view
  }
  return it->second;
}

const RelaxedMemory::View& RelaxedMemory::DepView(const CpuViews& c, Dep dep) const {
  PTFUZZ_CHECK(dep != kNoDep && dep <= c.dep_serial);
  // A token older than kDepSlots loads (a retry loop that keeps its first pmd's token) has lost
  // its view: order the dependent load after everything the CPU observed instead, which only
  // forbids more.
  if (c.dep_serial - dep >= kDepSlots) return c.acq;
  return c.dep_views[dep % kDepSlots];
}

Dep RelaxedMemory::NewDep(CpuViews& c, View view) {
  ++c.dep_serial;
  c.dep_views[c.dep_serial % kDepSlots] = std::move(view);
  return c.dep_serial;
}

Dep RelaxedMemory::JoinDeps(CpuId cpu, Dep a, Dep b) {
  if (a == kNoDep) return b;
  if (b == kNoDep) return a;
  CpuViews& c = cpus_[cpu];
  View view = DepView(c, a);
  Join(view, DepView(c, b));
  return NewDep(c, std::move(view));
}

uint32_t RelaxedMemory::Lower(const CpuViews& c, const LocState& l, uint32_t slot, Dep dep) const {
  uint32_t lower = Get(c.cur, slot);
  if (dep != kNoDep) lower = std::max(lower, Get(DepView(c, dep), slot));
  const uint32_t oldest = l.newest + 1 > kHistory ? l.newest + 1 - kHistory : 0;
  return std::max(lower, oldest);
}

uint32_t RelaxedMemory::LoadOptions(CpuId cpu, Loc loc, uint64_t current, Dep dep) {
  const uint32_t slot = Slot(loc, current);
  const LocState& l = locs_[slot];
  return l.newest - Lower(cpus_[cpu], l, slot, dep) + 1;
}

void RelaxedMemory::Observe(CpuViews& c, uint32_t slot, const StoreRec& s, bool acquire) {
  Raise(c.cur, slot, s.index);  // coherence: no later load reads an older store (CoRR)
  Join(c.acq, s.view);
  Raise(c.acq, slot, s.index);
  if (acquire) Join(c.cur, s.view);
}

RelaxedMemory::LoadResult RelaxedMemory::Load(CpuId cpu, Loc loc, uint32_t choice, MemOrder order,
                                              Dep dep) {
  const uint32_t slot = slot_of_.at(loc);
  CpuViews& c = cpus_[cpu];
  const LocState& l = locs_[slot];
  PTFUZZ_CHECK(choice <= l.newest - Lower(c, l, slot, dep));
  const StoreRec& s = l.ring[(l.newest - choice) % kHistory];
  Observe(c, slot, s, order == MemOrder::kAcquire);
  LoadResult r;
  r.value = s.value;
  r.newer = choice;
  r.writer = s.writer;
  // The token: later loads through this value must see at least what this message carried,
  // and what the token this load's address came from carried (dependency chains compose).
  View token = dep != kNoDep ? DepView(c, dep) : View();
  Join(token, s.view);
  Raise(token, slot, s.index);
  // A value read back from this CPU's own store may carry a dependency on earlier loads (the
  // LKMM's dep ; rfi in to-r). Stores do not record which loads their values came from, so
  // order it after everything the CPU observed: that only forbids more.
  if (s.writer == cpu) Join(token, c.acq);
  r.dep = NewDep(c, std::move(token));
  return r;
}

void RelaxedMemory::Append(CpuId cpu, uint32_t slot, uint64_t value, View view) {
  LocState& l = locs_[slot];
  ++l.newest;
  Raise(view, slot, l.newest);
  StoreRec& s = l.ring[l.newest % kHistory];
  s.value = value;
  s.index = l.newest;
  s.writer = cpu;
  s.view = std::move(view);
  CpuViews& c = cpus_[cpu];
  Raise(c.cur, slot, l.newest);
  Raise(c.acq, slot, l.newest);
  Raise(c.own, slot, l.newest);
}

void RelaxedMemory::Store(CpuId cpu, Loc loc, uint64_t current, uint64_t value, MemOrder order) {
  const uint32_t slot = Slot(loc, current);
  CpuViews& c = cpus_[cpu];
  View view = c.fence;
  if (order == MemOrder::kRelease) Join(view, c.acq);
  Append(cpu, slot, value, std::move(view));
}

void RelaxedMemory::Rmw(CpuId cpu, Loc loc, uint64_t current, bool success, uint64_t value,
                        MemOrder order) {
  const uint32_t slot = Slot(loc, current);
  // A failed RMW (cmpxchg that compares unequal, add_unless at its limit) is unordered.
  const MemOrder o = success ? order : MemOrder::kRelaxed;
  if (o == MemOrder::kFull) Fence(cpu, FenceKind::kMb);
  CpuViews& c = cpus_[cpu];
  const LocState& l = locs_[slot];
  const StoreRec read = l.ring[l.newest % kHistory];  // atomicity: the newest store
  Observe(c, slot, read, o == MemOrder::kAcquire || o == MemOrder::kFull);
  if (success) {
    View view = c.fence;
    Join(view, read.view);
    if (o == MemOrder::kRelease || o == MemOrder::kFull) Join(view, c.acq);
    Append(cpu, slot, value, std::move(view));
  }
  if (o == MemOrder::kFull) Fence(cpu, FenceKind::kMb);
}

void RelaxedMemory::Fence(CpuId cpu, FenceKind fence) {
  CpuViews& c = cpus_[cpu];
  switch (fence) {
    case FenceKind::kRmb:
      Join(c.cur, c.acq);
      break;
    case FenceKind::kWmb:
      Join(c.fence, c.own);
      break;
    case FenceKind::kMb:
    case FenceKind::kMbBeforeAtomic:
    case FenceKind::kMbAfterAtomic:
      Join(sc_, c.acq);
      c.acq = sc_;    // sc_ now covers acq
      c.cur = c.acq;  // cur and fence are below acq: the joins are copies
      c.fence = c.acq;
      break;
  }
}

void RelaxedMemory::PairAtomic(Loc a, Loc b) {
  const uint32_t sa = Slot(a, 0);
  const uint32_t sb = Slot(b, 0);
  LocState& la = locs_[sa];
  LocState& lb = locs_[sb];
  Raise(la.ring[la.newest % kHistory].view, sb, lb.newest);
  Raise(lb.ring[lb.newest % kHistory].view, sa, la.newest);
}

void RelaxedMemory::Lock(CpuId cpu, Loc loc, uint64_t value) {
  const uint32_t slot = Slot(loc, 0);
  // The unlock (or initial value) this acquisition reads: its stores are ordered before this
  // CPU's later stores too (po-unlock-lock-po through rf), not only before its later loads.
  const View released = locs_[slot].ring[locs_[slot].newest % kHistory].view;
  Rmw(cpu, loc, 0, true, value, MemOrder::kAcquire);
  CpuViews& c = cpus_[cpu];
  Join(c.fence, released);
  if (c.unlocked) {
    Join(c.cur, c.unlock_acq);    // loads after the lock: after everything before the unlock
    Join(c.fence, c.unlock_own);  // stores after the lock: after the stores before the unlock
  }
}

void RelaxedMemory::Unlock(CpuId cpu, Loc loc, uint64_t current) {
  CpuViews& c = cpus_[cpu];
  c.unlocked = true;
  c.unlock_acq = c.acq;
  c.unlock_own = c.own;
  Store(cpu, loc, current, 0, MemOrder::kRelease);
}

std::vector<uint64_t> RelaxedMemory::Readable(CpuId cpu, Loc loc) const {
  std::vector<uint64_t> values;
  const auto it = slot_of_.find(loc);
  if (it == slot_of_.end()) return values;
  const LocState& l = locs_[it->second];
  for (uint32_t i = l.newest + 1; i-- > Lower(cpus_[cpu], l, it->second, kNoDep);) {
    values.push_back(l.ring[i % kHistory].value);
    if (i == 0) break;
  }
  return values;
}

std::vector<Loc> RelaxedMemory::TrackedIn(Loc lo, Loc hi) const {
  std::vector<Loc> out;
  for (const LocState& l : locs_) {
    if (l.loc >= lo && l.loc < hi) out.push_back(l.loc);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace ptfuzz

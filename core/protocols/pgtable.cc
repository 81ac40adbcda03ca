#include "core/protocols/pgtable.h"

#include "core/protocols/arch.h"
#include "core/world.h"

namespace ptfuzz {

namespace {

Task<Loaded> pxx_get_split(Cpu& cpu, PhysAddr p, PtLevel level, MemOrder order, Dep dep,
                           bool high_first) {
  World& world = *cpu.world;
  // ptep_get() / pmdp_get(): READ_ONCE() of a 64-bit pte_t / pmd_t, two 32-bit loads on i386.
  static constexpr FuncInfo kPtepGet{"ptep_get", "include/linux/pgtable.h", HashName("ptep_get")};
  static constexpr FuncInfo kPmdpGet{"pmdp_get", "include/linux/pgtable.h", HashName("pmdp_get")};
  FuncScope scope(cpu, level == PtLevel::kPte ? &kPtepGet : &kPmdpGet);
  const bool first_high = high_first;
  const Loaded a = co_await cpu.LoadHalf(p, first_high, level, order, dep);
  const int32_t a_src = cpu.last_split_source;
  const Loaded b = co_await cpu.LoadHalf(p, !first_high, level, order, dep);
  const int32_t b_src = cpu.last_split_source;
  const uint64_t low = first_high ? b.value : a.value;
  const uint64_t high = first_high ? a.value : b.value;
  const uint64_t value = JoinHalves(low, high);
  world.oracles().OnSplitRead(
      cpu, p, level, value, first_high ? b_src : a_src, first_high ? a_src : b_src,
      first_high ? "a plain read (high half first)" : "a plain read (low half first)");
  co_return Loaded{value, JoinDepTokens(world, cpu, a.dep, b.dep)};
}

Task<void> set_pte_split(Cpu& cpu, PhysAddr ptep, uint64_t pte) {
  PTFUZZ_KERNEL_FUNC(cpu, "native_set_pte", "arch/x86/include/asm/pgtable-3level.h");
  // The high half first: the entry becomes present only when the low half lands, and by then the
  // high half is visible to a reader that ordered its loads (smp_rmb()).
  co_await cpu.StoreHalf(ptep, true, EntryHigh(pte), PtLevel::kPte, MemOrder::kOnce);
  co_await cpu.Fence(FenceKind::kWmb);
  co_await cpu.StoreHalf(ptep, false, EntryLow(pte), PtLevel::kPte, MemOrder::kOnce);
}

Task<uint64_t> pxxp_get_and_clear_split(Cpu& cpu, PhysAddr p, PtLevel level) {
  World& world = *cpu.world;
  static constexpr FuncInfo kPte{"native_ptep_get_and_clear",
                                 "arch/x86/include/asm/pgtable-3level.h",
                                 HashName("native_ptep_get_and_clear")};
  static constexpr FuncInfo kPmd{"native_pmdp_get_and_clear",
                                 "arch/x86/include/asm/pgtable-3level.h",
                                 HashName("native_pmdp_get_and_clear")};
  FuncScope scope(cpu, level == PtLevel::kPte ? &kPte : &kPmd);
  if (world.variant().pae_get_and_clear_xchg64) {
    // pxx_xchg64(pte, ptep, 0): try_cmpxchg64() until it swaps; one locked 64-bit exchange.
    co_return co_await cpu.Xchg(p, 0, level, MemOrder::kFull);
  }
  // Before v6.2 (b7301f20105a): res.pte_low = xchg(&ptep->pte_low, 0); then the high half is
  // read and cleared with plain accesses (the pmd version did the same on pmd_low/pmd_high).
  // The xchg is a full barrier, so the clear of the low half (the present bit) is visible
  // before the high half changes.
  const uint64_t low = co_await cpu.XchgHalf(p, false, 0, level);
  const uint64_t high = co_await cpu.LoadHalf(p, true, level, MemOrder::kPlain);
  co_await cpu.StoreHalf(p, true, 0, level, MemOrder::kPlain);
  co_return JoinHalves(low, high);
}

Task<void> pmd_clear_split(Cpu& cpu, PhysAddr pmdp) {
  PTFUZZ_KERNEL_FUNC(cpu, "native_pmd_clear", "arch/x86/include/asm/pgtable-3level.h");
  co_await cpu.StoreHalf(pmdp, false, 0, PtLevel::kPmd, MemOrder::kOnce);
  co_await cpu.Fence(FenceKind::kWmb);
  co_await cpu.StoreHalf(pmdp, true, 0, PtLevel::kPmd, MemOrder::kOnce);
}

Task<void> set_pmd_split(Cpu& cpu, PhysAddr pmdp, uint64_t pmd) {
  PTFUZZ_KERNEL_FUNC(cpu, "native_set_pmd", "arch/x86/include/asm/pgtable-3level.h");
  // pxx_xchg64(pmd, pmdp, pmd): the whole entry in one locked exchange.
  co_await cpu.Xchg(pmdp, pmd, PtLevel::kPmd, MemOrder::kFull);
}

}  // namespace

OpOrTask<LoadAwaiter, Loaded> pxx_get(Cpu& cpu, PhysAddr p, PtLevel level, MemOrder order, Dep dep,
                                      bool high_first) {
  if (!cpu.world->SplitEntries(level)) return cpu.Load(p, level, order, dep);
  return pxx_get_split(cpu, p, level, order, dep, high_first);
}

OpOrTask<OpAwaiter, void> set_pte(Cpu& cpu, PhysAddr ptep, uint64_t pte) {
  if (!cpu.world->SplitEntries(PtLevel::kPte)) {
    return cpu.Store(ptep, pte, PtLevel::kPte, MemOrder::kOnce);
  }
  return set_pte_split(cpu, ptep, pte);
}

OpOrTask<OpAwaiter, uint64_t> ptep_get_and_clear(Cpu& cpu, PhysAddr ptep) {
  if (!cpu.world->SplitEntries(PtLevel::kPte)) {
    return cpu.Xchg(ptep, 0, PtLevel::kPte, PtepGetAndClearOrder(*cpu.world));
  }
  return pxxp_get_and_clear_split(cpu, ptep, PtLevel::kPte);
}

OpOrTask<OpAwaiter, uint64_t> pmdp_huge_get_and_clear(Cpu& cpu, PhysAddr pmdp) {
  if (!cpu.world->SplitEntries(PtLevel::kPmd)) {
    // x86-64 native_pmdp_get_and_clear(): xchg; arm64 pmdp_huge_get_and_clear() ->
    // __ptep_get_and_clear(): xchg_relaxed, as for a PTE.
    return cpu.Xchg(pmdp, 0, PtLevel::kPmd, PtepGetAndClearOrder(*cpu.world));
  }
  return pxxp_get_and_clear_split(cpu, pmdp, PtLevel::kPmd);
}

Task<PudSlot> walk_to_pud(Cpu& cpu, VirtAddr addr) {
  World& world = *cpu.world;
  const Loaded pgd =
      co_await cpu.Load(EntryAddr(world.pgd_of(cpu.mm), TableIndex(addr, PtLevel::kPgd)),
                        PtLevel::kPgd, MemOrder::kPlain);
  if (!EntryPresent(pgd)) co_return PudSlot{};
  const PhysAddr pudp = EntryAddr(EntryFrame(pgd), TableIndex(addr, PtLevel::kPud));
  co_return PudSlot{pudp, co_await cpu.Load(pudp, PtLevel::kPud, MemOrder::kPlain, pgd.dep)};
}

Task<PmdSlot> walk_to_pmd(Cpu& cpu, VirtAddr addr) {
  const PudSlot slot = co_await walk_to_pud(cpu, addr);
  if (!EntryPresent(slot.pud)) co_return PmdSlot{};
  co_return PmdSlot{EntryAddr(EntryFrame(slot.pud), TableIndex(addr, PtLevel::kPmd)), slot.pud.dep};
}

OpOrTask<OpAwaiter, void> pmd_clear(Cpu& cpu, PhysAddr pmdp) {
  if (!cpu.world->SplitEntries(PtLevel::kPmd)) {
    return cpu.Store(pmdp, 0, PtLevel::kPmd, MemOrder::kOnce);
  }
  return pmd_clear_split(cpu, pmdp);
}

OpOrTask<OpAwaiter, void> set_pmd(Cpu& cpu, PhysAddr pmdp, uint64_t pmd) {
  if (!cpu.world->SplitEntries(PtLevel::kPmd)) {
    return cpu.Store(pmdp, pmd, PtLevel::kPmd, MemOrder::kOnce);
  }
  return set_pmd_split(cpu, pmdp, pmd);
}

}  // namespace ptfuzz

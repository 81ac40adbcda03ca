#include "core/protocols/pgtable_lockless.h"

#include "core/protocols/contpte.h"
#include "core/protocols/pgtable.h"
#include "core/check.h"
#include "core/world.h"

namespace ptfuzz {

namespace {

// The LOW_HIGH retry loop of ptep_get_lockless() / pmdp_get_lockless() on the entry at `p`.
Task<Loaded> get_lockless_low_high(Cpu& cpu, PhysAddr p, PtLevel level, Dep dep,
                                   const char* reader) {
  World& world = *cpu.world;
  for (;;) {
    const Loaded low = co_await cpu.LoadHalf(p, false, level, MemOrder::kPlain, dep);
    const int32_t low_src = cpu.last_split_source;
    co_await cpu.Fence(FenceKind::kRmb);
    const Loaded high = co_await cpu.LoadHalf(p, true, level, MemOrder::kPlain, dep);
    const int32_t high_src = cpu.last_split_source;
    co_await cpu.Fence(FenceKind::kRmb);
    const Loaded again = co_await cpu.LoadHalf(p, false, level, MemOrder::kPlain, dep);
    if (again.value != low.value) continue;  // the low half changed under us: retry
    const uint64_t value = JoinHalves(low.value, high.value);
    world.oracles().OnSplitRead(cpu, p, level, value, low_src, high_src, reader,
                                cpu.last_split_source);
    co_return Loaded{value, JoinDepTokens(world, cpu, low.dep, high.dep)};
  }
}

// arm64 with contiguous blocks, or x86-PAE.
Task<Loaded> ptep_get_lockless_slow(Cpu& cpu, PhysAddr ptep, Dep dep) {
  World& world = *cpu.world;
  if (world.config().cont_ptes != 0) {
    // arm64 with CONFIG_ARM64_CONTPTE (arch/arm64/include/asm/pgtable.h): READ_ONCE, and the
    // block read when the entry is valid and contiguous.
    PTFUZZ_KERNEL_FUNC(cpu, "ptep_get_lockless", "arch/arm64/include/asm/pgtable.h");
    world.oracles().OnContReadBegin(cpu, ptep);
    const Loaded pte = co_await cpu.Load(ptep, PtLevel::kPte, MemOrder::kOnce, dep);
    if (!PteValidCont(pte) || world.variant().contpte_read == ContpteRead::kNoRecency) {
      world.oracles().OnContRead(cpu, ptep, pte, {});
      co_return pte;
    }
    co_return co_await contpte_ptep_get_lockless(cpu, ptep, dep);
  }
  PTFUZZ_KERNEL_FUNC(cpu, "ptep_get_lockless", "include/linux/pgtable.h");
  co_return co_await get_lockless_low_high(cpu, ptep, PtLevel::kPte, dep, "ptep_get_lockless()");
}

Task<Loaded> pmdp_get_lockless_split(Cpu& cpu, PhysAddr pmdp, Dep dep) {
  PTFUZZ_KERNEL_FUNC(cpu, "pmdp_get_lockless", "include/linux/pgtable.h");
  co_return co_await get_lockless_low_high(cpu, pmdp, PtLevel::kPmd, dep, "pmdp_get_lockless()");
}

Task<Loaded> pmd_read_split(Cpu& cpu, PhysAddr pmdp, Dep dep, PaePmdRead how) {
  World& world = *cpu.world;
  switch (how) {
    case PaePmdRead::kLowHighRetry:
      co_return co_await pmdp_get_lockless(cpu, pmdp, dep);
    case PaePmdRead::kReadAtomic: {
      // pmd_read_atomic() (26c191788f18, CVE-2012-2373; removed by 024d232ae4fc in v6.2).
      PTFUZZ_KERNEL_FUNC(cpu, "pmd_read_atomic", "arch/x86/include/asm/pgtable-3level.h");
      const Loaded low = co_await cpu.LoadHalf(pmdp, false, PtLevel::kPmd, MemOrder::kPlain, dep);
      const int32_t low_src = cpu.last_split_source;
      uint64_t high = 0;
      int32_t high_src = -1;
      Dep joined = low.dep;
      if (low.value != 0) {
        co_await cpu.Fence(FenceKind::kRmb);
        const Loaded h = co_await cpu.LoadHalf(pmdp, true, PtLevel::kPmd, MemOrder::kPlain, dep);
        high = h.value;
        high_src = cpu.last_split_source;
        joined = JoinDepTokens(world, cpu, low.dep, h.dep);
      }
      const uint64_t value = JoinHalves(low.value, high);
      world.oracles().OnSplitRead(cpu, pmdp, PtLevel::kPmd, value, low_src, high_src,
                                  "pmd_read_atomic()");
      co_return Loaded{value, joined};
    }
    case PaePmdRead::kPlainLowHigh:
      co_return co_await pxx_get(cpu, pmdp, PtLevel::kPmd, MemOrder::kPlain, dep, false);
    case PaePmdRead::kPlainHighLow:
      co_return co_await pxx_get(cpu, pmdp, PtLevel::kPmd, MemOrder::kPlain, dep, true);
  }
  PTFUZZ_CHECK(false);
  co_return Loaded{};
}

}  // namespace

OpOrTask<LoadAwaiter, Loaded> ptep_get_lockless(Cpu& cpu, PhysAddr ptep, Dep dep) {
  if (cpu.world->config().cont_ptes == 0 && !cpu.world->SplitEntries(PtLevel::kPte)) {
    return cpu.Load(ptep, PtLevel::kPte, MemOrder::kOnce, dep);
  }
  return ptep_get_lockless_slow(cpu, ptep, dep);
}

OpOrTask<LoadAwaiter, Loaded> pmdp_get_lockless(Cpu& cpu, PhysAddr pmdp, Dep dep) {
  if (!cpu.world->SplitEntries(PtLevel::kPmd)) {
    return cpu.Load(pmdp, PtLevel::kPmd, MemOrder::kOnce, dep);
  }
  return pmdp_get_lockless_split(cpu, pmdp, dep);
}

OpOrTask<LoadAwaiter, Loaded> pmd_read_for_walk(Cpu& cpu, PhysAddr pmdp, Dep dep) {
  if (!cpu.world->SplitEntries(PtLevel::kPmd)) {
    return cpu.Load(pmdp, PtLevel::kPmd, MemOrder::kOnce, dep);
  }
  return pmd_read_split(cpu, pmdp, dep, cpu.world->variant().pae_pmd_read);
}

OpOrTask<LoadAwaiter, Loaded> pmd_read_as(Cpu& cpu, PhysAddr pmdp, Dep dep, PaePmdRead how) {
  if (!cpu.world->SplitEntries(PtLevel::kPmd)) {
    return cpu.Load(pmdp, PtLevel::kPmd, MemOrder::kOnce, dep);
  }
  return pmd_read_split(cpu, pmdp, dep, how);
}

}  // namespace ptfuzz

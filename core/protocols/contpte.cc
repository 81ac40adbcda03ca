#include "core/protocols/contpte.h"

#include <vector>

#include "core/protocols/pte_offset_map.h"
#include "core/protocols/tlb_flush.h"
#include "core/world.h"

namespace ptfuzz {

namespace {

uint64_t PtePfn(uint64_t pte) { return (pte & kPtePfnMask) >> kPageShift; }
// pgprot(pte_mkold(pte_mkclean(pte))): the protections, young and dirty masked out.
uint64_t PteProtNoAd(uint64_t pte) { return pte & ~kPtePfnMask & ~kPteYoungDirty; }

uint32_t ContPtes(const Cpu& cpu) { return cpu.world->config().cont_ptes; }

// The first entry of the block containing `ptep`.
PhysAddr BlockStart(const Cpu& cpu, PhysAddr ptep) {
  const uint32_t n = ContPtes(cpu);
  return EntryAddr(AddrFrame(ptep), AddrIndex(ptep) & ~(n - 1));
}

}  // namespace

Task<Loaded> contpte_ptep_get_lockless(Cpu& cpu, PhysAddr orig_ptep, Dep dep) {
  PTFUZZ_KERNEL_FUNC(cpu, "contpte_ptep_get_lockless", "arch/arm64/mm/contpte.c");
  World& world = *cpu.world;
  const ContpteRead variant = world.variant().contpte_read;
  const uint32_t n = ContPtes(cpu);
  const PhysAddr start = BlockStart(cpu, orig_ptep);
  const uint32_t offset = AddrIndex(orig_ptep) - AddrIndex(start);
  std::vector<uint64_t> pass;
  // After a failed pass: what it read, for the wait before the next one.
  std::vector<std::pair<Loc, uint64_t>> seen;
  for (;;) {
    if (!seen.empty()) co_await cpu.WaitChange(std::move(seen), PtLevel::kPte);
    seen.clear();
    pass.clear();
    // orig = __ptep_get(orig_ptep): READ_ONCE.
    Loaded orig = co_await cpu.Load(orig_ptep, PtLevel::kPte, MemOrder::kOnce, dep);
    if (variant == ContpteRead::kNoRecency || !PteValidCont(orig)) {
      // Not (or no longer) in a block: consistent by itself. norecency never gathers.
      world.oracles().OnContRead(cpu, orig_ptep, orig, {});
      co_return orig;
    }
    seen.emplace_back(PtEntryLoc(orig_ptep), orig.value);
    const uint64_t orig_prot = PteProtNoAd(orig);
    const uint64_t base_pfn = PtePfn(orig) - offset;
    uint64_t gathered = 0;  // young/dirty of the entries scanned so far
    bool retry = false;
    for (uint32_t i = 0; i < n; ++i) {
      const PhysAddr ptep = EntryAddr(AddrFrame(start), AddrIndex(start) + i);
      const Loaded pte = co_await cpu.Load(ptep, PtLevel::kPte, MemOrder::kOnce, dep);
      pass.push_back(pte);
      seen.emplace_back(PtEntryLoc(ptep), pte.value);
      // contpte_is_consistent(): valid and contiguous, the next pfn, the same protections.
      if (variant != ContpteRead::kNoCheck &&
          (!PteValidCont(pte) || PtePfn(pte) != base_pfn + i || PteProtNoAd(pte) != orig_prot)) {
        retry = true;  // a racing unfold, refold or modification: goto retry
        break;
      }
      gathered |= pte.value & kPteYoungDirty;  // pte_mkdirty() / pte_mkyoung()
      // Today's scan stops once the entries it scanned showed both bits.
      if (variant == ContpteRead::kEarlyStop && gathered == kPteYoungDirty) break;
    }
    orig.value |= gathered;
    if (retry) continue;
    world.oracles().OnContRead(cpu, orig_ptep, orig, pass);
    co_return orig;
  }
}

namespace {

// contpte_convert(): break-before-make of the whole block starting at `start`, rewritten from
// `first` (the first entry's value, pfn and protections) with or without PTE_CONT.
Task<void> contpte_convert(Cpu& cpu, PhysAddr start, uint64_t first, bool cont, VirtAddr block) {
  PTFUZZ_KERNEL_FUNC(cpu, "contpte_convert", "arch/arm64/mm/contpte.c");
  const uint32_t n = ContPtes(cpu);
  uint64_t young_dirty = 0;
  for (uint32_t i = 0; i < n; ++i) {
    // __ptep_get_and_clear(): xchg_relaxed(), gathering what hardware set.
    const uint64_t old = co_await cpu.Xchg(EntryAddr(AddrFrame(start), AddrIndex(start) + i), 0,
                                           PtLevel::kPte, MemOrder::kRelaxed);
    young_dirty |= old & kPteYoungDirty;
  }
  // __flush_tlb_range(): no CPU may keep a translation of the old entries (unless the system
  // supports BBML2 without aborts, not modelled).
  co_await flush_tlb_mm_range(cpu, block, block + n * kPageSize);
  // __set_ptes(): the new entries, consecutive pfns, each with the gathered young/dirty bits.
  const uint64_t base = (first & ~kPteYoungDirty & ~kPteCont) | young_dirty | (cont ? kPteCont : 0);
  for (uint32_t i = 0; i < n; ++i) {
    co_await cpu.Store(EntryAddr(AddrFrame(start), AddrIndex(start) + i),
                       base + (uint64_t{i} << kPageShift), PtLevel::kPte, MemOrder::kOnce);
  }
}

}  // namespace

Task<void> ContpteUnfoldFoldActor(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "contpte_unfold_fold", "arch/arm64/mm/contpte.c");
  const uint32_t n = ContPtes(cpu);
  if (n == 0) co_return;
  const VirtAddr block = addr & ~(VirtAddr{n} * kPageSize - 1);
  // The walk to the pmd: plain dereferences under the mmap lock, as zap's.
  const Loaded pgd =
      co_await cpu.Load(EntryAddr(cpu.world->pgd_of(cpu.mm), TableIndex(addr, PtLevel::kPgd)),
                        PtLevel::kPgd, MemOrder::kPlain);
  if (!EntryPresent(pgd)) co_return;
  const Loaded pud = co_await cpu.Load(EntryAddr(EntryFrame(pgd), TableIndex(addr, PtLevel::kPud)),
                                       PtLevel::kPud, MemOrder::kPlain, pgd.dep);
  if (!EntryPresent(pud)) co_return;
  const PhysAddr pmdp = EntryAddr(EntryFrame(pud), TableIndex(addr, PtLevel::kPmd));
  for (const bool fold : {false, true}) {
    // contpte_try_unfold() (e.g. mprotect() of part of the block), then contpte_try_fold()
    // (e.g. a later write fault finds the block uniform again), each under the PTL.
    const MappedPte mapped = co_await pte_offset_map_lock(cpu, pmdp, pud.dep, addr);
    if (mapped.table == kNoFrame) co_return;
    const PhysAddr start = EntryAddr(mapped.table, TableIndex(block, PtLevel::kPte));
    bool uniform = true;
    uint64_t first = 0;
    for (uint32_t i = 0; i < n; ++i) {
      const uint64_t pte = co_await cpu.Load(EntryAddr(mapped.table, AddrIndex(start) + i),
                                             PtLevel::kPte, MemOrder::kOnce, mapped.dep);
      if (i == 0) first = pte;
      // Unfold needs a folded block; fold needs n valid entries, consecutive, same protections.
      uniform &= EntryPresent(pte) && ((pte & kPteCont) != 0) == !fold &&
                 (pte & kPtePfnMask) == (first & kPtePfnMask) + (uint64_t{i} << kPageShift) &&
                 (pte & ~kPtePfnMask & ~kPteYoungDirty) == (first & ~kPtePfnMask & ~kPteYoungDirty);
    }
    if (uniform) co_await contpte_convert(cpu, start, first, fold, block);
    co_await pte_unmap_unlock(cpu, mapped.table);
    if (!uniform) co_return;
  }
}

}  // namespace ptfuzz

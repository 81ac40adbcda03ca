#include "core/protocols/gup_fast.h"

#include "core/protocols/folio_ref.h"
#include "core/protocols/pgtable.h"
#include "core/protocols/pgtable_lockless.h"
#include "core/world.h"

namespace ptfuzz {

namespace {

// pte_same() in the recheck; the injected PAE bug compares only the low halves.
bool PteSame(const ProtocolVariant& variant, uint64_t a, uint64_t b) {
  return variant.gup_pte_recheck_whole ? a == b : EntryLow(a) == EntryLow(b);
}

Task<FrameId> gup_fast_pte_range(Cpu& cpu, PhysAddr pmdp, Loaded pmd, VirtAddr addr, bool pin) {
  PTFUZZ_KERNEL_FUNC(cpu, "gup_fast_pte_range", "mm/gup.c");
  const ProtocolVariant& variant = cpu.world->variant();
  // pte_offset_map(&pmd, addr): the table address comes from the local copy of the pmd, so the
  // PTE load is address-dependent on the pmd load.
  const PhysAddr ptep = EntryAddr(EntryFrame(pmd), TableIndex(addr, PtLevel::kPte));
  const Loaded pte = co_await ptep_get_lockless(cpu, ptep, pmd.dep);
  // pte_protnone() / pte_access_permitted(pte, write=false): present and user.
  if (!EntryPresent(pte) || (pte & kPteUser) == 0) co_return kNoFrame;
  const FrameId page = EntryFrame(pte);
  // A garbage entry read from a freed table can name any pfn; pfn_valid() style bail-out.
  if (page >= cpu.world->memory().num_frames()) co_return kNoFrame;
  if (!co_await try_grab_folio_fast(cpu, page, pin)) co_return kNoFrame;
  // The reference is held from here on: the oracle checks that the slots this walker read still
  // map the page at some instant while it is held (kernel-mm.md section 12).
  cpu.world->oracles().OnGupRefTaken(cpu, page, pmdp, ptep);
  // The rechecks rely on the full barrier implied by the successful value-returning atomic in
  // try_grab_folio_fast(): they cannot be satisfied from before the reference was taken.
  if (variant.gup_pmd_recheck && pmd.value != co_await pmdp_get_lockless(cpu, pmdp)) {
    cpu.world->oracles().OnGupRefDropped(cpu);
    co_await gup_put_folio(cpu, page, pin);
    co_return kNoFrame;
  }
  if (variant.gup_pte_recheck && !PteSame(variant, pte, co_await ptep_get_lockless(cpu, ptep, pmd.dep))) {
    cpu.world->oracles().OnGupRefDropped(cpu);
    co_await gup_put_folio(cpu, page, pin);
    co_return kNoFrame;
  }
  // The page goes to the caller: the PTE value it came from must be one the entry held.
  cpu.world->oracles().OnEntryUse(cpu, ptep, pte, Oracles::EntryUse::kReturnedPage);
  co_return page;
}

// A huge PMD: the folio it maps, rechecked against the PMD after the try-get.
Task<FrameId> gup_fast_pmd_leaf(Cpu& cpu, PhysAddr pmdp, Loaded pmd, bool pin) {
  PTFUZZ_KERNEL_FUNC(cpu, "gup_fast_pmd_leaf", "mm/gup.c");
  // pmd_access_permitted(orig, write=false): present and user.
  if ((pmd & kPteUser) == 0) co_return kNoFrame;
  // pmd_page(orig) + the subpage: the whole huge folio is one frame here (core/pte.h).
  const FrameId page = EntryFrame(pmd);
  if (page >= cpu.world->memory().num_frames()) co_return kNoFrame;
  if (!co_await try_grab_folio_fast(cpu, page, pin)) co_return kNoFrame;
  cpu.world->oracles().OnGupRefTaken(cpu, page, pmdp, /*ptep=*/0);
  // pmd_val(orig) != pmd_val(*pmdp): a plain dereference (two loads on PAE), after the
  // try-get's full barrier.
  if (pmd.value != co_await pxx_get(cpu, pmdp, PtLevel::kPmd, MemOrder::kPlain, pmd.dep)) {
    cpu.world->oracles().OnGupRefDropped(cpu);
    co_await gup_put_folio(cpu, page, pin);
    co_return kNoFrame;
  }
  // The huge-PMD pfn goes to the caller: the PMD must have held that value.
  cpu.world->oracles().OnEntryUse(cpu, pmdp, pmd, Oracles::EntryUse::kReturnedPage);
  co_return page;
}

Task<FrameId> gup_fast_pmd_range(Cpu& cpu, Loaded pud, VirtAddr addr, bool pin) {
  PTFUZZ_KERNEL_FUNC(cpu, "gup_fast_pmd_range", "mm/gup.c");
  // pmd_offset_lockless(pudp, pud, addr): derived from the pud value, not a re-read.
  const PhysAddr pmdp = EntryAddr(EntryFrame(pud), TableIndex(addr, PtLevel::kPmd));
  // pmdp_get_lockless() since 1180e732c985 (v6.2); READ_ONCE(*pmdp) before, two loads on PAE.
  const Loaded pmd = co_await pmd_read_as(cpu, pmdp, pud.dep, cpu.world->variant().gup_pmd_read);
  if (!EntryPresent(pmd)) co_return kNoFrame;
  if (PmdHuge(pmd)) co_return co_await gup_fast_pmd_leaf(cpu, pmdp, pmd, pin);
  cpu.world->oracles().OnEntryUse(cpu, pmdp, pmd, Oracles::EntryUse::kTablePointer);
  co_return co_await gup_fast_pte_range(cpu, pmdp, pmd, addr, pin);
}

Task<FrameId> gup_fast_pud_range(Cpu& cpu, Loaded p4d, VirtAddr addr, bool pin) {
  PTFUZZ_KERNEL_FUNC(cpu, "gup_fast_pud_range", "mm/gup.c");
  // pud_offset_lockless(): address-dependent on the p4d (= pgd) value; READ_ONCE of the entry.
  const PhysAddr pudp = EntryAddr(EntryFrame(p4d), TableIndex(addr, PtLevel::kPud));
  const Loaded pud = co_await cpu.Load(pudp, PtLevel::kPud, MemOrder::kOnce, p4d.dep);
  if (!EntryPresent(pud)) co_return kNoFrame;
  co_return co_await gup_fast_pmd_range(cpu, pud, addr, pin);
}

Task<FrameId> gup_fast_pgd_range(Cpu& cpu, VirtAddr addr, bool pin) {
  PTFUZZ_KERNEL_FUNC(cpu, "gup_fast_pgd_range", "mm/gup.c");
  const PhysAddr pgdp = EntryAddr(cpu.world->pgd(), TableIndex(addr, PtLevel::kPgd));
  // pgdp_get(): READ_ONCE (the pgd itself is the mm's, reached without a dependency).
  const Loaded pgd = co_await cpu.Load(pgdp, PtLevel::kPgd, MemOrder::kOnce);
  if (!EntryPresent(pgd)) co_return kNoFrame;
  // gup_fast_p4d_range(): the p4d level is folded, so p4d_offset_lockless() returns the pgd slot
  // and its value unchanged; no load.
  co_return co_await gup_fast_pud_range(cpu, pgd, addr, pin);
}

}  // namespace

Task<FrameId> gup_fast(Cpu& cpu, VirtAddr addr, bool pin) {
  PTFUZZ_KERNEL_FUNC(cpu, "gup_fast", "mm/gup.c");
  cpu.world->oracles().OnGupBegin(cpu, addr);
  co_await cpu.IrqDisable();  // local_irq_save()
  const FrameId page = co_await gup_fast_pgd_range(cpu, addr, pin);
  co_await cpu.IrqEnable();  // local_irq_restore()
  cpu.world->oracles().OnGupReturn(cpu, page);
  co_return page;
}

Task<void> GupFastActor(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "get_user_pages_fast_only", "mm/gup.c");
  const FrameId page = co_await gup_fast(cpu, addr, /*pin=*/false);
  // The caller is done with the page (e.g. the I/O completed): put_page().
  if (page != kNoFrame) {
    cpu.world->oracles().OnGupRelease(cpu);
    co_await folio_put(cpu, page);
  }
}

Task<void> GupFastPinActor(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "pin_user_pages_fast", "mm/gup.c");
  const FrameId page = co_await gup_fast(cpu, addr, /*pin=*/true);
  // The DMA completed: unpin_user_page() -> gup_put_folio(FOLL_PIN).
  if (page != kNoFrame) {
    cpu.world->oracles().OnGupRelease(cpu);
    co_await gup_put_folio(cpu, page, /*pin=*/true);
  }
}

}  // namespace ptfuzz

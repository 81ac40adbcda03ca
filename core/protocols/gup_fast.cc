#include "core/protocols/gup_fast.h"

#include "core/protocols/folio_ref.h"
#include "core/protocols/pgtable_lockless.h"
#include "core/world.h"

namespace ptfuzz {

namespace {

Task<FrameId> gup_fast_pte_range(Cpu& cpu, PhysAddr pmdp, uint64_t pmd, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "gup_fast_pte_range", "mm/gup.c");
  const ProtocolVariant& variant = cpu.world->variant();
  // pte_offset_map(&pmd, addr): the table address comes from the local copy of the pmd.
  const PhysAddr ptep = EntryAddr(EntryFrame(pmd), TableIndex(addr, PtLevel::kPte));
  const uint64_t pte = co_await ptep_get_lockless(cpu, ptep);
  // pte_protnone() / pte_access_permitted(pte, write=false): present and user.
  if (!EntryPresent(pte) || (pte & kPteUser) == 0) co_return kNoFrame;
  const FrameId page = EntryFrame(pte);
  // A garbage entry read from a freed table can name any pfn; pfn_valid() style bail-out.
  if (page >= cpu.world->memory().num_frames()) co_return kNoFrame;
  if (!co_await try_grab_folio_fast(cpu, page)) co_return kNoFrame;
  if (variant.gup_pmd_recheck && pmd != co_await pmdp_get_lockless(cpu, pmdp)) {
    co_await folio_put(cpu, page);  // gup_put_folio()
    co_return kNoFrame;
  }
  if (variant.gup_pte_recheck && pte != co_await ptep_get_lockless(cpu, ptep)) {
    co_await folio_put(cpu, page);
    co_return kNoFrame;
  }
  co_return page;
}

Task<FrameId> gup_fast_pmd_range(Cpu& cpu, uint64_t pud, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "gup_fast_pmd_range", "mm/gup.c");
  // pmd_offset_lockless(pudp, pud, addr): derived from the pud value, not a re-read.
  const PhysAddr pmdp = EntryAddr(EntryFrame(pud), TableIndex(addr, PtLevel::kPmd));
  const uint64_t pmd = co_await pmdp_get_lockless(cpu, pmdp);
  if (!EntryPresent(pmd)) co_return kNoFrame;
  co_return co_await gup_fast_pte_range(cpu, pmdp, pmd, addr);
}

Task<FrameId> gup_fast_pud_range(Cpu& cpu, uint64_t p4d, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "gup_fast_pud_range", "mm/gup.c");
  const PhysAddr pudp = EntryAddr(EntryFrame(p4d), TableIndex(addr, PtLevel::kPud));
  const uint64_t pud = co_await cpu.Load(pudp, PtLevel::kPud);
  if (!EntryPresent(pud)) co_return kNoFrame;
  co_return co_await gup_fast_pmd_range(cpu, pud, addr);
}

Task<FrameId> gup_fast_pgd_range(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "gup_fast_pgd_range", "mm/gup.c");
  const PhysAddr pgdp = EntryAddr(cpu.world->pgd(), TableIndex(addr, PtLevel::kPgd));
  const uint64_t pgd = co_await cpu.Load(pgdp, PtLevel::kPgd);
  if (!EntryPresent(pgd)) co_return kNoFrame;
  // gup_fast_p4d_range(): the p4d level is folded, so p4d_offset_lockless() returns the pgd slot
  // and its value unchanged; no load.
  co_return co_await gup_fast_pud_range(cpu, pgd, addr);
}

}  // namespace

Task<FrameId> gup_fast(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "gup_fast", "mm/gup.c");
  cpu.world->oracles().OnGupBegin(cpu, addr);
  co_await cpu.IrqDisable();  // local_irq_save()
  const FrameId page = co_await gup_fast_pgd_range(cpu, addr);
  co_await cpu.IrqEnable();  // local_irq_restore()
  cpu.world->oracles().OnGupReturn(cpu, page);
  co_return page;
}

Task<void> GupFastActor(Cpu& cpu, VirtAddr addr) {
  PTFUZZ_KERNEL_FUNC(cpu, "get_user_pages_fast_only", "mm/gup.c");
  const FrameId page = co_await gup_fast(cpu, addr);
  // The caller is done with the page (e.g. the I/O completed): put_page().
  if (page != kNoFrame) co_await folio_put(cpu, page);
}

}  // namespace ptfuzz

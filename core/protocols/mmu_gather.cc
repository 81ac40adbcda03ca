#include "core/protocols/mmu_gather.h"

#include "core/protocols/folio_ref.h"
#include "core/protocols/tlb_flush.h"
#include "core/world.h"

namespace ptfuzz {

namespace {

// tlb_flush_mmu_tlbonly(): nothing to do when nothing was unmapped.
Task<void> tlb_flush_mmu_tlbonly(Cpu& cpu, MmuGather& tlb) {
  PTFUZZ_KERNEL_FUNC(cpu, "tlb_flush_mmu_tlbonly", "include/asm-generic/tlb.h");
  if (tlb.end == 0) co_return;
  co_await flush_tlb_mm_range(cpu, tlb.start, tlb.end);
  tlb.start = ~VirtAddr{0};
  tlb.end = 0;
}

// tlb_batch_pages_flush() -> free_pages_and_swap_cache(): one folio_put() per queued page.
Task<void> tlb_batch_pages_flush(Cpu& cpu, MmuGather& tlb) {
  PTFUZZ_KERNEL_FUNC(cpu, "tlb_batch_pages_flush", "mm/mmu_gather.c");
  for (FrameId page : tlb.pages) co_await folio_put(cpu, page);
  tlb.pages.clear();
}

}  // namespace

Task<void> tlb_finish_mmu(Cpu& cpu, MmuGather& tlb) {
  PTFUZZ_KERNEL_FUNC(cpu, "tlb_finish_mmu", "mm/mmu_gather.c");
  // tlb_finish_mmu() -> tlb_flush_mmu(): the two halves in the order the variant says.
  if (cpu.world->variant().zap_flush_before_free) {
    co_await tlb_flush_mmu_tlbonly(cpu, tlb);
    co_await tlb_batch_pages_flush(cpu, tlb);
  } else {
    co_await tlb_batch_pages_flush(cpu, tlb);
    co_await tlb_flush_mmu_tlbonly(cpu, tlb);
  }
}

Task<void> tlb_remove_table_sync_one(Cpu& cpu) {
  PTFUZZ_KERNEL_FUNC(cpu, "tlb_remove_table_sync_one", "mm/mmu_gather.c");
  // An empty flush range: the targets run tlb_remove_table_smp_sync(), which does nothing; the
  // point is the wait.
  co_await cpu.IpiSend(0, 0);
  co_await cpu.IpiWait();
}

}  // namespace ptfuzz

#include "core/protocols/folio_ref.h"

#include "core/check.h"
#include "core/world.h"

namespace ptfuzz {

PageFolioAwaiter::PageFolioAwaiter(Cpu& cpu, FrameId page, Dep dep) : page_(page) {
  if (cpu.world->large_folios())
    load_.emplace(cpu.LoadLoc(CompoundHeadLoc(page), MemOrder::kOnce, dep));
}

namespace {

// try_get_folio() (mm/gup.c): the folio a reference was taken on, or kNoFrame.
Task<FrameId> try_get_folio(Cpu& cpu, FrameId page, Dep dep) {
  PTFUZZ_KERNEL_FUNC(cpu, "try_get_folio", "mm/gup.c");
  const ProtocolVariant& variant = cpu.world->variant();
  for (;;) {
    const FrameId folio = co_await page_folio(cpu, page, dep);
    if (variant.gup_try_get_unless_zero) {
      // folio_ref_try_add(folio, 1): atomic_add_unless(&_refcount, 1, 0), fully ordered.
      if (co_await cpu.RefTryAdd(folio, 1) == 0) co_return kNoFrame;
    } else {
      co_await cpu.RefAdd(folio, 1);
    }
    // Only a large folio can stop containing the page (an order-0 page is its own folio).
    if (!variant.gup_folio_recheck || !cpu.world->large_folios()) co_return folio;
    if (co_await page_folio(cpu, page, dep) == folio) co_return folio;
    // Split (or freed and reused) between the lookup and the increment: this is a speculative
    // reference on whatever the folio is now, dropped by an ordinary put that may free it.
    co_await cpu.RefPut(folio, 1);
  }
}

}  // namespace

Task<FrameId> try_grab_folio_fast(Cpu& cpu, FrameId page, bool pin, Dep dep) {
  PTFUZZ_KERNEL_FUNC(cpu, "try_grab_folio_fast", "mm/gup.c");
  PTFUZZ_DCHECK(cpu.irqs_disabled);
  const ProtocolVariant& variant = cpu.world->variant();
  const FrameId folio = co_await try_get_folio(cpu, page, dep);
  if (folio == kNoFrame) co_return kNoFrame;
  if (pin) {
    PTFUZZ_CHECK(cpu.world->memory().frame(folio).order == 0);
    // FOLL_PIN on a small folio: the rest of the bias, with a non-value-returning atomic ...
    co_await cpu.RefAdd(folio, kGupPinCountingBias - 1);
    // ... so "the pincount change is ordered before the PTE recheck" needs this barrier; it pairs
    // with the smp_mb() in folio_try_share_anon_rmap_pte() (088b8aa537c2).
    if (variant.gup_pin_mb_after_atomic) co_await cpu.Fence(FenceKind::kMbAfterAtomic);
  }
  co_return folio;
}

Task<bool> gup_put_folio(Cpu& cpu, FrameId folio, bool pin) {
  PTFUZZ_KERNEL_FUNC(cpu, "gup_put_folio", "mm/gup.c");
  // folio_put_refs(folio, refs): atomic_sub_and_test, fully ordered; frees at zero.
  co_return co_await cpu.RefPut(folio, pin ? kGupPinCountingBias : 1) != 0;
}

Task<bool> folio_try_get(Cpu& cpu, FrameId folio) {
  PTFUZZ_KERNEL_FUNC(cpu, "folio_try_get", "include/linux/page_ref.h");
  co_return co_await cpu.RefTryAdd(folio, 1) != 0;
}

Task<bool> folio_put(Cpu& cpu, FrameId folio) {
  PTFUZZ_KERNEL_FUNC(cpu, "folio_put", "include/linux/mm.h");
  co_return co_await cpu.RefPut(folio, 1) != 0;
}

Task<bool> put_page(Cpu& cpu, FrameId page) {
  PTFUZZ_KERNEL_FUNC(cpu, "put_page", "include/linux/mm.h");
  co_return co_await folio_put(cpu, co_await page_folio(cpu, page));
}

Task<bool> unpin_user_page(Cpu& cpu, FrameId page) {
  PTFUZZ_KERNEL_FUNC(cpu, "unpin_user_page", "mm/gup.c");
  co_return co_await gup_put_folio(cpu, co_await page_folio(cpu, page), /*pin=*/true);
}

}  // namespace ptfuzz

#include "core/protocols/folio_ref.h"

#include "core/check.h"
#include "core/world.h"

namespace ptfuzz {

Task<bool> try_grab_folio_fast(Cpu& cpu, FrameId page, bool pin) {
  PTFUZZ_KERNEL_FUNC(cpu, "try_grab_folio_fast", "mm/gup.c");
  PTFUZZ_DCHECK(cpu.irqs_disabled);
  const ProtocolVariant& variant = cpu.world->variant();
  if (variant.gup_try_get_unless_zero) {
    // try_get_folio() -> folio_ref_try_add(folio, 1): atomic_add_unless(&_refcount, 1, 0).
    if (co_await cpu.RefTryAdd(page, 1) == 0) co_return false;
  } else {
    co_await cpu.RefAdd(page, 1);
  }
  if (pin) {
    // FOLL_PIN on a small folio: the rest of the bias, with a non-value-returning atomic ...
    co_await cpu.RefAdd(page, kGupPinCountingBias - 1);
    // ... so "the pincount change is ordered before the PTE recheck" needs this barrier; it pairs
    // with the smp_mb() in folio_try_share_anon_rmap_pte() (088b8aa537c2).
    if (variant.gup_pin_mb_after_atomic) co_await cpu.Fence(FenceKind::kMbAfterAtomic);
  }
  co_return true;
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

}  // namespace ptfuzz

#include "core/protocols/folio_ref.h"

#include "core/check.h"
#include "core/world.h"

namespace ptfuzz {

Task<bool> try_grab_folio_fast(Cpu& cpu, FrameId page) {
  PTFUZZ_KERNEL_FUNC(cpu, "try_grab_folio_fast", "mm/gup.c");
  PTFUZZ_DCHECK(cpu.irqs_disabled);
  if (cpu.world->variant().gup_try_get_unless_zero) {
    // try_get_folio() -> folio_ref_try_add(folio, 1): atomic_add_unless(&_refcount, 1, 0).
    co_return co_await cpu.RefTryAdd(page, 1) != 0;
  }
  co_await cpu.RefAdd(page, 1);
  co_return true;
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

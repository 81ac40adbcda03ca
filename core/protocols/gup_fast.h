// GUP-fast: get_user_pages_fast_only() of a single page, and the caller that later drops it
// (mm/gup.c, v6.6-v6.12; the walkers were gup_pgd_range() ... gup_pte_range() up to 6.9).
//
// The walk (kernel-mm.md sections 1.1-1.3):
//   local_irq_save                       IRQ-off: holds off IPI flushes, and is an RCU reader
//   pgd  = READ_ONCE(*pgdp)              each level is loaded once into a local ...
//   (p4d folded: p4d_offset_lockless() returns the pgd slot and value)
//   pud  = READ_ONCE(*pud_offset_lockless(pgdp, pgd, addr))   ... and the next table is derived
//   pmd  = pmdp_get_lockless(pmd_offset_lockless(pudp, pud, addr))   from that value
//   pte  = ptep_get_lockless(pte_offset_map(&pmd, addr))
//   folio = try_grab_folio_fast(pte_page(pte))                 add-unless-zero, a full barrier
//   if pmd != *pmdp or pte != *ptep: put, bail                 the recheck (SB with zap)
//   local_irq_restore
// The recheck pairs with the writer's "clear the PTE, then drop/free" order: if the reference
// landed on a page that was freed and reused, the PTE no longer holds that value.
//
// What a lockless reader may observe here: any PTE value a zap or fault stored, including a page
// that is freed and reused between the PTE read and the try-get (the speculative reference of
// kernel-mm.md section 12, which the recheck must then drop).
//
// FOLL_PIN pins a small folio by adding GUP_PIN_COUNTING_BIAS to its refcount (folio_ref.h).
// Not modelled yet: huge leaves (gup_fast_pmd_leaf), large-folio pincount, FOLL_WRITE/unshare,
// the write_protect_seq of fork (Z14), gup_fast_folio_allowed() (Z19), the slow-path fallback
// (the actor behaves like FOLL_FAST_ONLY).
#ifndef PTFUZZ_CORE_PROTOCOLS_GUP_FAST_H_
#define PTFUZZ_CORE_PROTOCOLS_GUP_FAST_H_

#include "core/cpu.h"
#include "core/task.h"

namespace ptfuzz {

// gup_fast() for one page at `addr` (FOLL_PIN when `pin`): the frame it took a reference or pin
// on, or kNoFrame.
Task<FrameId> gup_fast(Cpu& cpu, VirtAddr addr, bool pin);

// The ACTOR_GUP_FAST actor: get_user_pages_fast_only(addr, 1, 0, &page), then put_page(page).
Task<void> GupFastActor(Cpu& cpu, VirtAddr addr);

// The ACTOR_GUP_FAST_PIN actor: pin_user_pages_fast(addr, 1, 0, &page), then unpin_user_page().
// The PTE is writable, so FOLL_PIN's PageAnonExclusive check of a read-only PTE
// (gup_must_unshare()) is not reached: a concurrent swap-out changes the PTE, and the recheck
// must see that.
Task<void> GupFastPinActor(Cpu& cpu, VirtAddr addr);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_GUP_FAST_H_

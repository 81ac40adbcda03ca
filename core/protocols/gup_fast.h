// GUP-fast: get_user_pages_fast_only() of nr_pages pages, and the caller that later drops them
// (mm/gup.c, v6.6-v6.12; the walkers were gup_pgd_range() ... gup_pte_range() up to 6.9).
//
// The walk (kernel-mm.md sections 1.1-1.3), each level a loop over [addr, end) in pXd_addr_end()
// steps:
//   local_irq_save                       IRQ-off: holds off IPI flushes, and is an RCU reader
//   pgd  = READ_ONCE(*pgdp)              each level is loaded once into a local ...
//   p4d  = READ_ONCE(*p4d_offset_lockless(pgdp, pgd, addr))   ... and the next table is derived
//   pud  = READ_ONCE(*pud_offset_lockless(p4dp, p4d, addr))   from that value ...
//   pmd  = pmdp_get_lockless(pmd_offset_lockless(pudp, pud, addr))
//   pte  = ptep_get_lockless(pte_offset_map(&pmd, addr))
// ... except at folded levels (core/geometry.h), where the offset helper returns a pointer: the
// parent pointer, its table re-indexed (arm64), or, in the generic helpers
// (pXd_offset(&pXd, addr)), the address of the caller's local copy. That local lives on the CPU's
// simulated stack (World::SpillLocal), so stepping (pudp++) or re-indexing from it reads stack
// words, which the wrong-location oracle reports (Z04, Z05; ProtocolVariant::gup_lockless_offset).
// In the default four-level geometry the p4d is folded statically and read from the copy of the
// pgd, as every kernel since v4.11 does; that load is CPU-local, not a step.
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
// Not modelled yet: large-folio pincount, FOLL_WRITE/unshare,
// the write_protect_seq of fork (Z14), the slow-path fallback
// (the actor behaves like FOLL_FAST_ONLY).
#ifndef PTFUZZ_CORE_PROTOCOLS_GUP_FAST_H_
#define PTFUZZ_CORE_PROTOCOLS_GUP_FAST_H_

#include <cstdint>
#include <vector>

#include "core/cpu.h"
#include "core/task.h"

namespace ptfuzz {

// gup_fast() for `nr_pages` pages from `addr` (FOLL_PIN when `pin`): the frames it took a
// reference or pin on, in address order (the first pages of the range; the walk stops at the
// first it cannot take).
// `longterm_write`: FOLL_LONGTERM | FOLL_WRITE, which adds gup_fast_folio_allowed()'s check of
// folio->mapping (Z19). `write`: FOLL_WRITE, so pte_access_permitted() wants a writable PTE.
// With FOLL_PIN in an mm that a scenario forks, the walk is bracketed by reads of
// mm->write_protect_seq: odd at the start, or changed at the end (fork() ran), and everything
// is unpinned and the call fails (57efa1fe5957; variant switch gup_write_protect_seq).
Task<std::vector<FrameId>> gup_fast(Cpu& cpu, VirtAddr addr, uint32_t nr_pages, bool pin,
                                    bool longterm_write = false, bool write = false);

// The ACTOR_GUP_FAST actor: get_user_pages_fast_only(addr, nr_pages, 0, pages), then
// put_page() of each.
Task<void> GupFastActor(Cpu& cpu, VirtAddr addr, uint32_t nr_pages = 1);

// The ACTOR_GUP_FAST_PIN actor: pin_user_pages_fast(addr, nr_pages, 0, pages), then
// unpin_user_pages().
// The PTE is writable, so FOLL_PIN's PageAnonExclusive check of a read-only PTE
// (gup_must_unshare()) is not reached: a concurrent swap-out changes the PTE, and the recheck
// must see that.
Task<void> GupFastPinActor(Cpu& cpu, VirtAddr addr, uint32_t nr_pages = 1);

// The ACTOR_GUP_FAST_PIN_LONGTERM actor: pin_user_pages_fast(addr, 1, FOLL_WRITE |
// FOLL_LONGTERM, &page) (an RDMA or io_uring registration), then unpin_user_page().
Task<void> GupFastPinLongtermActor(Cpu& cpu, VirtAddr addr);

// The ACTOR_GUP_FAST_PIN_DMA actor: pin_user_pages_fast(addr, 1, FOLL_WRITE, &page) for a DMA
// into the page that is still in flight when the run ends: the pin is held (World::HoldPin()).
Task<void> GupFastPinDmaActor(Cpu& cpu, VirtAddr addr);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_GUP_FAST_H_

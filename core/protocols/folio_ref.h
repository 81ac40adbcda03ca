// Folio reference counting as GUP-fast and the freeing paths use it (include/linux/page_ref.h,
// include/linux/mm.h, mm/gup.c, v6.6-v6.12).
//
// folio->_refcount is 0 exactly when the folio is free or frozen (kernel-mm.md section 2.1). A
// speculative getter must use add-unless-zero (folio_ref_try_add_rcu() -> folio_ref_add_unless());
// a successful value-returning RMW is a full barrier, a failed one orders nothing. folio_put()
// frees the folio when it drops the last reference. Large folios, compound_head() and the
// page_folio() recheck of try_get_folio() (Z03) arrive with THP; every folio here is one page.
#ifndef PTFUZZ_CORE_PROTOCOLS_FOLIO_REF_H_
#define PTFUZZ_CORE_PROTOCOLS_FOLIO_REF_H_

#include "core/cpu.h"
#include "core/task.h"

namespace ptfuzz {

// try_grab_folio_fast(page, 1, FOLL_GET or FOLL_PIN): true when a reference (or pin) was taken.
// FOLL_PIN: try_get_folio(), then folio_ref_add(bias - 1) (a non-value-returning atomic), then
// smp_mb__after_atomic() (variant switch gup_pin_mb_after_atomic) so the pin is ordered before
// the PTE recheck. Under the switch gup_try_get_unless_zero = false the first reference is a plain
// folio_ref_add() that always "succeeds". REQUIRES: interrupts disabled.
Task<bool> try_grab_folio_fast(Cpu& cpu, FrameId page, bool pin = false);

// gup_put_folio(): drops what try_grab_folio_fast() took (one reference, or a whole pin).
Task<bool> gup_put_folio(Cpu& cpu, FrameId folio, bool pin);

// folio_try_get(): folio_ref_add_unless(folio, 1, 0), fully ordered when it succeeds; fails on
// a free or frozen folio (include/linux/page_ref.h). Reclaim isolates folios with it
// (isolate_lru_folios() in mm/vmscan.c).
Task<bool> folio_try_get(Cpu& cpu, FrameId folio);

// folio_put(): drops one reference; frees the folio at zero. Returns true when it freed it.
Task<bool> folio_put(Cpu& cpu, FrameId folio);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_FOLIO_REF_H_

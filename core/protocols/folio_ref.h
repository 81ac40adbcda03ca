// Folio reference counting as GUP-fast and the freeing paths use it (include/linux/page_ref.h,
// include/linux/mm.h, mm/gup.c, v6.6-v6.12).
//
// folio->_refcount is 0 exactly when the folio is free or frozen (kernel-mm.md section 2.1). A
// speculative getter must use add-unless-zero (folio_ref_try_add_rcu() -> folio_ref_add_unless());
// a successful value-returning RMW is a full barrier, a failed one orders nothing. folio_put()
// frees the folio when it drops the last reference. A large folio (World::SetupMapLargeFolio())
// keeps its refcount on its head page; page_folio() reads a tail's compound_head word to find it,
// and a split or a free may change that word between the read and the try-get (Z03, Z18).
#ifndef PTFUZZ_CORE_PROTOCOLS_FOLIO_REF_H_
#define PTFUZZ_CORE_PROTOCOLS_FOLIO_REF_H_

#include <optional>

#include "core/cpu.h"
#include "core/memory.h"
#include "core/task.h"

namespace ptfuzz {

// page_folio(page) / compound_head() (include/linux/page-flags.h): READ_ONCE(page->compound_head),
// and the head it names when bit 0 is set, else the page itself. A step only in a machine with
// large folios (World::large_folios()); elsewhere the word is 0 for the whole run and the read
// completes without suspending. `dep`: the load `page` came from (a PTE).
class [[nodiscard]] PageFolioAwaiter {
 public:
  PageFolioAwaiter(Cpu& cpu, FrameId page, Dep dep);
  bool await_ready() const noexcept { return !load_.has_value(); }
  void await_suspend(std::coroutine_handle<> h) noexcept { load_->await_suspend(h); }
  FrameId await_resume() {
    return load_ ? CompoundHeadOf(page_, load_->await_resume().value) : page_;
  }

 private:
  FrameId page_;
  std::optional<LoadAwaiter> load_;
};
inline PageFolioAwaiter page_folio(Cpu& cpu, FrameId page, Dep dep = kNoDep) {
  return PageFolioAwaiter(cpu, page, dep);
}

// try_grab_folio_fast(page, 1, FOLL_GET or FOLL_PIN): the folio a reference (or pin) was taken on,
// or kNoFrame. try_get_folio() (mm/gup.c, v6.6): folio = page_folio(page), folio_ref_try_add()
// on it, then the recheck page_folio(page) == folio (c24d37322548, variant switch
// gup_folio_recheck): on a mismatch the folio was split or freed and reused between the two, so
// the reference is put and the lookup retried. FOLL_PIN: then folio_ref_add(bias - 1) (a
// non-value-returning atomic), then smp_mb__after_atomic() (variant switch
// gup_pin_mb_after_atomic) so the pin is ordered before the PTE recheck. Under the switch
// gup_try_get_unless_zero = false the first reference is a plain folio_ref_add() that always
// "succeeds". REQUIRES: interrupts disabled; no FOLL_PIN on a large folio (its _pincount is not
// modelled).
Task<FrameId> try_grab_folio_fast(Cpu& cpu, FrameId page, bool pin = false, Dep dep = kNoDep);

// gup_put_folio(): drops what try_grab_folio_fast() took (one reference, or a whole pin).
Task<bool> gup_put_folio(Cpu& cpu, FrameId folio, bool pin);

// folio_try_get(): folio_ref_add_unless(folio, 1, 0), fully ordered when it succeeds; fails on
// a free or frozen folio (include/linux/page_ref.h). Reclaim isolates folios with it
// (isolate_lru_folios() in mm/vmscan.c).
Task<bool> folio_try_get(Cpu& cpu, FrameId folio);

// folio_put(): drops one reference; frees the folio at zero. Returns true when it freed it.
Task<bool> folio_put(Cpu& cpu, FrameId folio);

// put_page(page) (include/linux/mm.h): folio_put(page_folio(page)), the folio looked up again at
// the put. The caller of GUP-fast releases each page it was given this way.
Task<bool> put_page(Cpu& cpu, FrameId page);
// unpin_user_page(page) (mm/gup.c): gup_put_folio(page_folio(page), 1, FOLL_PIN).
Task<bool> unpin_user_page(Cpu& cpu, FrameId page);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_PROTOCOLS_FOLIO_REF_H_

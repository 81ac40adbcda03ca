#include "core/scenarios/gup_vs_zap.h"

namespace ptfuzz {

namespace {

proto::Scenario DefaultGupVsZap() {
  proto::Scenario s;
  s.set_name("gup_vs_zap");
  s.set_variant("fixed");
  s.set_num_cpus(3);
  s.set_tlb_flush(proto::TLB_FLUSH_IPI);
  s.set_num_frames(8);
  proto::Mapping* m = s.add_mappings();
  m->set_vaddr(kGupVsZapPageA);
  m->set_tlb_cpus(0b101);
  AddActor(s, proto::ACTOR_GUP_FAST, 0, kGupVsZapPageA);
  AddActor(s, proto::ACTOR_ZAP, 1, kGupVsZapPageA);
  AddActor(s, proto::ACTOR_ANON_FAULT, 2, kGupVsZapPageA + 0x1000);
  return s;
}

}  // namespace

ScenarioSpec GupVsZapSpec() {
  ScenarioSpec spec;
  spec.name = "gup_vs_zap";
  spec.summary =
      "GUP-fast vs MADV_DONTNEED zap, with an anonymous fault reusing the freed frame";
  spec.kernel_ref =
      "mm/gup.c gup_fast_pte_range(); mm/memory.c zap_pte_range(), do_anonymous_page(); "
      "mm/mmu_gather.c tlb_flush_mmu(); include/asm-generic/tlb.h";
  spec.actor_kinds = {proto::ACTOR_GUP_FAST, proto::ACTOR_ZAP, proto::ACTOR_ANON_FAULT};
  ProtocolVariant no_pte_recheck;
  no_pte_recheck.gup_pte_recheck = false;
  ProtocolVariant ref_add;
  ref_add.gup_try_get_unless_zero = false;
  ProtocolVariant free_first;
  free_first.zap_flush_before_free = false;
  spec.variants = {
      {"fixed", "the kernel today: try-get, then recheck pmd and pte; flush before free", {},
       "clean", "clean"},
      {"no_pte_recheck",
       "GUP-fast skips the PTE recheck after try-get: its reference can land after the PTE was "
       "cleared (the zapper's refcount check cannot see it), and with broadcast flushes on a "
       "freed and reused page",
       no_pte_recheck, "ref_taken_after_unmap", "pinned_page_not_mapped",
       "ref_taken_after_unmap"},
      {"ref_add_not_try",
       "GUP-fast takes its reference with folio_ref_add() instead of add-unless-zero, "
       "resurrecting a freed folio when the flush does not wait for it",
       ref_add, "clean", "refcount_inc_from_zero", "pinned_page_not_mapped ref_taken_after_unmap"},
      {"free_before_flush",
       "tlb_flush_mmu() frees the batched pages before invalidating the TLBs that still map them",
       free_first, "stale_tlb_after_free", "stale_tlb_after_free"},
  };
  spec.default_scenario = &DefaultGupVsZap;
  return spec;
}

}  // namespace ptfuzz

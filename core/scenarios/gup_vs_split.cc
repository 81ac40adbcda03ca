#include "core/scenarios/gup_vs_split.h"

#include "core/pte.h"

namespace ptfuzz {

namespace {

constexpr uint64_t kFolio = 0x7f0000000000;

proto::Scenario DefaultGupVsSplit() {
  proto::Scenario s;
  s.set_name("gup_vs_split");
  s.set_variant("fixed");
  s.set_num_cpus(2);
  s.set_tlb_flush(proto::TLB_FLUSH_BROADCAST);
  s.set_arch(proto::ARCH_ARM64);
  s.set_num_frames(8);
  s.set_memory_model(proto::MEMORY_MODEL_SC);
  proto::Mapping* m = s.add_mappings();
  m->set_vaddr(kFolio);
  m->set_folio_order(1);
  AddActor(s, proto::ACTOR_GUP_FAST, 0, kFolio + kPageSize);
  AddActor(s, proto::ACTOR_SPLIT_HUGE_PAGE, 1, kFolio);
  return s;
}

}  // namespace

ScenarioSpec GupVsSplitSpec() {
  ScenarioSpec spec;
  spec.name = "gup_vs_split";
  spec.summary =
      "GUP-fast looks up a tail page's folio, a split makes the tail a folio of its own, and "
      "the reference lands on the old head (try_get_folio() without the page_folio() recheck)";
  spec.kernel_ref =
      "mm/gup.c try_get_folio(), gup_fast_pte_range(); mm/huge_memory.c "
      "split_huge_page_to_list(), __split_huge_page_tail(); include/linux/page-flags.h "
      "compound_head(); c24d37322548";
  spec.zoo = "Z03";
  spec.large_folios = true;
  spec.actor_kinds = {proto::ACTOR_GUP_FAST, proto::ACTOR_SPLIT_HUGE_PAGE};
  ProtocolVariant no_recheck;
  no_recheck.gup_folio_recheck = false;
  ProtocolVariant head_release;
  head_release.split_head_unfreeze_release = true;
  spec.variants = {
      {"fixed",
       "since v5.13: try_get_folio() rechecks page_folio(page) == folio after its increment and "
       "retries on a mismatch. Clean under SC and TSO; under the relaxed model with flushes that "
       "do not interrupt, the recheck can read a tail's compound_head from before the split "
       "although the reference came from the head's page_ref_inc() after it: an open question, "
       "docs/folios-and-fork.md",
       {},
       "clean",
       "clean",
       "",
       "",
       "",
       "ref_on_wrong_folio"},
      {"head_unfreeze_release",
       "not a kernel version: the fixed kernel with the split restoring the head's reference "
       "with a release (page_ref_unfreeze()), a candidate answer to the relaxed model's open "
       "question (docs/folios-and-fork.md)",
       head_release, "clean", "clean"},
      {"no_folio_recheck",
       "before v5.13 (c24d37322548): try_grab_compound_head() keeps a reference on the head it "
       "looked up before the split (broadcast and paravirt flushes, one preemption; with flush "
       "IPIs the split's ptep_clear_flush() waits for GUP-fast, so it is clean)",
       no_recheck, "clean", "ref_on_wrong_folio"},
  };
  spec.default_scenario = &DefaultGupVsSplit;
  return spec;
}

}  // namespace ptfuzz

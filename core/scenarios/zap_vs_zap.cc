#include "core/scenarios/zap_vs_zap.h"

namespace ptfuzz {

namespace {

constexpr uint64_t kPage = 0x7f0000000000;

proto::Scenario DefaultZapVsZap() {
  proto::Scenario s;
  s.set_name("zap_vs_zap");
  s.set_variant("fixed");
  s.set_num_cpus(3);
  s.set_tlb_flush(proto::TLB_FLUSH_IPI);
  s.set_num_frames(8);
  s.set_memory_model(proto::MEMORY_MODEL_SC);
  proto::Mapping* m = s.add_mappings();
  m->set_vaddr(kPage);
  m->set_tlb_cpus(0b100);
  AddActor(s, proto::ACTOR_ZAP, 0, kPage);
  AddActor(s, proto::ACTOR_ZAP, 1, kPage);
  return s;
}

}  // namespace

ScenarioSpec ZapVsZapSpec() {
  ScenarioSpec spec;
  spec.name = "zap_vs_zap";
  spec.summary =
      "two MADV_DONTNEED calls zap one page; the one that finds the entry already cleared "
      "returns before the other's TLB flush (tlb_finish_mmu() without mm_tlb_flush_nested())";
  spec.kernel_ref =
      "mm/mmu_gather.c tlb_gather_mmu(), tlb_finish_mmu(); include/linux/mm_types.h "
      "inc_tlb_flush_pending(), mm_tlb_flush_nested(); mm/memory.c zap_page_range_single(); "
      "99baac21e458, 7a30df49f63a";
  spec.actor_kinds = {proto::ACTOR_ZAP, proto::ACTOR_ANON_FAULT};
  ProtocolVariant no_nested;
  no_nested.tlb_flush_nested = false;
  spec.variants = {
      {"fixed",
       "since v4.13: each gather raises mm->tlb_flush_pending; a tlb_finish_mmu() that sees "
       "another batch in progress flushes the whole mm",
       {},
       "clean",
       "clean"},
      {"no_nested_flush",
       "before v4.13 (99baac21e458): tlb_finish_mmu() flushes only what its own batch cleared; "
       "the zap that found the entry none returns while another CPU's TLB maps the page (every "
       "flush mode)",
       no_nested, "stale_tlb_after_unmap", "stale_tlb_after_unmap"},
  };
  spec.default_scenario = &DefaultZapVsZap;
  return spec;
}

}  // namespace ptfuzz

#include "core/scenarios/pfn_walker_vs_hvo.h"

namespace ptfuzz {

namespace {

proto::Scenario DefaultPfnWalkerVsHvo() {
  return FreedBlockScenario("pfn_walker_vs_hvo", proto::ACTOR_PFN_WALKER,
                            proto::ACTOR_HUGETLB_ALLOC_HVO);
}

}  // namespace

ScenarioSpec PfnWalkerVsHvoSpec() {
  ScenarioSpec spec;
  spec.name = "pfn_walker_vs_hvo";
  spec.summary =
      "compaction's get_page_unless_zero() on a page that was freed and became a tail of a "
      "hugetlb folio writes to the struct page HVO remapped read-only";
  spec.kernel_ref =
      "mm/compaction.c isolate_migratepages_block(); include/linux/page_ref.h "
      "page_ref_add_unless(); include/linux/page-flags.h page_count_writable(); "
      "mm/hugetlb_vmemmap.c hugetlb_vmemmap_optimize_folio(); bd225530a4c7";
  spec.zoo = "Z16";
  spec.actor_kinds = {proto::ACTOR_PFN_WALKER, proto::ACTOR_MADV_DONTNEED_RANGE,
                      proto::ACTOR_HUGETLB_ALLOC_HVO, proto::ACTOR_ZAP};
  ProtocolVariant no_sync;
  no_sync.hvo_rcu_sync = false;
  spec.variants = {
      {"fixed",
       "since v6.12: the walker's add runs under rcu_read_lock() and only on a count it read "
       "nonzero; HVO calls synchronize_rcu() before the remap",
       {},
       "clean",
       "clean"},
      {"no_rcu_sync",
       "before v6.12 (bd225530a4c7): the walker's cmpxchg, on a count read in the page's previous "
       "life, hits the read-only vmemmap (every flush mode, one preemption)",
       no_sync, "write_to_readonly_struct_page", "write_to_readonly_struct_page"},
  };
  spec.default_scenario = &DefaultPfnWalkerVsHvo;
  return spec;
}

}  // namespace ptfuzz

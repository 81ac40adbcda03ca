#include "core/scenarios/pfn_walker_vs_compound_alloc.h"

namespace ptfuzz {

namespace {

proto::Scenario DefaultPfnWalkerVsCompoundAlloc() {
  return FreedBlockScenario("pfn_walker_vs_compound_alloc", proto::ACTOR_PFN_WALKER_PAGE_COUNT,
                            proto::ACTOR_ALLOC_COMPOUND);
}

}  // namespace

ScenarioSpec PfnWalkerVsCompoundAllocSpec() {
  ScenarioSpec spec;
  spec.name = "pfn_walker_vs_compound_alloc";
  spec.summary =
      "compaction's page_count() reads compound_head() of a page prep_compound_page() is making "
      "a tail: with the tail flag and the head pointer in two words it finds a NULL head";
  spec.kernel_ref =
      "mm/compaction.c isolate_migratepages_range(); mm/page_alloc.c prep_compound_page(); "
      "include/linux/page-flags.h compound_head(); 668f9abbd433, 1d798ca3f164";
  spec.zoo = "Z18";
  spec.actor_kinds = {proto::ACTOR_PFN_WALKER_PAGE_COUNT, proto::ACTOR_MADV_DONTNEED_RANGE,
                      proto::ACTOR_ALLOC_COMPOUND, proto::ACTOR_ZAP};
  ProtocolVariant flag_first;
  flag_first.compound_head_layout = CompoundHeadLayout::kTailFlagFirst;
  ProtocolVariant recheck;
  recheck.compound_head_layout = CompoundHeadLayout::kRecheck;
  spec.variants = {
      {"fixed",
       "since v4.5 (1d798ca3f164): the tail flag is bit 0 of the head pointer's word, read once",
       {},
       "clean",
       "clean"},
      {"tail_flag_first",
       "before v3.19: prep_compound_page() sets PG_tail, then page->first_page; compound_head() "
       "tests the flag, then follows the pointer (every flush mode, one preemption)",
       flag_first, "compound_head_null", "compound_head_null"},
      {"tail_recheck",
       "v3.19-v4.4 (668f9abbd433): the pointer, smp_wmb(), the flag; compound_head() reads the "
       "flag, the pointer, smp_rmb(), the flag again. Clean under SC and TSO; under the relaxed "
       "model the first flag read and the pointer read are unordered (no barrier between them), "
       "so the reader can still see a tail with a NULL head (docs/folios-and-fork.md)",
       recheck, "clean", "clean", "", "", "compound_head_null"},
  };
  spec.default_scenario = &DefaultPfnWalkerVsCompoundAlloc;
  return spec;
}

}  // namespace ptfuzz

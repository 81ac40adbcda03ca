#include "core/scenarios/gup_vs_madv_free.h"

namespace ptfuzz {

namespace {

proto::Scenario DefaultGupVsMadvFree() {
  return TwoActorScenario("gup_vs_madv_free", proto::ACTOR_GUP_FAST, proto::ACTOR_RECLAIM_LAZYFREE);
}

}  // namespace

ScenarioSpec GupVsMadvFreeSpec() {
  ScenarioSpec spec;
  spec.name = "gup_vs_madv_free";
  spec.summary = "GUP-fast (direct I/O) vs reclaim discarding a lazyfree (MADV_FREE) page; fix 6c8e2a256915";
  spec.kernel_ref =
      "mm/gup.c gup_fast_pte_range(); mm/rmap.c try_to_unmap_one(); mm/vmscan.c "
      "shrink_folio_list(); fix 6c8e2a256915";
  spec.zoo = "Z12";
  spec.actor_kinds = {proto::ACTOR_GUP_FAST, proto::ACTOR_RECLAIM_LAZYFREE};
  ProtocolVariant no_ref_check;
  no_ref_check.unmap_lazyfree_check_refs = false;
  ProtocolVariant no_sb_mb;
  no_sb_mb.unmap_lazyfree_sb_mb = false;
  spec.variants = {
      {"fixed",
       "the kernel today: clear the PTE, smp_mb(), compare the refcount with the mapcount, "
       "restore the PTE when someone else holds the page",
       {},
       "clean",
       "clean"},
      {"no_ref_check",
       "802a3a92ad7a: reclaim discards a clean lazyfree page without looking at its refcount, "
       "so a direct-I/O reference loses its page (reachable under SC)",
       no_ref_check, "discarded_while_referenced", "discarded_while_referenced"},
      {"no_sb_mb",
       "reclaim drops the smp_mb() between the PTE clear and the refcount read: harmless on x86, "
       "whose xchg is a full barrier, but with arm64's xchg_relaxed both sides can miss each "
       "other (store buffering; found only under the relaxed model with ARCH_ARM64)",
       no_sb_mb, "clean", "clean", "", "discarded_while_referenced"},
  };
  spec.default_scenario = &DefaultGupVsMadvFree;
  return spec;
}

}  // namespace ptfuzz

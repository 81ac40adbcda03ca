#include "core/scenarios/gup_vs_madv_free.h"

namespace ptfuzz {

namespace {

constexpr uint64_t kPageA = 0x7f0000000000;

proto::Scenario DefaultGupVsMadvFree() {
  proto::Scenario s;
  s.set_name("gup_vs_madv_free");
  s.set_variant("fixed");
  s.set_num_cpus(2);
  s.set_tlb_flush(proto::TLB_FLUSH_IPI);
  s.set_num_frames(8);
  proto::Mapping* m = s.add_mappings();
  m->set_vaddr(kPageA);
  m->set_tlb_cpus(0b01);
  proto::Actor* gup = s.add_actors();
  gup->set_kind(proto::ACTOR_GUP_FAST);
  gup->set_cpu(0);
  gup->set_vaddr(kPageA);
  proto::Actor* reclaim = s.add_actors();
  reclaim->set_kind(proto::ACTOR_RECLAIM_LAZYFREE);
  reclaim->set_cpu(1);
  reclaim->set_vaddr(kPageA);
  return s;
}

}  // namespace

ScenarioSpec GupVsMadvFreeSpec() {
  ScenarioSpec spec;
  spec.name = "gup_vs_madv_free";
  spec.summary = "GUP-fast (direct I/O) vs reclaim discarding a lazyfree (MADV_FREE) page; fix 6c8e2a256915";
  spec.kernel_ref =
      "mm/gup.c gup_fast_pte_range(); mm/rmap.c try_to_unmap_one(); mm/vmscan.c "
      "shrink_folio_list(); fix 6c8e2a256915";
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

#include "core/scenarios/gup_longterm_vs_truncate.h"

namespace ptfuzz {

namespace {

proto::Scenario DefaultGupLongtermVsTruncate() {
  proto::Scenario s = TwoActorScenario("gup_longterm_vs_truncate",
                                       proto::ACTOR_GUP_FAST_PIN_LONGTERM, proto::ACTOR_TRUNCATE);
  s.set_tlb_flush(proto::TLB_FLUSH_PARAVIRT);
  s.set_memory_model(proto::MEMORY_MODEL_SC);
  s.mutable_mappings(0)->set_file(true);
  return s;
}

}  // namespace

ScenarioSpec GupLongtermVsTruncateSpec() {
  ScenarioSpec spec;
  spec.name = "gup_longterm_vs_truncate";
  spec.summary =
      "FOLL_LONGTERM|FOLL_WRITE GUP-fast's gup_fast_folio_allowed() dereferences folio->mapping "
      "while the file is truncated and its inode destroyed: safe by IPI or by RCU-freed inodes";
  spec.kernel_ref =
      "mm/gup.c gup_fast_folio_allowed(), gup_fast_pte_range(); mm/truncate.c "
      "truncate_inode_pages(); mm/filemap.c page_cache_delete(); fs/inode.c destroy_inode(), "
      "i_callback() (a6e79df92e4a)";
  spec.zoo = "Z19";
  spec.actor_kinds = {proto::ACTOR_GUP_FAST_PIN_LONGTERM, proto::ACTOR_GUP_FAST_PIN,
                      proto::ACTOR_TRUNCATE};
  ProtocolVariant immediate;
  immediate.inode_free_rcu = false;
  spec.variants = {
      {"fixed",
       "the kernel today: destroy_inode() frees the inode by call_rcu(), which waits for "
       "GUP-fast's interrupts-off section",
       {},
       "clean",
       "clean"},
      {"inode_free_immediate",
       "the inode freed at once (no RCU): with a flush that does not wait for GUP-fast "
       "(broadcast, paravirt) the dereference reads freed memory; an IPI flush holds the whole "
       "truncation off",
       immediate, "clean", "walker_reads_freed_table"},
  };
  spec.default_scenario = &DefaultGupLongtermVsTruncate;
  return spec;
}

}  // namespace ptfuzz

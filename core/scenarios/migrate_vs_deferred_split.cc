#include "core/scenarios/migrate_vs_deferred_split.h"

namespace ptfuzz {

namespace {

constexpr uint64_t kFolio = 0x7f0000000000;

proto::Scenario DefaultMigrateVsDeferredSplit() {
  proto::Scenario s;
  s.set_name("migrate_vs_deferred_split");
  s.set_variant("fixed");
  s.set_num_cpus(2);
  s.set_tlb_flush(proto::TLB_FLUSH_IPI);
  s.set_num_frames(8);
  s.set_memory_model(proto::MEMORY_MODEL_SC);
  proto::Mapping* m = s.add_mappings();
  m->set_vaddr(kFolio);
  m->set_folio_order(1);
  AddActor(s, proto::ACTOR_MIGRATE_FOLIO, 0, kFolio);
  AddActor(s, proto::ACTOR_DEFERRED_SPLIT_SCAN, 1, kFolio);
  return s;
}

}  // namespace

ScenarioSpec MigrateVsDeferredSplitSpec() {
  ScenarioSpec spec;
  spec.name = "migrate_vs_deferred_split";
  spec.summary =
      "migration finds a large anonymous folio exclusive by an unfrozen refcount check while "
      "the deferred split shrinker's folio_try_get() gets in (folio_migrate_mapping() without "
      "a freeze)";
  spec.kernel_ref =
      "mm/migrate.c folio_migrate_mapping(), migrate_pages(); mm/huge_memory.c "
      "deferred_split_scan(), folio_undo_large_rmappable(); Hugh Dickins, v6.10";
  spec.zoo = "Z17";
  spec.large_folios = true;
  spec.actor_kinds = {proto::ACTOR_MIGRATE_FOLIO, proto::ACTOR_DEFERRED_SPLIT_SCAN};
  ProtocolVariant no_freeze;
  no_freeze.migrate_freeze_unmapped = false;
  spec.variants = {
      {"fixed",
       "since v6.10: folio_migrate_mapping() freezes the count of a mapping-less folio with the "
       "expected value and takes it off the deferred split queue while frozen",
       {},
       "clean",
       "clean"},
      {"no_freeze",
       "v6.10-rc: only folio_ref_count() == expected; the shrinker, which took the folio onto "
       "its private list around the check, still holds it when migration releases it as "
       "exclusive (every flush mode and memory model, one preemption)",
       no_freeze, "repurposed_while_referenced", "repurposed_while_referenced"},
  };
  spec.default_scenario = &DefaultMigrateVsDeferredSplit;
  return spec;
}

}  // namespace ptfuzz

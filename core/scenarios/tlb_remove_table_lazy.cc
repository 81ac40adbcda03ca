#include "core/scenarios/tlb_remove_table_lazy.h"

namespace ptfuzz {

namespace {

constexpr uint64_t kPage = 0x7f0000000000;

proto::Scenario DefaultTlbRemoveTableLazy() {
  proto::Scenario s;
  s.set_name("tlb_remove_table_lazy");
  s.set_variant("fixed");
  s.set_num_cpus(2);
  s.set_tlb_flush(proto::TLB_FLUSH_IPI);
  s.set_num_frames(8);
  s.set_memory_model(proto::MEMORY_MODEL_SC);
  s.set_hw_walkers(0b10);
  proto::Mapping* m = s.add_mappings();
  m->set_vaddr(kPage);
  m->set_tlb_cpus(0b01);
  AddActor(s, proto::ACTOR_MUNMAP_RANGE, 0, kPage);
  return s;
}

}  // namespace

ScenarioSpec TlbRemoveTableLazySpec() {
  ScenarioSpec spec;
  spec.name = "tlb_remove_table_lazy";
  spec.summary =
      "munmap() by an mm's only user frees a PTE table at once (tlb_remove_table()'s "
      "mm_users < 2 shortcut) while a lazy-TLB CPU's paging-structure cache still points to it";
  spec.kernel_ref =
      "mm/memory.c tlb_remove_table() (before 2018), free_pte_range(); mm/mmu_gather.c "
      "tlb_finish_mmu(), tlb_table_flush(); mm/mmap.c unmap_region(); Intel SDM 4.10.3 "
      "(paging-structure caches)";
  spec.zoo = "Z15";
  // The anonymous fault is not offered: it does not take the mmap lock here (docs/architecture.md,
  // "Not modelled yet"), which in the kernel excludes it from munmap()'s range.
  spec.actor_kinds = {proto::ACTOR_MUNMAP_RANGE};
  ProtocolVariant shortcut;
  shortcut.tlb_remove_table_single_user = true;
  ProtocolVariant no_invalidate;
  no_invalidate.table_invalidate_before_one = false;
  spec.variants = {
      {"fixed",
       "since 2018: tables always go to the batch, freed after the flush that invalidates every "
       "paging-structure cache (and a grace period)",
       {},
       "clean",
       "clean"},
      {"single_user_shortcut",
       "before 2018: with mm_users < 2 the table is freed at once, before the flush; a CPU "
       "holding the mm lazily still caches its address (found with every flush mode)",
       shortcut, "stale_tlb_after_free", "stale_tlb_after_free", "walker_reads_freed_table"},
      {"batch_failure_no_invalidate",
       "before 2018 (d86564a2f085): when tlb_remove_table() cannot allocate its batch page "
       "(Scenario.table_batch_alloc_fails), tlb_remove_table_one() frees the table after the "
       "sync IPI alone, with no TLB invalidation: the lazy CPU's paging-structure cache keeps "
       "pointing to it (needs the allocation failure; every flush mode)",
       no_invalidate, "stale_tlb_after_free", "stale_tlb_after_free", "walker_reads_freed_table"},
  };
  spec.default_scenario = &DefaultTlbRemoveTableLazy;
  return spec;
}

}  // namespace ptfuzz

#include "core/scenarios/gup_vs_hugetlb_unshare.h"

namespace ptfuzz {

namespace {

constexpr uint64_t kHugePage = 0x7f0000000000;

proto::Scenario DefaultGupVsHugetlbUnshare() {
  proto::Scenario s;
  s.set_name("gup_vs_hugetlb_unshare");
  s.set_variant("fixed");
  s.set_num_cpus(3);
  s.set_tlb_flush(proto::TLB_FLUSH_PARAVIRT);
  s.set_num_frames(10);
  s.set_memory_model(proto::MEMORY_MODEL_SC);
  proto::Mapping* m = s.add_mappings();
  m->set_vaddr(kHugePage);
  m->set_tlb_cpus(0b001);
  m->set_hugetlb_shared(true);
  AddActor(s, proto::ACTOR_GUP_FAST, 0, kHugePage);
  AddActor(s, proto::ACTOR_HUGETLB_UNSHARE, 1, kHugePage);
  AddActor(s, proto::ACTOR_HUGETLB_REMAP, 2, kHugePage);
  s.mutable_actors(2)->set_mm(1);
  return s;
}

}  // namespace

ScenarioSpec GupVsHugetlbUnshareSpec() {
  ScenarioSpec spec;
  spec.name = "gup_vs_hugetlb_unshare";
  spec.summary =
      "GUP-fast vs huge_pmd_unshare() of a shared hugetlb PMD table, whose other sharer then "
      "reuses it for a private page: GUP-fast walks a table owned by another mm";
  spec.kernel_ref =
      "mm/hugetlb.c huge_pmd_unshare(), __unmap_hugepage_range(), hugetlb_fault(); "
      "mm/gup.c gup_fast_pmd_leaf() (1013af4f585f)";
  spec.zoo = "Z11";
  spec.actor_kinds = {proto::ACTOR_GUP_FAST, proto::ACTOR_GUP_FAST_PIN,
                      proto::ACTOR_HUGETLB_UNSHARE, proto::ACTOR_HUGETLB_REMAP};
  ProtocolVariant no_sync;
  no_sync.hugetlb_unshare_sync = false;
  spec.variants = {
      {"fixed",
       "1013af4f585f: huge_pmd_unshare() waits out the mm's lockless walkers with "
       "tlb_remove_table_sync_one() before the i_mmap lock is released",
       {},
       "clean",
       "clean"},
      {"no_unshare_sync",
       "before the fix: the pud is cleared and the share dropped, and nothing waits for "
       "GUP-fast where flushes send no IPI (broadcast, paravirt); with IPI flushes the unsharing "
       "mm's own flush, done under the i_mmap lock, waits for it (the other process's flush "
       "interrupts only its own CPUs)",
       no_sync, "clean", "walker_reads_freed_table", "pinned_page_not_mapped"},
  };
  spec.default_scenario = &DefaultGupVsHugetlbUnshare;
  return spec;
}

}  // namespace ptfuzz

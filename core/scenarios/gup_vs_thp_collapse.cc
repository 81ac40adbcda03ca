#include "core/scenarios/gup_vs_thp_collapse.h"

#include <string>
#include <vector>

#include "core/pte.h"

namespace ptfuzz {

namespace {

// x86-64, IPI flushes, 8 frames, page P mapped; actor i on CPU i, all on P's range.
proto::Scenario OneRangeScenario(absl::string_view name, std::vector<proto::ActorKind> actors) {
  proto::Scenario s;
  s.set_name(std::string(name));
  s.set_variant("fixed");
  s.set_num_cpus(static_cast<uint32_t>(actors.size()));
  s.set_tlb_flush(proto::TLB_FLUSH_IPI);
  s.set_num_frames(8);
  s.add_mappings()->set_vaddr(kCollapsePage);
  for (uint32_t cpu = 0; cpu < actors.size(); ++cpu) AddActor(s, actors[cpu], cpu, kCollapsePage);
  return s;
}

proto::Scenario DefaultGupVsThpCollapse() {
  proto::Scenario s = OneRangeScenario(
      "gup_vs_thp_collapse", {proto::ACTOR_GUP_FAST, proto::ACTOR_KHUGEPAGED_COLLAPSE});
  s.mutable_mappings(0)->set_tlb_cpus(0b01);
  return s;
}

proto::Scenario DefaultPaeGupVsCollapse() {
  proto::Scenario s;
  s.set_name("pae_gup_vs_collapse");
  s.set_variant("fixed");
  s.set_arch(proto::ARCH_X86_PAE);
  s.set_num_cpus(3);
  s.set_tlb_flush(proto::TLB_FLUSH_IPI);
  s.set_num_frames(16);
  // Frames 0-7: the pgd, pud, pmd, this range's PTE table and four pages.
  for (uint64_t v = kCollapsePage + kPmdSize; v < kCollapsePage + kPmdSize + 0x4000; v += 0x1000) {
    s.add_mappings()->set_vaddr(v);
  }
  proto::Mapping* m = s.add_mappings();
  m->set_vaddr(kCollapsePage);  // its PTE table is frame 8, at 4 GiB
  m->set_tlb_cpus(0b001);
  AddActor(s, proto::ACTOR_GUP_FAST, 0, kCollapsePage);
  AddActor(s, proto::ACTOR_KHUGEPAGED_COLLAPSE, 1, kCollapsePage);
  AddActor(s, proto::ACTOR_GUP_FAST_PIN, 2, kCollapsePage);
  return s;
}

proto::Scenario DefaultCollapseVsPtReclaim() {
  proto::Scenario s =
      OneRangeScenario("collapse_vs_pt_reclaim",
                       {proto::ACTOR_KHUGEPAGED_COLLAPSE, proto::ACTOR_MADV_DONTNEED_RANGE});
  s.mutable_mappings(0)->set_tlb_cpus(0b10);
  return s;
}

proto::Scenario DefaultGupVsCollapseTableFree() {
  proto::Scenario s = OneRangeScenario(
      "gup_vs_collapse_table_free", {proto::ACTOR_GUP_FAST, proto::ACTOR_KHUGEPAGED_COLLAPSE,
                                     proto::ACTOR_MADV_DONTNEED_RANGE});
  s.mutable_mappings(0)->set_tlb_cpus(0b01);
  return s;
}

proto::Scenario DefaultRetractVsExit() {
  proto::Scenario s = OneRangeScenario(
      "retract_vs_exit", {proto::ACTOR_KHUGEPAGED_RETRACT, proto::ACTOR_EXIT_MMAP});
  s.mutable_mappings(0)->set_table_only(true);
  return s;
}

}  // namespace

ScenarioSpec GupVsThpCollapseSpec() {
  ScenarioSpec spec;
  spec.name = "gup_vs_thp_collapse";
  spec.summary =
      "GUP-fast vs khugepaged's anonymous THP collapse: a page checked, copied and freed under a "
      "walker that read the old pmd (fix 70cbc3cc78a9)";
  spec.kernel_ref =
      "mm/gup.c gup_fast_pte_range(), gup_fast_pmd_leaf(); mm/khugepaged.c collapse_huge_page(), "
      "__collapse_huge_page_isolate(); mm/pgtable-generic.c pmdp_collapse_flush(); "
      "mm/mmu_gather.c tlb_remove_table_sync_one()";
  spec.zoo = "Z01";
  spec.actor_kinds = {proto::ACTOR_GUP_FAST, proto::ACTOR_GUP_FAST_PIN,
                      proto::ACTOR_KHUGEPAGED_COLLAPSE};
  ProtocolVariant before_fix;
  before_fix.gup_pmd_recheck = false;
  before_fix.collapse_sync_one = false;
  ProtocolVariant no_sync;
  no_sync.collapse_sync_one = false;
  ProtocolVariant sync_only;
  sync_only.gup_pmd_recheck = false;
  spec.variants = {
      {"fixed",
       "the kernel today: GUP-fast rechecks the pmd after its try-get, and khugepaged waits out "
       "interrupts-off walkers with tlb_remove_table_sync_one() before checking refcounts",
       {}, "clean", "clean"},
      {"no_pmd_recheck",
       "before 70cbc3cc78a9 (and before 2ba99c5e0881): GUP-fast rechecks only the PTE; with a "
       "flush that does not wait for it, its reference lands after the refcount check and it "
       "returns a page the collapse unmapped and freed",
       before_fix, "clean", "ref_taken_after_unmap", "pinned_page_not_mapped"},
      {"no_sync_one",
       "Sep-Nov 2022: the PMD recheck without the sync IPI; the recheck alone catches the race",
       no_sync, "clean", "clean"},
      {"sync_one_only",
       "the sync IPI without the PMD recheck: the IPI alone keeps the refcount check after every "
       "walker that read the old pmd",
       sync_only, "clean", "clean"},
  };
  spec.default_scenario = &DefaultGupVsThpCollapse;
  return spec;
}

ScenarioSpec PaeGupVsCollapseSpec() {
  ScenarioSpec spec;
  spec.name = "pae_gup_vs_collapse";
  spec.summary =
      "x86-PAE: GUP-fast reading the pmd as two halves vs khugepaged clearing it, and restoring "
      "it when the collapse fails (the v6.2 series, 1180e732c985)";
  spec.kernel_ref =
      "mm/gup.c gup_fast_pmd_range(); include/linux/pgtable.h pmdp_get_lockless(), "
      "pmdp_get_lockless_sync(); mm/khugepaged.c collapse_huge_page(); "
      "arch/x86/include/asm/pgtable-3level.h native_pmdp_get_and_clear(), native_set_pmd()";
  spec.zoo = "Z07";
  spec.required_arch = proto::ARCH_X86_PAE;
  spec.actor_kinds = {proto::ACTOR_GUP_FAST, proto::ACTOR_GUP_FAST_PIN,
                      proto::ACTOR_KHUGEPAGED_COLLAPSE};
  ProtocolVariant read_once;
  read_once.gup_pmd_read = PaePmdRead::kPlainLowHigh;
  ProtocolVariant no_sync;
  no_sync.collapse_sync_one = false;
  spec.variants = {
      {"fixed",
       "the kernel today: pmdp_get_lockless() in GUP-fast, and the sync IPI after the collapse "
       "flush keeps the restore of a failed collapse out of every reader's loop",
       {}, "clean", "clean"},
      {"read_once_pmd",
       "before 1180e732c985 (v6.2): GUP-fast's READ_ONCE(*pmdp) is two 32-bit loads; the clear "
       "between them gives {old low, 0}, a present pmd naming frame 0 as a PTE table (found "
       "under SC with every flush mode)",
       read_once, "torn_entry_used", "torn_entry_used", "walker_reads_freed_table"},
      {"no_sync_one",
       "the retry loop without the sync IPI: a failed collapse restores the same table, the low "
       "word comes back and the loop accepts {low, 0} (found with broadcast and paravirt "
       "flushes; an IPI flush holds the restore off)",
       no_sync, "clean", "torn_entry_used", "walker_reads_freed_table"},
  };
  spec.default_scenario = &DefaultPaeGupVsCollapse;
  return spec;
}

ScenarioSpec CollapseVsPtReclaimSpec() {
  ScenarioSpec spec;
  spec.name = "collapse_vs_pt_reclaim";
  spec.summary =
      "khugepaged's collapse vs MADV_DONTNEED with PT_RECLAIM under the per-VMA lock: a pmd "
      "restored to pfn 0 (Barry Song's fix, Aug 2025)";
  spec.kernel_ref =
      "mm/khugepaged.c collapse_huge_page(); mm/pt_reclaim.c try_to_free_pte(); mm/memory.c "
      "zap_pte_range(); mm/mmu_gather.c tlb_remove_table(), tlb_remove_table_rcu()";
  spec.zoo = "Z10";
  spec.actor_kinds = {proto::ACTOR_KHUGEPAGED_COLLAPSE, proto::ACTOR_MADV_DONTNEED_RANGE,
                      proto::ACTOR_GUP_FAST};
  ProtocolVariant check_first;
  check_first.collapse_vma_lock_first = false;
  spec.variants = {
      {"fixed",
       "the kernel with the fix: vma_start_write() before check_pmd_still_valid(), so the "
       "madvise runs wholly before the check (which then finds no table) or after the collapse",
       {}, "clean", "clean"},
      {"check_before_vma_lock",
       "v6.14 (PT_RECLAIM) until the fix: the madvise empties and frees the table between the "
       "check and vma_start_write(); the collapse's failure path populates the pmd with pfn 0 "
       "(found under SC with every flush mode)",
       check_first, "table_entry_not_a_table", "table_entry_not_a_table"},
  };
  spec.default_scenario = &DefaultCollapseVsPtReclaim;
  return spec;
}

ScenarioSpec GupVsCollapseTableFreeSpec() {
  ScenarioSpec spec;
  spec.name = "gup_vs_collapse_table_free";
  spec.summary =
      "GUP-fast walking the PTE table a THP collapse deposited and a huge-PMD zap freed at once "
      "(fix 2ba99c5e0881, the sync IPI after the collapse flush)";
  spec.kernel_ref =
      "mm/gup.c gup_fast_pte_range(); mm/khugepaged.c collapse_huge_page(); mm/huge_memory.c "
      "zap_huge_pmd(), zap_deposited_table(); mm/mmu_gather.c tlb_remove_table_sync_one()";
  spec.zoo = "Z02";
  spec.actor_kinds = {proto::ACTOR_GUP_FAST, proto::ACTOR_KHUGEPAGED_COLLAPSE,
                      proto::ACTOR_MADV_DONTNEED_RANGE};
  ProtocolVariant no_sync;
  no_sync.collapse_sync_one = false;
  spec.variants = {
      {"fixed",
       "the kernel today: tlb_remove_table_sync_one() after the collapse flush waits until "
       "GUP-fast enables interrupts, so the table it walks is not yet deposited, let alone freed",
       {}, "clean", "clean"},
      {"no_sync_one",
       "before 2ba99c5e0881 (Nov 2022): with a flush that does not wait (broadcast, paravirt), the "
       "table is deposited and, by a zap of the huge PMD, freed while GUP-fast still walks it "
       "(an IPI flush holds the collapse off)",
       no_sync, "clean", "walker_reads_freed_table"},
  };
  spec.default_scenario = &DefaultGupVsCollapseTableFree;
  return spec;
}

ScenarioSpec RetractVsExitSpec() {
  ScenarioSpec spec;
  spec.name = "retract_vs_exit";
  spec.summary =
      "khugepaged's retract_page_tables() vs the exit path's zap re-reading a pmd it checked: "
      "\"PTEs\" read from pfn 0 (fix 18e77600f7a1; seed 002)";
  spec.kernel_ref =
      "mm/khugepaged.c retract_page_tables(), khugepaged_test_exit(), __khugepaged_exit(); "
      "kernel/fork.c mmput(); mm/mmap.c exit_mmap(); mm/memory.c zap_pmd_range(), "
      "zap_pte_range(); mm/pgtable-generic.c pte_offset_map_lock(), pte_free_defer()";
  spec.zoo = "Z09";
  spec.actor_kinds = {proto::ACTOR_KHUGEPAGED_RETRACT, proto::ACTOR_EXIT_MMAP,
                      proto::ACTOR_GUP_FAST};
  ProtocolVariant before;
  before.retract_form = RetractForm::kTrylock;
  before.exit_zap_rereads_pmd = true;
  ProtocolVariant test_exit;
  test_exit.retract_form = RetractForm::kTrylockTestExit;
  test_exit.exit_zap_rereads_pmd = true;
  ProtocolVariant reread;
  reread.exit_zap_rereads_pmd = true;
  spec.variants = {
      {"fixed",
       "the kernel today: a lockless retract that frees the table by RCU, and a zap that "
       "derives the table from one read of the pmd",
       {}, "clean", "clean"},
      {"no_exit_test",
       "before 18e77600f7a1 (Aug 2020): the retract does not test for an exiting mm, and the "
       "exit path's zap reads the pmd twice; the retract clears it in between (found under SC "
       "with every flush mode)",
       before, "walker_reads_freed_table", "walker_reads_freed_table"},
      {"exit_test",
       "Aug 2020 - 2023: khugepaged_test_exit() under the mmap lock; the exit path's "
       "khugepaged_exit() takes that lock first, so the retract runs wholly before the zap or "
       "not at all",
       test_exit, "clean", "clean"},
      {"reread_pmd",
       "today's lockless retract against the old zap that reads the pmd twice: why "
       "pte_offset_map_lock() reads it once (mm/pgtable-generic.c __pte_offset_map() derives "
       "the table from the pmd value it checked)",
       reread, "walker_reads_freed_table", "walker_reads_freed_table"},
  };
  spec.default_scenario = &DefaultRetractVsExit;
  return spec;
}

}  // namespace ptfuzz

#include "core/scenarios/pae_gup_vs_refault.h"

namespace ptfuzz {

namespace {

proto::Scenario DefaultPaeGupVsRefault() {
  proto::Scenario s;
  s.set_name("pae_gup_vs_refault");
  s.set_variant("fixed");
  s.set_arch(proto::ARCH_X86_PAE);
  s.set_num_cpus(3);
  s.set_tlb_flush(proto::TLB_FLUSH_IPI);
  s.set_num_frames(17);
  s.add_mappings()->set_vaddr(0x7f0000000000);  // frames 0-4: pgd, tables, page
  proto::Mapping* m = s.add_mappings();
  m->set_vaddr(kPaeRefaultPage);  // frames 5-8: the page, f8, at 4 GiB
  m->set_tlb_cpus(0b001);
  // Frames 9-15 go to other memory of the process, so the one free frame is f16, at 8 GiB.
  for (uint64_t v = 0x7e8000000000; v < 0x7e8000004000; v += 0x1000) s.add_mappings()->set_vaddr(v);
  AddActor(s, proto::ACTOR_GUP_FAST, 0, kPaeRefaultPage);
  AddActor(s, proto::ACTOR_ZAP, 1, kPaeRefaultPage);
  AddActor(s, proto::ACTOR_ANON_FAULT, 2, kPaeRefaultPage);
  return s;
}

}  // namespace

ScenarioSpec PaeGupVsRefaultSpec() {
  ScenarioSpec spec;
  spec.name = "pae_gup_vs_refault";
  spec.summary =
      "x86-PAE: GUP-fast's ptep_get_lockless() vs MADV_DONTNEED and a refault with the same low "
      "word (the LOW_HIGH ABA of seed 000)";
  spec.kernel_ref =
      "include/linux/pgtable.h ptep_get_lockless(); arch/x86/include/asm/pgtable-3level.h "
      "native_set_pte(), native_ptep_get_and_clear(); mm/gup.c gup_fast_pte_range(); "
      "mm/memory.c zap_pte_range(), do_anonymous_page(); comment reworded by 93b0d9178743";
  spec.zoo = "Z08";
  spec.required_arch = proto::ARCH_X86_PAE;
  spec.actor_kinds = {proto::ACTOR_GUP_FAST, proto::ACTOR_ZAP, proto::ACTOR_ANON_FAULT};
  ProtocolVariant low_word;
  low_word.gup_pte_recheck_whole = false;
  ProtocolVariant old_clear;
  old_clear.pae_get_and_clear_xchg64 = false;
  spec.variants = {
      {"fixed",
       "the kernel today: the LOW_HIGH loop may return a torn PTE (the ABA), GUP-fast's try-get "
       "may land on an unrelated page, and the PTE recheck drops that reference",
       {}, "clean", "clean"},
      {"recheck_low_word",
       "GUP-fast's recheck compares only pte_low, the half the loop's comment trusts: the ABA "
       "passes it and GUP-fast returns the page a torn PTE names (found under SC with every "
       "flush mode)",
       low_word, "torn_entry_used", "torn_entry_used",
       "pinned_page_not_mapped ref_taken_after_unmap"},
      {"old_get_and_clear",
       "native_ptep_get_and_clear() before v6.2: xchg() of the low half, then the high half read "
       "and cleared; the zap passes through (0, high) first; the recheck still contains it",
       old_clear, "clean", "clean"},
  };
  spec.default_scenario = &DefaultPaeGupVsRefault;
  return spec;
}

}  // namespace ptfuzz

#include "core/scenarios/pae_fault_vs_fault.h"

namespace ptfuzz {

namespace {

proto::Scenario DefaultPaeFaultVsFault() {
  proto::Scenario s;
  s.set_name("pae_fault_vs_fault");
  s.set_variant("fixed");
  s.set_arch(proto::ARCH_X86_PAE);
  s.set_num_cpus(2);
  s.set_tlb_flush(proto::TLB_FLUSH_IPI);
  s.set_num_frames(16);
  // Frames 0-7: the pgd, tables and four pages, so what the faults allocate sits at 4 GiB.
  for (uint64_t v = 0x7f0000000000; v < 0x7f0000004000; v += 0x1000) s.add_mappings()->set_vaddr(v);
  AddActor(s, proto::ACTOR_ANON_FAULT, 0, kPaeFaultRegion);
  AddActor(s, proto::ACTOR_ANON_FAULT, 1, kPaeFaultRegion + 0x1000);
  return s;
}

ProtocolVariant PmdRead(PaePmdRead read, bool irq_off) {
  ProtocolVariant v;
  v.pae_pmd_read = read;
  v.pae_pte_offset_map_irq_off = irq_off;
  return v;
}

}  // namespace

ScenarioSpec PaeFaultVsFaultSpec() {
  ScenarioSpec spec;
  spec.name = "pae_fault_vs_fault";
  spec.summary =
      "x86-PAE: a fault's pmd_populate() vs another fault reading the same pmd as two halves "
      "(CVE-2012-2373, fix 26c191788f18)";
  spec.kernel_ref =
      "mm/memory.c __handle_mm_fault(), __pte_alloc(); mm/pgtable-generic.c __pte_offset_map(); "
      "arch/x86/include/asm/pgtable-3level.h native_set_pmd(), pmd_read_atomic() (until v6.2)";
  spec.zoo = "Z06";
  spec.required_arch = proto::ARCH_X86_PAE;
  spec.actor_kinds = {proto::ACTOR_ANON_FAULT};
  spec.variants = {
      {"fixed",
       "the kernel today: __pte_offset_map() reads the pmd with pmdp_get_lockless() and "
       "interrupts off",
       {}, "clean", "clean"},
      {"pmd_read_atomic",
       "v3.5-v6.1: pmd_read_atomic() reads the low half and, only if it is set, smp_rmb() and "
       "the high half; enough for none -> present",
       PmdRead(PaePmdRead::kReadAtomic, false), "clean", "clean"},
      {"plain_high_low",
       "before 26c191788f18: *pmd compiled to two loads, high half first; the populate between "
       "them yields a present pmd without its high pfn bits (found under SC)",
       PmdRead(PaePmdRead::kPlainHighLow, false), "torn_entry_used", "torn_entry_used",
       "walker_reads_freed_table"},
      {"plain_low_high",
       "*pmd compiled to two loads, low half first: torn only if the loads are reordered (found "
       "only under the relaxed model)",
       PmdRead(PaePmdRead::kPlainLowHigh, false), "clean", "clean", "walker_reads_freed_table", "",
       "torn_entry_used"},
  };
  spec.default_scenario = &DefaultPaeFaultVsFault;
  return spec;
}

}  // namespace ptfuzz

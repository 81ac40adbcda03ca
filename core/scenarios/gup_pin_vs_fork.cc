#include "core/scenarios/gup_pin_vs_fork.h"

namespace ptfuzz {

namespace {

constexpr uint64_t kPage = 0x7f0000000000;

proto::Scenario DefaultGupPinVsFork() {
  proto::Scenario s;
  s.set_name("gup_pin_vs_fork");
  s.set_variant("fixed");
  s.set_num_cpus(3);
  s.set_tlb_flush(proto::TLB_FLUSH_IPI);
  s.set_num_frames(10);
  s.set_memory_model(proto::MEMORY_MODEL_SC);
  proto::Mapping* m = s.add_mappings();
  m->set_vaddr(kPage);
  AddActor(s, proto::ACTOR_FORK, 0, kPage);
  AddActor(s, proto::ACTOR_GUP_FAST_PIN_DMA, 1, kPage);
  AddActor(s, proto::ACTOR_WRITE_FAULT, 2, kPage);
  return s;
}

}  // namespace

ScenarioSpec GupPinVsForkSpec() {
  ScenarioSpec spec;
  spec.name = "gup_pin_vs_fork";
  spec.summary =
      "pin_user_pages_fast() pins through the PTE fork() is about to write-protect; the parent's "
      "next write copies the pinned page away from the DMA";
  spec.kernel_ref =
      "mm/gup.c gup_fast() (write_protect_seq); kernel/fork.c dup_mmap(); mm/memory.c "
      "copy_page_range(), copy_present_pte(), do_wp_page(), wp_page_copy(); 57efa1fe5957, "
      "70e806e4e645";
  spec.zoo = "Z14";
  spec.actor_kinds = {proto::ACTOR_FORK, proto::ACTOR_GUP_FAST_PIN_DMA, proto::ACTOR_WRITE_FAULT};
  ProtocolVariant no_seq;
  no_seq.gup_write_protect_seq = false;
  ProtocolVariant seq_mb;
  seq_mb.fork_seq_full_barrier = true;
  ProtocolVariant no_copy;
  no_copy.gup_write_protect_seq = false;
  no_copy.fork_copies_pinned = false;
  spec.variants = {
      {"fixed",
       "since v5.11: fork() copies pages that may be pinned, and GUP-fast FOLL_PIN fails when "
       "mm->write_protect_seq was odd or changed across its walk. Clean under SC and TSO; under "
       "the relaxed model a store-buffering outcome remains (fork's increment is ordered before "
       "its refcount read by smp_wmb() and lock acquires only): an open question, "
       "docs/folios-and-fork.md",
       {},
       "clean",
       "clean",
       "",
       "",
       "pin_lost_to_cow"},
      {"no_write_protect_seq",
       "v5.9-v5.10 (before 57efa1fe5957): fork() copies pages already pinned, but a pin taken "
       "between its check and its write-protect survives; the parent's write copies the page "
       "(every flush mode, one preemption)",
       no_seq, "pin_lost_to_cow", "pin_lost_to_cow"},
      {"seq_full_barrier",
       "not a kernel version: the fixed kernel with smp_mb() after fork's "
       "raw_write_seqcount_begin(), a candidate answer to the relaxed model's open question "
       "(docs/folios-and-fork.md)",
       seq_mb, "clean", "clean"},
      {"no_early_cow",
       "before v5.9 (70e806e4e645): fork() shares pinned pages too; even a pin taken before "
       "fork() is lost to the parent's next write (no preemption)",
       no_copy, "pin_lost_to_cow", "pin_lost_to_cow"},
  };
  spec.default_scenario = &DefaultGupPinVsFork;
  return spec;
}

}  // namespace ptfuzz

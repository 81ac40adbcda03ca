#include "core/scenarios/contpte_lockless_read.h"

#include "core/pte.h"

namespace ptfuzz {

namespace {

constexpr uint64_t kBlock = 0x7f0000000000;

proto::Scenario DefaultContpteLocklessRead() {
  proto::Scenario s;
  s.set_name("contpte_lockless_read");
  s.set_variant("fixed");
  s.set_arch(proto::ARCH_ARM64);
  s.set_memory_model(proto::MEMORY_MODEL_RELAXED);
  s.set_num_cpus(3);
  s.set_tlb_flush(proto::TLB_FLUSH_BROADCAST);
  s.set_num_frames(16);
  s.set_cont_ptes(4);
  s.set_hw_writers(0b100);
  for (uint64_t v = kBlock; v < kBlock + 4 * kPageSize; v += kPageSize) {
    proto::Mapping* m = s.add_mappings();
    m->set_vaddr(v);
    m->set_tlb_cpus(0b100);
  }
  AddActor(s, proto::ACTOR_GUP_FAST, 0, kBlock + kPageSize);
  AddActor(s, proto::ACTOR_CONTPTE_UNFOLD_FOLD, 1, kBlock);
  return s;
}

ProtocolVariant Read(ContpteRead read, bool exact_dirty) {
  ProtocolVariant v;
  v.contpte_read = read;
  v.oracle_exact_dirty = exact_dirty;
  return v;
}

}  // namespace

ScenarioSpec ContpteLocklessReadSpec() {
  ScenarioSpec spec;
  spec.name = "contpte_lockless_read";
  spec.summary =
      "arm64 contpte: GUP-fast's ptep_get_lockless() vs contpte_convert() unfold/refold and "
      "hardware access/dirty updates (seed 001)";
  spec.kernel_ref =
      "arch/arm64/mm/contpte.c contpte_ptep_get_lockless(), contpte_convert(); "
      "arch/arm64/include/asm/pgtable.h ptep_get_lockless(); mm/gup.c gup_fast_pte_range()";
  spec.zoo = "Z20";
  spec.required_arch = proto::ARCH_ARM64;
  spec.contpte_aware = true;
  spec.actor_kinds = {proto::ACTOR_GUP_FAST, proto::ACTOR_CONTPTE_UNFOLD_FOLD};
  spec.variants = {
      {"fixed",
       "the kernel today: scan the block, check every entry, stop once young and dirty are seen; "
       "A/D exactness is not checked (GUP-fast needs none)",
       {}, "clean", "clean"},
      {"full_scan",
       "v6.9: scan all CONT_PTES entries, checking each", Read(ContpteRead::kFullScan, false),
       "clean", "clean"},
      {"no_consistency_check",
       "the scan without contpte_is_consistent(): a read racing contpte_convert() gathers bits "
       "from cleared or unfolded entries and returns them as a block (found under SC)",
       Read(ContpteRead::kNoCheck, false), "contpte_inconsistent_read",
       "contpte_inconsistent_read"},
      {"exact_dirty",
       "today's read under the optional exact-dirty oracle (the KVM use in seed 001): the block's "
       "OR reports a page dirty that only its neighbour is (found under SC: A/D are per block)",
       Read(ContpteRead::kEarlyStop, true), "false_positive_dirty", "false_positive_dirty"},
      {"norecency_exact_dirty",
       "ptep_get_lockless_norecency() (the RFC of seed 001) under the same oracle: the entry's "
       "own bits only, so no false positive",
       Read(ContpteRead::kNoRecency, true), "clean", "clean"},
  };
  spec.default_scenario = &DefaultContpteLocklessRead;
  return spec;
}

}  // namespace ptfuzz

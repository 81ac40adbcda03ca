#include "core/scenarios/geometry_walk.h"

#include "core/pte.h"

namespace ptfuzz {

namespace {

constexpr uint64_t kArm64Page = 0x2000000000;  // pud_index 128, pgd_index (shift 39) 0
constexpr uint64_t kS390Page = 0x3ffff000;     // the last page below a 1 GiB boundary

proto::Scenario DefaultArm64() {
  proto::Scenario s;
  s.set_name("geometry_walk_arm64");
  s.set_variant("fixed");
  s.set_arch(proto::ARCH_ARM64);
  s.set_memory_model(proto::MEMORY_MODEL_RELAXED);
  s.set_num_cpus(2);
  s.set_tlb_flush(proto::TLB_FLUSH_BROADCAST);
  s.set_num_frames(10);
  s.mutable_geometry()->set_levels(4);
  s.mutable_geometry()->set_runtime_levels(3);
  proto::Mapping* m = s.add_mappings();
  m->set_vaddr(kArm64Page);
  m->set_tlb_cpus(0b01);
  AddActor(s, proto::ACTOR_GUP_FAST, 0, kArm64Page);
  // pud_index 0: the fault populates top-table entry 0, which is also where GUP-fast's pgd_index()
  // (the compile-time shift) points, so the entry it loads as pgd and again as p4d may change
  // between the two loads.
  AddActor(s, proto::ACTOR_ANON_FAULT, 1, 0x200000);
  return s;
}

proto::Scenario DefaultS390() {
  proto::Scenario s;
  s.set_name("geometry_walk_s390");
  s.set_variant("fixed");
  s.set_arch(proto::ARCH_S390);
  s.set_memory_model(proto::MEMORY_MODEL_TSO);
  s.set_num_cpus(2);
  s.set_tlb_flush(proto::TLB_FLUSH_BROADCAST);
  s.set_num_frames(14);
  s.mutable_geometry()->set_levels(5);
  s.mutable_geometry()->set_runtime_levels(3);
  for (const uint64_t v : {kS390Page, kS390Page + kPageSize}) {
    proto::Mapping* m = s.add_mappings();
    m->set_vaddr(v);
    m->set_tlb_cpus(0b01);
  }
  AddActor(s, proto::ACTOR_GUP_FAST, 0, kS390Page);
  s.mutable_actors(0)->set_nr_pages(2);
  AddActor(s, proto::ACTOR_ANON_FAULT, 1, kS390Page + kPageSize + kPmdSize);
  return s;
}

ProtocolVariant Offsets(LocklessOffset form) {
  ProtocolVariant v;
  v.gup_lockless_offset = form;
  return v;
}

}  // namespace

ScenarioSpec GeometryWalkArm64Spec() {
  ScenarioSpec spec;
  spec.name = "geometry_walk_arm64";
  spec.summary =
      "arm64 GUP-fast with the p4d folded statically and the PUD at run time: the generic "
      "p4d_offset_lockless() hands &pgd down and p4d_to_folded_pud() re-indexes the stack page "
      "(seed 004)";
  spec.kernel_ref =
      "mm/gup.c gup_fast_p4d_range(), gup_fast_pud_range(); include/linux/pgtable.h "
      "p4d_offset_lockless(); arch/arm64/include/asm/pgtable.h pud_offset_lockless(), "
      "p4d_to_folded_pud(), p4d_offset_lockless_folded() (36639013b346, v6.11)";
  spec.zoo = "Z04";
  spec.required_arch = proto::ARCH_ARM64;
  spec.geometry_aware = true;
  spec.actor_kinds = {proto::ACTOR_GUP_FAST, proto::ACTOR_GUP_FAST_PIN, proto::ACTOR_ANON_FAULT};
  spec.variants = {
      {"fixed",
       "v6.11+: arm64's p4d_offset_lockless() returns the live pgdp when the p4d is folded, so "
       "the folded pud re-indexes the top table (the pgd entry is loaded twice, harmlessly)",
       {},
       "clean",
       "clean"},
      {"generic_p4d",
       "v6.9-v6.10 (runtime PUD folding, 0dd4f60a2c76, without the fix): the generic helper "
       "returns &pgd and the folded pud is read from the walker's stack page; needs a folded "
       "PUD (geometry 4 built, 3 walked): with 4 walked it is clean",
       Offsets(LocklessOffset::kGeneric), "wrong_location_table_pointer",
       "wrong_location_table_pointer"},
  };
  spec.default_scenario = &DefaultArm64;
  return spec;
}

ScenarioSpec GeometryWalkS390Spec() {
  ScenarioSpec spec;
  spec.name = "geometry_walk_s390";
  spec.summary =
      "s390 GUP-fast over a range crossing a region-3 boundary in a three-level mm: "
      "pud_offset(&p4d) of the local copy, then pudp++ onto the stack (dynamic folding)";
  spec.kernel_ref =
      "mm/gup.c gup_pud_range() (before v5.10), gup_fast_pud_range(); "
      "arch/s390/include/asm/pgtable.h pud_offset(), pud_offset_lockless(), "
      "pud_addr_end_folded() (d3f7b1bb2040, v5.10)";
  spec.zoo = "Z05";
  spec.required_arch = proto::ARCH_S390;
  spec.geometry_aware = true;
  spec.actor_kinds = {proto::ACTOR_GUP_FAST, proto::ACTOR_GUP_FAST_PIN, proto::ACTOR_ANON_FAULT};
  spec.variants = {
      {"fixed",
       "v5.10+: s390's pXd_offset_lockless() with the live pointer and pXd_addr_end_folded()",
       {},
       "clean",
       "clean"},
      {"stack_copies",
       "before d3f7b1bb2040: pXd_offset(&local, addr) at every level and the generic "
       "pXd_addr_end(); a range crossing a region-3 entry steps off the local copy",
       Offsets(LocklessOffset::kStackCopy), "wrong_location_table_pointer",
       "wrong_location_table_pointer"},
  };
  spec.default_scenario = &DefaultS390;
  return spec;
}

}  // namespace ptfuzz

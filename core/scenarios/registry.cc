#include "core/scenarios/registry.h"

#include <string>

#include "absl/strings/str_split.h"
#include "core/scenarios/contpte_lockless_read.h"
#include "core/scenarios/geometry_walk.h"
#include "core/scenarios/gup_longterm_vs_truncate.h"
#include "core/scenarios/gup_pin_vs_fork.h"
#include "core/scenarios/gup_pin_vs_swapout.h"
#include "core/scenarios/gup_vs_hugetlb_unshare.h"
#include "core/scenarios/gup_vs_madv_free.h"
#include "core/scenarios/gup_vs_split.h"
#include "core/scenarios/gup_vs_thp_collapse.h"
#include "core/scenarios/gup_vs_zap.h"
#include "core/scenarios/migrate_vs_deferred_split.h"
#include "core/scenarios/pae_fault_vs_fault.h"
#include "core/scenarios/pae_gup_vs_refault.h"
#include "core/scenarios/pfn_walker_vs_compound_alloc.h"
#include "core/scenarios/pfn_walker_vs_hvo.h"
#include "core/scenarios/tlb_remove_table_lazy.h"
#include "core/scenarios/zap_vs_zap.h"

namespace ptfuzz {

const std::vector<ScenarioSpec>& BuiltinScenarios() {
  static const std::vector<ScenarioSpec>* const kScenarios = new std::vector<ScenarioSpec>{
      GupVsZapSpec(),
      GupVsMadvFreeSpec(),
      GupPinVsSwapoutSpec(),
      PaeFaultVsFaultSpec(),
      PaeGupVsRefaultSpec(),
      ContpteLocklessReadSpec(),
      GupVsThpCollapseSpec(),
      PaeGupVsCollapseSpec(),
      CollapseVsPtReclaimSpec(),
      GupVsCollapseTableFreeSpec(),
      RetractVsExitSpec(),
      GeometryWalkArm64Spec(),
      GeometryWalkS390Spec(),
      GupLongtermVsTruncateSpec(),
      GupVsHugetlbUnshareSpec(),
      TlbRemoveTableLazySpec(),
      ZapVsZapSpec(),
      GupPinVsForkSpec(),
      GupVsSplitSpec(),
      PfnWalkerVsHvoSpec(),
      PfnWalkerVsCompoundAllocSpec(),
      MigrateVsDeferredSplitSpec(),
  };
  return *kScenarios;
}

proto::Scenario FreedBlockScenario(absl::string_view name, proto::ActorKind walker,
                                   proto::ActorKind allocator) {
  constexpr uint64_t kPage = 0x7f0000000000;
  proto::Scenario s;
  s.set_name(std::string(name));
  s.set_variant("fixed");
  s.set_num_cpus(3);
  s.set_tlb_flush(proto::TLB_FLUSH_IPI);
  s.set_num_frames(8);
  s.set_memory_model(proto::MEMORY_MODEL_SC);
  s.add_mappings()->set_vaddr(kPage);
  s.add_mappings()->set_vaddr(kPage + 4096);
  AddActor(s, walker, 0, kPage + 4096);
  AddActor(s, proto::ACTOR_MADV_DONTNEED_RANGE, 1, kPage);
  AddActor(s, allocator, 2, kPage);
  return s;
}

void AddActor(proto::Scenario& s, proto::ActorKind kind, uint32_t cpu, uint64_t vaddr) {
  proto::Actor* a = s.add_actors();
  a->set_kind(kind);
  a->set_cpu(cpu);
  a->set_vaddr(vaddr);
}

proto::Scenario TwoActorScenario(absl::string_view name, proto::ActorKind cpu0,
                                 proto::ActorKind cpu1) {
  constexpr uint64_t kPage = 0x7f0000000000;
  proto::Scenario s;
  s.set_name(std::string(name));
  s.set_variant("fixed");
  s.set_num_cpus(2);
  s.set_tlb_flush(proto::TLB_FLUSH_IPI);
  s.set_num_frames(8);
  proto::Mapping* m = s.add_mappings();
  m->set_vaddr(kPage);
  m->set_tlb_cpus(0b01);
  AddActor(s, cpu0, 0, kPage);
  AddActor(s, cpu1, 1, kPage);
  return s;
}

const ScenarioSpec* FindScenario(absl::string_view name) {
  for (const ScenarioSpec& s : BuiltinScenarios()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const VariantSpec* FindVariant(const ScenarioSpec& scenario, absl::string_view variant) {
  for (const VariantSpec& v : scenario.variants) {
    if (v.name == variant) return &v;
  }
  return nullptr;
}

absl::string_view ExpectedVerdict(const VariantSpec& variant, proto::TlbFlushMode mode) {
  // A paravirt flush, like a broadcast one, waits for no remote CPU.
  return mode == proto::TLB_FLUSH_IPI ? variant.expected_ipi : variant.expected_broadcast;
}

absl::string_view ExpectedVerdict(const VariantSpec& variant, const proto::Scenario& scenario) {
  const bool weak_arm64 = scenario.arch() == proto::ARCH_ARM64 &&
                          (scenario.memory_model() == proto::MEMORY_MODEL_RELAXED ||
                           scenario.memory_model() == proto::MEMORY_MODEL_ARCH_DEFAULT);
  if (weak_arm64 && !variant.expected_relaxed_arm64.empty()) return variant.expected_relaxed_arm64;
  const bool relaxed = scenario.memory_model() == proto::MEMORY_MODEL_RELAXED ||
                       (scenario.memory_model() == proto::MEMORY_MODEL_ARCH_DEFAULT &&
                        scenario.arch() == proto::ARCH_ARM64);
  if (relaxed && !variant.expected_relaxed.empty()) return variant.expected_relaxed;
  if (relaxed && scenario.tlb_flush() != proto::TLB_FLUSH_IPI &&
      !variant.expected_relaxed_no_ipi.empty()) {
    return variant.expected_relaxed_no_ipi;
  }
  return ExpectedVerdict(variant, scenario.tlb_flush());
}

bool IsAlsoVerdict(const VariantSpec& variant, absl::string_view verdict) {
  for (absl::string_view v : absl::StrSplit(variant.also, ' ', absl::SkipEmpty())) {
    if (v == verdict) return true;
  }
  return false;
}

}  // namespace ptfuzz

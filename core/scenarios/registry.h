// The built-in scenarios: what each one runs, its protocol variants, and the verdict each variant
// must reach under each TLB flush mode (the bug zoo's "buggy variant found, fixed variant clean").
//
// A scenario fixes which actor kinds may appear and supplies a default configuration (the seed a
// campaign starts from); a schedule may change CPUs, frames, mappings and actors within the limits
// ValidateScenario() enforces. A variant names one setting of the ProtocolVariant switches.
#ifndef PTFUZZ_CORE_SCENARIOS_REGISTRY_H_
#define PTFUZZ_CORE_SCENARIOS_REGISTRY_H_

#include "absl/strings/string_view.h"
#include <optional>
#include <vector>

#include "core/variant.h"
#include "proto/schedule.pb.h"

namespace ptfuzz {

struct VariantSpec {
  absl::string_view name;
  absl::string_view summary;
  ProtocolVariant switches;
  // "clean" or the violation kind the variant must reach, per TLB flush mode, under every
  // memory model. Paravirt flushes (no IPI) reach what broadcast ones do.
  absl::string_view expected_ipi;
  absl::string_view expected_broadcast;
  // Other violation kinds the same bug may surface as on some schedules, space-separated (""
  // for none): a schedule-level search accepts them beside the expected one.
  absl::string_view also = "";
  // The verdict under the relaxed model with arm64 primitives (ARCH_ARM64, broadcast flushes),
  // where it differs from expected_broadcast: a bug that needs a reordering x86 forbids. "" =
  // as expected_broadcast.
  absl::string_view expected_relaxed_arm64 = "";
  // The verdict under the relaxed model whatever the architecture, where it differs (a missing
  // barrier that no arch instruction here makes up for). "" = as above.
  absl::string_view expected_relaxed = "";
  // The verdict under the relaxed model with broadcast or paravirt flushes, where it differs: a
  // weak outcome that also needs a flush that does not wait for interrupts-off sections. "" = as
  // above.
  absl::string_view expected_relaxed_no_ipi = "";
};

struct ScenarioSpec {
  absl::string_view name;
  absl::string_view summary;
  absl::string_view kernel_ref;
  // The bug-zoo entries it reproduces (e.g. "Z12"), "" for none.
  absl::string_view zoo = "";
  // The race exists only on one architecture (split entries: ARCH_X86_PAE; contiguous PTEs:
  // ARCH_ARM64): the schedule must say so. nullopt: any.
  std::optional<proto::Arch> required_arch;
  // Its writers handle arm64 contiguous blocks (contpte_try_unfold() before changing an entry):
  // only then may a schedule set Scenario.cont_ptes.
  bool contpte_aware = false;
  // Its actors walk any page-table geometry (core/geometry.h): only then may a schedule set
  // Scenario.geometry to something else than four levels, or arch ARCH_S390.
  bool geometry_aware = false;
  // Its actors handle large folios (the refcount on the head, page_folio()): only then may a
  // schedule set Mapping.folio_order.
  bool large_folios = false;
  std::vector<proto::ActorKind> actor_kinds;
  std::vector<VariantSpec> variants;
  proto::Scenario (*default_scenario)();
};

const std::vector<ScenarioSpec>& BuiltinScenarios();

// Appends an actor of `kind` on `cpu` at `vaddr` to a scenario being built.
void AddActor(proto::Scenario& s, proto::ActorKind kind, uint32_t cpu, uint64_t vaddr);

// The default configuration of a two-actor race on one page: 2 CPUs, IPI flushes, 8 frames,
// page 0x7f0000000000 mapped and in CPU 0's TLB, actor `cpu0` on CPU 0 and `cpu1` on CPU 1,
// both at that page, variant "fixed".
proto::Scenario TwoActorScenario(absl::string_view name, proto::ActorKind cpu0,
                                 proto::ActorKind cpu1);
// The default configuration of a speculative PFN walker against a page's next life: x86-64, IPI
// flushes, SC, 8 frames, 3 CPUs; pages 0x7f0000000000 (f4) and 0x7f0000001000 (f5) mapped;
// `walker` on CPU 0 at f5's address, MADV_DONTNEED of the range on CPU 1 (it frees both), and
// `allocator` on CPU 2, whose compound allocation can then take f4-f7. Variant "fixed".
proto::Scenario FreedBlockScenario(absl::string_view name, proto::ActorKind walker,
                                   proto::ActorKind allocator);
// nullptr when unknown.
const ScenarioSpec* FindScenario(absl::string_view name);
const VariantSpec* FindVariant(const ScenarioSpec& scenario, absl::string_view variant);
absl::string_view ExpectedVerdict(const VariantSpec& variant, proto::TlbFlushMode mode);
// The same for a configuration: the relaxed-arm64 verdict where the variant has one.
absl::string_view ExpectedVerdict(const VariantSpec& variant, const proto::Scenario& scenario);
// Whether `verdict` is one of variant.also.
bool IsAlsoVerdict(const VariantSpec& variant, absl::string_view verdict);

// Limits on what a schedule may configure. They bound the cost of one run, not the model: every
// zoo scenario needs at most 4 CPUs and a few dozen frames.
inline constexpr uint32_t kMaxCpus = 8;
inline constexpr uint32_t kMinFrames = 6;  // pgd + pud + pmd + pte table + one page + one spare
inline constexpr uint32_t kMaxFrames = 64;
inline constexpr int kMaxMappings = 16;
inline constexpr uint32_t kMaxSetupPins = 4;  // Mapping.pins
inline constexpr uint32_t kMaxGupPages = 8;   // Actor.nr_pages

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_SCENARIOS_REGISTRY_H_

#include "core/scenarios/background.h"

#include <algorithm>

#include "core/pte.h"
#include "core/scenarios/registry.h"

namespace ptfuzz {

namespace {

constexpr uint64_t kRegion = uint64_t{1} << 30;   // what one PMD table maps on x86-64 and arm64
constexpr uint64_t kPmdSpan = uint64_t{1} << 21;  // what one PTE table maps

}  // namespace

proto::Scenario WithBackgroundActors(const proto::Scenario& s) {
  proto::Scenario out = s;
  const uint32_t k = s.background_actors();
  out.clear_background_actors();
  if (k == 0) return out;
  uint64_t top = 0;
  for (const proto::Mapping& m : s.mappings()) top = std::max<uint64_t>(top, m.vaddr());
  for (const proto::Actor& a : s.actors()) {
    top = std::max<uint64_t>(top, a.vaddr() + uint64_t{std::max(a.nr_pages(), 1u)} * kPageSize);
  }
  // The next 1 GiB region, or the one below the scenario's lowest page when that is the top.
  uint64_t base = (top / kRegion + 1) * kRegion;
  if (base + k * kPmdSpan > kTaskSize) {
    uint64_t low = ~uint64_t{0};
    for (const proto::Mapping& m : s.mappings()) low = std::min<uint64_t>(low, m.vaddr());
    for (const proto::Actor& a : s.actors()) low = std::min<uint64_t>(low, a.vaddr());
    base = (low / kRegion - 1) * kRegion;
  }
  // Frames: a PMD table for the region, then per actor its page and PTE table (set up, or
  // allocated by the fault).
  const uint32_t first_cpu = s.num_cpus();
  // A scenario that walks other page-table geometries gets no zaps: zap_pte_range() here walks
  // the four-level tree only (the geometry-aware actors are GUP-fast and the fault).
  const ScenarioSpec* spec = FindScenario(s.name());
  const uint32_t kinds = spec != nullptr && spec->geometry_aware ? 2 : 3;
  out.set_num_cpus(first_cpu + k);
  out.set_num_frames(s.num_frames() + 1 + 2 * k);
  for (uint32_t i = 0; i < k; ++i) {
    const uint64_t vaddr = base + i * kPmdSpan;
    proto::Actor* a = out.add_actors();
    a->set_cpu(first_cpu + i);
    a->set_vaddr(vaddr);
    switch (i % kinds) {
      case 0:
        a->set_kind(proto::ACTOR_GUP_FAST);
        break;
      case 1:
        a->set_kind(proto::ACTOR_ANON_FAULT);
        break;
      default:
        a->set_kind(proto::ACTOR_ZAP);
        break;
    }
    if (a->kind() != proto::ACTOR_ANON_FAULT) {
      proto::Mapping* m = out.add_mappings();
      m->set_vaddr(vaddr);
      m->set_tlb_cpus(1u << (first_cpu + i));
    }
  }
  return out;
}

}  // namespace ptfuzz

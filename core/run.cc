#include "core/run.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/str_format.h"
#include "core/check.h"
#include "core/protocols/anon_fault.h"
#include "core/protocols/contpte.h"
#include "core/protocols/exit_mmap.h"
#include "core/protocols/gup_fast.h"
#include "core/protocols/khugepaged.h"
#include "core/protocols/pt_reclaim.h"
#include "core/protocols/rmap_unmap.h"
#include "core/protocols/truncate.h"
#include "core/protocols/zap.h"
#include "core/scenarios/registry.h"
#include "core/tape_decider.h"

namespace ptfuzz {

RunResult RunScenario(const proto::Scenario& s, Decider& decider, const SimOptions& options) {
  World world(MachineConfigOf(s), options, decider);
  for (const proto::Mapping& m : s.mappings()) {
    if (!world.SetupMapAnonPage(m.vaddr(), m.tlb_cpus(), m.pins(), m.table_only(), m.file())) {
      // Validation bounds frames from below; a schedule that maps more than fits simply starts
      // with fewer pages, deterministically, as if the setup allocation had failed.
      break;
    }
  }
  world.SetupFoldContBlocks();
  for (const proto::Actor& a : s.actors()) {
    Cpu& cpu = world.cpu(a.cpu());
    ActorInfo info{ActorKindName(a.kind()), a.vaddr()};
    switch (a.kind()) {
      case proto::ACTOR_GUP_FAST:
        world.SetActor(a.cpu(), std::move(info), GupFastActor(cpu, a.vaddr(), std::max(a.nr_pages(), 1u)));
        break;
      case proto::ACTOR_ZAP:
        world.SetActor(a.cpu(), std::move(info), ZapActor(cpu, a.vaddr()));
        break;
      case proto::ACTOR_ANON_FAULT:
        world.SetActor(a.cpu(), std::move(info), AnonFaultActor(cpu, a.vaddr()));
        break;
      case proto::ACTOR_RECLAIM_LAZYFREE:
        world.SetActor(a.cpu(), std::move(info), ReclaimLazyfreeActor(cpu, a.vaddr()));
        break;
      case proto::ACTOR_GUP_FAST_PIN:
        world.SetActor(a.cpu(), std::move(info), GupFastPinActor(cpu, a.vaddr(), std::max(a.nr_pages(), 1u)));
        break;
      case proto::ACTOR_SWAPOUT_ANON:
        world.SetActor(a.cpu(), std::move(info), SwapoutAnonActor(cpu, a.vaddr()));
        break;
      case proto::ACTOR_CONTPTE_UNFOLD_FOLD:
        world.SetActor(a.cpu(), std::move(info), ContpteUnfoldFoldActor(cpu, a.vaddr()));
        break;
      case proto::ACTOR_MADV_DONTNEED_RANGE:
        world.SetActor(a.cpu(), std::move(info), MadvDontneedRangeActor(cpu, a.vaddr()));
        break;
      case proto::ACTOR_KHUGEPAGED_RETRACT:
        world.SetActor(a.cpu(), std::move(info), RetractPageTablesActor(cpu, a.vaddr()));
        break;
      case proto::ACTOR_EXIT_MMAP:
        world.SetActor(a.cpu(), std::move(info), ExitMmapActor(cpu, a.vaddr()));
        break;
      case proto::ACTOR_TRUNCATE:
        world.SetActor(a.cpu(), std::move(info), TruncateActor(cpu, a.vaddr()));
        break;
      case proto::ACTOR_GUP_FAST_PIN_LONGTERM:
        world.SetActor(a.cpu(), std::move(info), GupFastPinLongtermActor(cpu, a.vaddr()));
        break;
      case proto::ACTOR_KHUGEPAGED_COLLAPSE:
        world.SetActor(a.cpu(), std::move(info), CollapseHugePageActor(cpu, a.vaddr()));
        break;
      default:
        PTFUZZ_CHECK(false);  // ValidateScenario() admits only the kinds above
    }
  }
  return world.Run();
}

RunResult RunSchedule(const proto::Schedule& schedule, const SimOptions& options) {
  if (schedule.canonical()) {
    std::vector<CanonicalDecision> tape;
    const absl::Status st = CanonicalTape(schedule, &tape);
    if (!st.ok()) {
      RunResult r;
      r.outcome = Outcome::kDivergence;
      r.divergence = st;
      return r;
    }
    StrictDecider decider(std::move(tape));
    return RunScenario(schedule.scenario(), decider, options);
  }
  const std::vector<uint32_t> raw = RawTape(schedule);
  TapeDecider decider(raw);
  return RunScenario(schedule.scenario(), decider, options);
}

RunResult RunScheduleRebased(const proto::Schedule& schedule, const SimOptions& options) {
  std::vector<CanonicalDecision> tape;
  if (schedule.canonical()) {
    const absl::Status st = CanonicalTape(schedule, &tape);
    if (!st.ok()) {
      RunResult r;
      r.outcome = Outcome::kDivergence;
      r.divergence = st;
      return r;
    }
  }
  RebaseDecider decider(std::move(tape));
  return RunScenario(schedule.scenario(), decider, options);
}

}  // namespace ptfuzz

#include "core/run.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "core/check.h"
#include "core/protocols/anon_fault.h"
#include "core/protocols/compaction.h"
#include "core/protocols/contpte.h"
#include "core/protocols/exit_mmap.h"
#include "core/protocols/fork.h"
#include "core/protocols/gup_fast.h"
#include "core/protocols/hugetlb.h"
#include "core/protocols/hugetlb_vmemmap.h"
#include "core/protocols/khugepaged.h"
#include "core/protocols/migrate.h"
#include "core/protocols/munmap.h"
#include "core/protocols/page_alloc.h"
#include "core/protocols/pt_reclaim.h"
#include "core/protocols/rmap_unmap.h"
#include "core/protocols/split_huge_page.h"
#include "core/protocols/truncate.h"
#include "core/protocols/wp_fault.h"
#include "core/protocols/zap.h"
#include "core/scenarios/background.h"
#include "core/scenarios/registry.h"
#include "core/tape_decider.h"

namespace ptfuzz {

namespace {

// The actors that unmap through an mmu_gather batch (tlb_gather_mmu() .. tlb_finish_mmu()).
bool GathersTlb(proto::ActorKind kind) {
  switch (kind) {
    case proto::ACTOR_ZAP:                  // zap_page_range_single()
    case proto::ACTOR_MADV_DONTNEED_RANGE:  // madvise_dontneed_single_vma()
    case proto::ACTOR_EXIT_MMAP:            // exit_mmap()
    case proto::ACTOR_TRUNCATE:             // unmap_mapping_range() -> zap_page_range_single()
    case proto::ACTOR_MUNMAP_RANGE:         // unmap_region()
      return true;
    default:
      return false;
  }
}

}  // namespace

RunResult RunScenario(const proto::Scenario& scenario, Decider& decider,
                      const SimOptions& options) {
  // Background actors (core/scenarios/background.h) run as if the schedule listed them.
  proto::Scenario with_background;
  if (scenario.background_actors() != 0) with_background = WithBackgroundActors(scenario);
  const proto::Scenario& s = scenario.background_actors() != 0 ? with_background : scenario;
  const MachineConfig config = MachineConfigOf(s);
  World world(config, options, decider);
  for (int i = 0; i < s.mappings_size(); ++i) {
    const proto::Mapping& m = s.mappings(i);
    if (i == scenario.mappings_size()) world.SetupFromTheTop();  // background actors' pages
    if (m.hugetlb_shared()) {
      if (!world.SetupMapHugetlbShared(m.vaddr(), m.tlb_cpus())) break;
      continue;
    }
    if (m.folio_order() != 0) {
      if (!world.SetupMapLargeFolio(m.vaddr(), m.folio_order(), m.tlb_cpus())) break;
      continue;
    }
    if (!world.SetupMapAnonPage(m.vaddr(), m.tlb_cpus(), m.pins(), m.table_only(), m.file())) {
      // Validation bounds frames from below; a schedule that maps more than fits simply starts
      // with fewer pages, deterministically, as if the setup allocation had failed.
      break;
    }
  }
  world.SetupFoldContBlocks();
  std::vector<int> gatherers(config.num_mms, 0);
  for (const proto::Actor& a : s.actors()) {
    if (GathersTlb(a.kind()) && ++gatherers[a.mm()] == 2) {
      world.MarkContended(TlbFlushPendingLoc(a.mm()));
    }
    if (a.kind() == proto::ACTOR_DEFERRED_SPLIT_SCAN) {
      // The large folios are on the deferred split queue (deferred_split_folio() queued them).
      for (const proto::Mapping& m : s.mappings()) {
        if (m.folio_order() == 0) continue;
        const FrameId page = world.Translate(m.vaddr());
        if (page != kNoFrame) world.SetupQueueDeferredSplit(world.memory().FolioOf(page));
      }
    }
    if (a.kind() == proto::ACTOR_FORK) {
      // The child (mm 1): dup_mmap() gives it the parent's VMAs and copy_page_range() allocates
      // its page tables before copying; the tables exist from the start, empty.
      world.MarkContended(WriteProtectSeqLoc(a.mm()));
      for (const proto::Mapping& m : s.mappings()) {
        world.SetupMapAnonPage(m.vaddr(), 0, 0, /*table_only=*/true, false, /*mm=*/1);
      }
    }
  }
  for (const proto::Actor& a : s.actors()) {
    Cpu& cpu = world.cpu(a.cpu());
    ActorInfo info{ActorKindName(a.kind()), a.vaddr()};
    const uint32_t nr_pages = std::max(a.nr_pages(), 1u);
    Task<void> task;
    switch (a.kind()) {
      case proto::ACTOR_GUP_FAST:
        task = GupFastActor(cpu, a.vaddr(), nr_pages);
        break;
      case proto::ACTOR_ZAP:
        task = ZapActor(cpu, a.vaddr());
        break;
      case proto::ACTOR_ANON_FAULT:
        task = AnonFaultActor(cpu, a.vaddr());
        break;
      case proto::ACTOR_RECLAIM_LAZYFREE:
        task = ReclaimLazyfreeActor(cpu, a.vaddr());
        break;
      case proto::ACTOR_GUP_FAST_PIN:
        task = GupFastPinActor(cpu, a.vaddr(), nr_pages);
        break;
      case proto::ACTOR_SWAPOUT_ANON:
        task = SwapoutAnonActor(cpu, a.vaddr());
        break;
      case proto::ACTOR_CONTPTE_UNFOLD_FOLD:
        task = ContpteUnfoldFoldActor(cpu, a.vaddr());
        break;
      case proto::ACTOR_MADV_DONTNEED_RANGE:
        task = MadvDontneedRangeActor(cpu, a.vaddr());
        break;
      case proto::ACTOR_KHUGEPAGED_RETRACT:
        task = RetractPageTablesActor(cpu, a.vaddr());
        break;
      case proto::ACTOR_EXIT_MMAP:
        task = ExitMmapActor(cpu, a.vaddr());
        break;
      case proto::ACTOR_TRUNCATE:
        task = TruncateActor(cpu, a.vaddr());
        break;
      case proto::ACTOR_GUP_FAST_PIN_LONGTERM:
        task = GupFastPinLongtermActor(cpu, a.vaddr());
        break;
      case proto::ACTOR_HUGETLB_UNSHARE:
        task = HugetlbUnshareActor(cpu, a.vaddr());
        break;
      case proto::ACTOR_HUGETLB_REMAP:
        task = HugetlbRemapActor(cpu, a.vaddr());
        break;
      case proto::ACTOR_MUNMAP_RANGE:
        task = MunmapRangeActor(cpu, a.vaddr());
        break;
      case proto::ACTOR_KHUGEPAGED_COLLAPSE:
        task = CollapseHugePageActor(cpu, a.vaddr());
        break;
      case proto::ACTOR_FORK:
        task = ForkActor(cpu, a.vaddr());
        break;
      case proto::ACTOR_WRITE_FAULT:
        task = WriteFaultActor(cpu, a.vaddr());
        break;
      case proto::ACTOR_GUP_FAST_PIN_DMA:
        task = GupFastPinDmaActor(cpu, a.vaddr());
        break;
      case proto::ACTOR_SPLIT_HUGE_PAGE:
        task = SplitHugePageActor(cpu, a.vaddr());
        break;
      case proto::ACTOR_PFN_WALKER:
        // The pfn it reaches: the frame the setup mapped there (kNoFrame: none).
        task = PfnWalkerActor(cpu, world.Translate(a.vaddr()));
        break;
      case proto::ACTOR_HUGETLB_ALLOC_HVO:
        task = HugetlbAllocHvoActor(cpu);
        break;
      case proto::ACTOR_PFN_WALKER_PAGE_COUNT:
        task = PfnWalkerPageCountActor(cpu, world.Translate(a.vaddr()));
        break;
      case proto::ACTOR_ALLOC_COMPOUND:
        task = AllocCompoundActor(cpu);
        break;
      case proto::ACTOR_MIGRATE_FOLIO:
        task = MigrateFolioActor(cpu, a.vaddr());
        break;
      case proto::ACTOR_DEFERRED_SPLIT_SCAN: {
        const FrameId page = world.Translate(a.vaddr());
        task =
            DeferredSplitScanActor(cpu, page == kNoFrame ? kNoFrame : world.memory().FolioOf(page));
        break;
      }
      default:
        PTFUZZ_CHECK(false);  // ValidateScenario() admits only the kinds above
    }
    world.SetActor(a.cpu(), std::move(info), std::move(task), a.mm());
  }
  return world.Run();
}

namespace {

// The run a malformed canonical tape gets: a divergence carrying the reason.
RunResult BadTape(absl::Status status) {
  RunResult r;
  r.outcome = Outcome::kDivergence;
  r.divergence = std::move(status);
  return r;
}

}  // namespace

RunResult RunSchedule(const proto::Schedule& schedule, const SimOptions& options) {
  if (schedule.canonical()) {
    std::vector<CanonicalDecision> tape;
    if (absl::Status st = CanonicalTape(schedule, &tape); !st.ok()) return BadTape(st);
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
    if (absl::Status st = CanonicalTape(schedule, &tape); !st.ok()) return BadTape(st);
  } else {
    // A raw tape keeps its meaning across model versions (every raw tape is valid): as is.
    return RunSchedule(schedule, options);
  }
  RebaseDecider decider(std::move(tape));
  return RunScenario(schedule.scenario(), decider, options);
}

}  // namespace ptfuzz

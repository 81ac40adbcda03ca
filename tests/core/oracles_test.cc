// Each oracle: a hand-written schedule that must trip it, and a close one that must not.
#include <string>
#include <vector>

#include "core/format_version.h"
#include "core/protocols/gup_fast.h"
#include "core/protocols/zap.h"
#include "core/run.h"
#include "core/scenarios/gup_vs_zap.h"
#include "core/scenarios/registry.h"
#include "core/tape_decider.h"
#include "core/world.h"
#include "gtest/gtest.h"

namespace ptfuzz {
namespace {

constexpr VirtAddr kA = kGupVsZapPageA;

RunResult RunGupVsZap(const std::string& variant, proto::TlbFlushMode mode,
                      std::vector<uint32_t> tape) {
  proto::Scenario s = FindScenario("gup_vs_zap")->default_scenario();
  s.set_variant(variant);
  s.set_tlb_flush(mode);
  s.set_memory_model(proto::MEMORY_MODEL_SC);  // the hand-written tapes assume SC's options
  TapeDecider d(tape);
  return RunScenario(s, d, SimOptions{});
}

// GUP-fast reads the PTE (steps 0-4 on cpu0), then the zap (cpu1) and the fault (cpu2) run to
// completion, then GUP-fast resumes. Decisions: five "stay on cpu0", then "switch to the next
// CPU" (option 1 = cpu1), and defaults: cpu1 finishes, cpu2 runs next in cyclic order.
const std::vector<uint32_t> kPreemptAfterPteRead = {0, 0, 0, 0, 0, 1};

TEST(PinnedPageOracleTest, FreedAndReusedPageIsReportedWithBothGenerations) {
  const RunResult r =
      RunGupVsZap("no_pte_recheck", proto::TLB_FLUSH_BROADCAST, kPreemptAfterPteRead);
  ASSERT_TRUE(r.violation.has_value());
  EXPECT_EQ(r.violation->kind, ViolationKind::kPinnedPageNotMapped);
  EXPECT_EQ(r.violation->actor, "gup_fast@cpu0");
  EXPECT_NE(r.violation->explanation.find("freed and reused"), std::string::npos);
  EXPECT_NE(r.violation->explanation.find("generation 1"), std::string::npos);
  EXPECT_NE(r.violation->explanation.find("generation 2"), std::string::npos);
  EXPECT_EQ(r.preemptions, 1u);
}

TEST(PinnedPageOracleTest, TheRecheckMakesTheSameScheduleClean) {
  const RunResult r = RunGupVsZap("fixed", proto::TLB_FLUSH_BROADCAST, kPreemptAfterPteRead);
  EXPECT_EQ(r.outcome, Outcome::kClean) << (r.violation ? r.violation->explanation : "");
}

TEST(PinnedPageOracleTest, IpiFlushHoldsTheFreeOffButTheReferenceLandsAfterTheUnmap) {
  // GUP-fast's interrupts-off section holds the flush, and so the free, off: the page it returns
  // is the one it read, never freed. But its reference was taken after zap cleared the PTE, so
  // zap's put could not see it, and the caller holds a page the mm no longer maps.
  const RunResult r = RunGupVsZap("no_pte_recheck", proto::TLB_FLUSH_IPI, kPreemptAfterPteRead);
  ASSERT_TRUE(r.violation.has_value());
  EXPECT_EQ(r.violation->kind, ViolationKind::kRefTakenAfterUnmap);
  EXPECT_NE(r.violation->explanation.find("never mapped that page"), std::string::npos);
  // The same schedule with the recheck drops the reference: clean.
  EXPECT_EQ(RunGupVsZap("fixed", proto::TLB_FLUSH_IPI, kPreemptAfterPteRead).outcome,
            Outcome::kClean);
}

TEST(PinnedPageOracleTest, ReferenceTakenBeforeTheUnmapIsCovered) {
  // Default order: GUP-fast runs to completion first; its reference is taken while the PTE still
  // maps the page, and zap's later put leaves the page to GUP-fast's caller: legitimate.
  const RunResult r = RunGupVsZap("no_pte_recheck", proto::TLB_FLUSH_IPI, {});
  EXPECT_EQ(r.outcome, Outcome::kClean);
}

TEST(PinnedPageOracleTest, ReuseAtTheSameAddressIsLegitimate) {
  // The fault maps the freed frame again at the page GUP-fast is looking at: the page GUP-fast
  // returns is mapped there, so even without the recheck this is no violation.
  proto::Scenario s = FindScenario("gup_vs_zap")->default_scenario();
  s.set_memory_model(proto::MEMORY_MODEL_SC);
  s.set_variant("no_pte_recheck");
  s.set_tlb_flush(proto::TLB_FLUSH_BROADCAST);
  s.mutable_actors(2)->set_vaddr(kA);
  TapeDecider d(kPreemptAfterPteRead);
  const RunResult r = RunScenario(s, d, SimOptions{});
  EXPECT_EQ(r.outcome, Outcome::kClean);
}

TEST(RefcountOracleTest, IncrementFromZeroIsReported) {
  // Preempt GUP-fast after its PTE read; zap frees the page; no fault reuses it.
  proto::Scenario s = FindScenario("gup_vs_zap")->default_scenario();
  s.set_memory_model(proto::MEMORY_MODEL_SC);
  s.set_variant("ref_add_not_try");
  s.set_tlb_flush(proto::TLB_FLUSH_BROADCAST);
  s.mutable_actors()->RemoveLast();
  TapeDecider d(kPreemptAfterPteRead);
  const RunResult r = RunScenario(s, d, SimOptions{});
  ASSERT_TRUE(r.violation.has_value());
  EXPECT_EQ(r.violation->kind, ViolationKind::kRefcountIncFromZero);
  EXPECT_EQ(r.violation->site, "try_get_folio");
  s.set_variant("fixed");
  TapeDecider d2(kPreemptAfterPteRead);
  EXPECT_EQ(RunScenario(s, d2, SimOptions{}).outcome, Outcome::kClean);
}

TEST(TlbOracleTest, FreeBeforeFlushIsReported) {
  const RunResult r = RunGupVsZap("free_before_flush", proto::TLB_FLUSH_IPI, {});
  ASSERT_TRUE(r.violation.has_value());
  EXPECT_EQ(r.violation->kind, ViolationKind::kStaleTlbAfterFree);
  EXPECT_EQ(RunGupVsZap("fixed", proto::TLB_FLUSH_IPI, {}).outcome, Outcome::kClean);
}

MachineConfig SmallMachine() {
  MachineConfig c;
  c.num_cpus = 1;
  c.num_frames = 8;
  return c;
}

// One CPU, page kA mapped, and `body(cpu, page)` as the only actor.
template <typename Body>
RunResult RunOnMappedPage(Body body) {
  const std::vector<uint32_t> none;
  TapeDecider d(none);
  World w(SmallMachine(), SimOptions{}, d);
  EXPECT_TRUE(w.SetupMapAnonPage(kA, 0));
  w.SetActor(0, {"test", 0}, body(w.cpu(0), w.Translate(kA)));
  return w.Run();
}

TEST(WalkerOracleTest, LoadFromAFreedTableIsReported) {
  const std::vector<uint32_t> none;
  TapeDecider d(none);
  World w(SmallMachine(), SimOptions{}, d);
  ASSERT_TRUE(w.SetupMapAnonPage(kA, 0));
  auto walker = [](Cpu& cpu, FrameId table) -> Task<void> {
    PTFUZZ_KERNEL_FUNC(cpu, "test_walker", "test");
    co_await cpu.Load(EntryAddr(table, 0), PtLevel::kPte);  // a live PTE table: fine
    co_await cpu.RefPut(table, 1);                          // the table is freed
    co_await cpu.Load(EntryAddr(table, 0), PtLevel::kPte);  // walked after the free
  };
  const FrameId pte_table = 3;  // pgd 0, pud 1, pmd 2, pte 3 (setup allocation order)
  ASSERT_EQ(w.memory().frame(pte_table).level, PtLevel::kPte);
  w.SetActor(0, {"walker", 0}, walker(w.cpu(0), pte_table));
  const RunResult r = w.Run();
  ASSERT_TRUE(r.violation.has_value());
  EXPECT_EQ(r.violation->kind, ViolationKind::kWalkerReadsFreedTable);
  EXPECT_EQ(r.violation->step, 2u);
  EXPECT_NE(r.violation->explanation.find("free"), std::string::npos);
}

TEST(WalkerOracleTest, LoadFromTableOfAnotherLevelIsReported) {
  const std::vector<uint32_t> none;
  TapeDecider d(none);
  World w(SmallMachine(), SimOptions{}, d);
  auto walker = [](Cpu& cpu) -> Task<void> {
    PTFUZZ_KERNEL_FUNC(cpu, "test_walker", "test");
    co_await cpu.Load(EntryAddr(cpu.world->pgd(), 0), PtLevel::kPmd);  // the pgd read as a pmd
  };
  w.SetActor(0, {"walker", 0}, walker(w.cpu(0)));
  const RunResult r = w.Run();
  ASSERT_TRUE(r.violation.has_value());
  EXPECT_EQ(r.violation->kind, ViolationKind::kWalkerReadsFreedTable);
}

TEST(RefcountOracleTest, UnderflowIsReported) {
  const RunResult r = RunOnMappedPage([](Cpu& cpu, FrameId f) -> Task<void> {
    PTFUZZ_KERNEL_FUNC(cpu, "test_UnderflowIsReported", "test");
    co_await cpu.RefPut(f, 1);
    co_await cpu.RefPut(f, 1);
  });
  ASSERT_TRUE(r.violation.has_value());
  EXPECT_EQ(r.violation->kind, ViolationKind::kRefcountUnderflow);
}

TEST(RefcountOracleTest, LeakedReferenceIsReportedAtTheEnd) {
  const RunResult r = RunOnMappedPage([](Cpu& cpu, FrameId f) -> Task<void> {
    PTFUZZ_KERNEL_FUNC(cpu, "test_LeakedReferenceIsReportedAtTheEnd", "test");
    co_await cpu.RefTryAdd(f, 1);  // a GUP reference never dropped
  });
  ASSERT_TRUE(r.violation.has_value());
  EXPECT_EQ(r.violation->kind, ViolationKind::kRefcountLeak);
  EXPECT_NE(r.violation->explanation.find("refcount 2"), std::string::npos);
}

TEST(RefcountOracleTest, BalancedReferencesAreClean) {
  const RunResult r = RunOnMappedPage([](Cpu& cpu, FrameId f) -> Task<void> {
    PTFUZZ_KERNEL_FUNC(cpu, "test_BalancedReferencesAreClean", "test");
    co_await cpu.RefTryAdd(f, 1);
    co_await cpu.RefPut(f, 1);
  });
  EXPECT_EQ(r.outcome, Outcome::kClean);
}

TEST(RefcountOracleTest, FreeWithReferencesIsReported) {
  const std::vector<uint32_t> none;
  TapeDecider d(none);
  World w(SmallMachine(), SimOptions{}, d);
  ASSERT_TRUE(w.SetupMapAnonPage(kA, 0));
  const FrameId page = w.Translate(kA);
  w.FreeFrame(w.cpu(0), page);  // refcount is 1: a direct free must be refused as a finding
  ASSERT_TRUE(w.oracles().violation().has_value());
  EXPECT_EQ(w.oracles().violation()->kind, ViolationKind::kFreeWithReferences);
}

}  // namespace
}  // namespace ptfuzz

namespace ptfuzz {
namespace {

constexpr VirtAddr kOnePage = 0x7f0000000000;

// An 8-frame machine with kOnePage mapped (its tables and page), driven directly: the hooks, or
// one actor set by the test.
struct OnePageWorld {
  static MachineConfig Config() {
    MachineConfig config;
    config.num_frames = 8;
    return config;
  }
  OnePageWorld() : decider(absl::Span<const uint32_t>()), world(Config(), SimOptions{}, decider) {
    EXPECT_TRUE(world.SetupMapAnonPage(kOnePage, 0));
  }
  // The pmd slot on the way to kOnePage.
  PhysAddr PmdSlot() const {
    const PhysMemory& mem = world.memory();
    for (FrameId f = 0; f < mem.num_frames(); ++f) {
      if (mem.frame(f).state == FrameState::kPageTable && mem.frame(f).level == PtLevel::kPmd) {
        return EntryAddr(f, TableIndex(kOnePage, PtLevel::kPmd));
      }
    }
    return 0;
  }
  TapeDecider decider;
  World world;
};

// A walker that read a pmd naming PTE table T, then loads from T after T was freed and allocated
// again as a PTE table (the same level, so the level check alone passes): walker_reads_freed_table
// by the generation check. Driven through the oracle hooks directly.
TEST(ChildTableOracleTest, TableFreedAndReusedAtTheSameLevelIsReported) {
  OnePageWorld m;
  World& world = m.world;
  const VirtAddr v = kOnePage;
  const PhysAddr pte_slot = world.LeafSlot(v);
  const FrameId table = AddrFrame(pte_slot);
  const PhysAddr pmdp = m.PmdSlot();
  ASSERT_NE(pmdp, 0u);
  const uint64_t pmd = world.memory().ReadWord(AddrFrame(pmdp), AddrIndex(pmdp));
  ASSERT_EQ(EntryFrame(pmd), table);
  Cpu& cpu = world.cpu(0);
  world.oracles().OnWalkLoad(cpu, PtLevel::kPmd, v, pmdp, pmd);
  // Unchanged: reading the PTE is fine.
  world.oracles().OnWalkLoad(cpu, PtLevel::kPte, v, pte_slot, 0);
  ASSERT_FALSE(world.oracles().violation().has_value());
  // Freed and reallocated as a PTE table under the walker.
  world.memory().mutable_frame(table).refcount = 0;
  world.memory().Free(table, 1, 1);
  world.memory().Allocate(table, FrameState::kPageTable, PtLevel::kPte, 2, 1);
  world.oracles().OnWalkLoad(cpu, PtLevel::kPte, v, pte_slot, 0);
  ASSERT_TRUE(world.oracles().violation().has_value());
  EXPECT_EQ(world.oracles().violation()->kind, ViolationKind::kWalkerReadsFreedTable);
  EXPECT_NE(world.oracles().violation()->explanation.find("freed and reused under it"),
            std::string::npos)
      << world.oracles().violation()->explanation;
}

// __pte_offset_map() on a corrupted pmd: pmd_bad() flags, or table flags naming no memory. The
// kernel reports the first (pmd_ERROR()) and has no check for the second; both are
// table_entry_not_a_table here, and the walk maps nothing.
RunResult ZapOverPmd(uint64_t (*corrupt)(uint64_t pmd)) {
  OnePageWorld m;
  const PhysAddr pmdp = m.PmdSlot();
  EXPECT_NE(pmdp, 0u);
  PhysMemory& mem = m.world.memory();
  mem.WriteWord(AddrFrame(pmdp), AddrIndex(pmdp),
                corrupt(mem.ReadWord(AddrFrame(pmdp), AddrIndex(pmdp))));
  m.world.SetActor(0, ActorInfo{"zap", kOnePage}, ZapActor(m.world.cpu(0), kOnePage));
  return m.world.Run();
}

TEST(BadTableEntryOracleTest, PmdBadFlagsAndPfnWithoutMemoryAreReported) {
  const RunResult bad_flags = ZapOverPmd([](uint64_t pmd) { return pmd & ~kPteAccessed; });
  ASSERT_TRUE(bad_flags.violation.has_value());
  EXPECT_EQ(bad_flags.violation->kind, ViolationKind::kTableEntryNotTable);
  EXPECT_NE(bad_flags.violation->explanation.find("pmd_bad()"), std::string::npos);
  const RunResult no_memory =
      ZapOverPmd([](uint64_t pmd) { return (pmd & ~kPtePfnMask) | (FramePfn(40) << kPageShift); });
  ASSERT_TRUE(no_memory.violation.has_value());
  EXPECT_NE(no_memory.violation->explanation.find("no memory at its pfn"), std::string::npos);
  const RunResult intact = ZapOverPmd([](uint64_t pmd) { return pmd; });
  EXPECT_EQ(intact.outcome, Outcome::kClean);
}

// GUP-fast on a present PTE whose pfn names no memory: the kernel's pte_page() has no pfn_valid()
// check, so the try-get would touch a struct page that does not exist.
TEST(MissingPageOracleTest, PresentPteWithoutMemoryIsReported) {
  OnePageWorld m;
  const PhysAddr ptep = m.world.LeafSlot(kOnePage);
  m.world.memory().WriteWord(AddrFrame(ptep), AddrIndex(ptep), MakeEntry(40, kAnonPteFlags));
  m.world.SetActor(0, ActorInfo{"gup_fast", kOnePage}, GupFastActor(m.world.cpu(0), kOnePage));
  const RunResult r = m.world.Run();
  ASSERT_TRUE(r.violation.has_value());
  EXPECT_EQ(r.violation->kind, ViolationKind::kRefOnMissingPage);
  EXPECT_NE(r.violation->explanation.find("no pfn_valid()"), std::string::npos);
}

}  // namespace
}  // namespace ptfuzz

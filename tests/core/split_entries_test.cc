// x86-PAE split entries: the physical layout that gives frames above 4 GiB, the halves as
// locations of the memory models, the PAE writers and the LOW_HIGH readers, checked over every
// execution of small programs (a complete DFS of the decision tree), and the two PAE scenarios
// within a bound of non-default answers.
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "core/decider.h"
#include "core/protocols/pgtable.h"
#include "core/protocols/pgtable_lockless.h"
#include "core/tape_decider.h"
#include "core/world.h"
#include "gtest/gtest.h"
#include "tests/core/dfs_decider.h"
#include "tests/core/bounded_search.h"

namespace ptfuzz {
namespace {

TEST(PhysLayoutTest, FramesAboveFourGiBShareLowWords) {
  for (FrameId f = 0; f < kFramesPerBank; ++f) EXPECT_EQ(FramePfn(f), f);
  EXPECT_EQ(FramePfn(8), 0x100000u);
  EXPECT_EQ(FramePfn(16), 0x200000u);
  for (FrameId f = 0; f < 64; ++f) {
    EXPECT_EQ(PfnFrame(FramePfn(f)), f);
    EXPECT_EQ(EntryFrame(MakeEntry(f, kAnonPteFlags)), f);
  }
  EXPECT_EQ(PfnFrame(8), kNoFrame) << "pfn 8 is in the hole above the first bank";
  const uint64_t a = MakeEntry(8, kAnonPteFlags), b = MakeEntry(16, kAnonPteFlags);
  EXPECT_EQ(EntryLow(a), EntryLow(b));
  EXPECT_NE(EntryHigh(a), EntryHigh(b));
  EXPECT_EQ(JoinHalves(EntryLow(a), EntryHigh(b)), b);
  EXPECT_EQ(EntryFrame(JoinHalves(EntryLow(a), 0)), 0u) << "{low, 0} names frame 0";
}

// A Decider that replays `prefix`, answers 0 past it, and enumerates the tree in DFS order.

using testing::DfsDecider;

using Actor = std::function<Task<void>(Cpu&, PhysAddr, std::vector<uint64_t>&)>;

// The PTE every program here works on: pgd 0, pud 1, pmd 2, PTE table 3 (index 0), page 4.
constexpr PhysAddr kPtep = EntryAddr(3, 0);

// Runs every execution of a 24-frame PAE machine under `model` whose PTE kPtep starts as
// `initial`: `writer` (if any) on CPU 0, `reader` on CPU 1, and the hardware access agents of
// `hw_writers`. `visit` sees each run and the reader's registers.
int ForEachPaeRun(MemoryModelKind model, uint64_t initial, uint32_t hw_writers,
                  const Actor* writer, const Actor& reader,
                  const std::function<void(const RunResult&, const std::vector<uint64_t>&)>& visit) {
  std::vector<uint32_t> tape;
  int runs = 0;
  for (;;) {
    DfsDecider decider(tape);
    MachineConfig config;
    config.num_cpus = 2;
    config.num_frames = 24;
    config.arch = Arch::kX86Pae;
    config.memory_model = model;
    config.hw_writers = hw_writers;
    SimOptions options;
    options.record_trace = true;
    World world(config, options, decider);
    EXPECT_TRUE(world.SetupMapAnonPage(0x7f0000000000, 0));
    EXPECT_EQ(world.memory().frame(AddrFrame(kPtep)).level, PtLevel::kPte);
    world.memory().WriteWord(AddrFrame(kPtep), AddrIndex(kPtep), initial);
    std::vector<uint64_t> wregs, rregs;
    if (writer) world.SetActor(0, ActorInfo{"writer", 0}, (*writer)(world.cpu(0), kPtep, wregs));
    world.SetActor(1, ActorInfo{"reader", 0}, reader(world.cpu(1), kPtep, rregs));
    const RunResult r = world.Run();
    // The writers here install pages without refcounts or mapcounts: the end-of-run accounting
    // objects (refcount_leak), nothing else may.
    if (r.violation) {
      EXPECT_EQ(r.violation->kind, ViolationKind::kRefcountLeak) << r.violation->explanation;
    }
    EXPECT_EQ(rregs.size(), 1u);
    visit(r, rregs);
    ++runs;
    if (!decider.Next(&tape) || runs > 100000) break;
  }
  return runs;
}

// Every value the reader (CPU 1's `regs`) ends with, over every execution under `model`.
std::set<uint64_t> ReaderResults(MemoryModelKind model, uint64_t initial, const Actor& writer,
                                 const Actor& reader, int* runs_out = nullptr) {
  std::set<uint64_t> results;
  const int runs = ForEachPaeRun(model, initial, 0, &writer, reader,
                                 [&](const RunResult&, const std::vector<uint64_t>& regs) {
                                   if (!regs.empty()) results.insert(regs[0]);
                                 });
  if (runs_out) *runs_out = runs;
  return results;
}

constexpr MemoryModelKind kModels[] = {MemoryModelKind::kSc, MemoryModelKind::kTso,
                                       MemoryModelKind::kRelaxed};
const uint64_t kOld = MakeEntry(8, kAnonPteFlags);   // pfn 0x100000
const uint64_t kNew = MakeEntry(16, kAnonPteFlags);  // pfn 0x200000, the same low word

Task<void> ReadLockless(Cpu& cpu, PhysAddr ptep, std::vector<uint64_t>& regs) {
  regs.push_back((co_await ptep_get_lockless(cpu, ptep)).value);
}

TEST(SplitEntriesTest, OneTransitionNeverTearsTheLowHighLoop) {
  // none -> present by native_set_pte() (high, smp_wmb(), low) against ptep_get_lockless():
  // message passing, so the only present value the loop returns is the new entry, whole; it may
  // also return {0, new high}, which is not present ("any low / any high, not present").
  const Actor set = [](Cpu& cpu, PhysAddr ptep, std::vector<uint64_t>&) -> Task<void> {
    co_await set_pte(cpu, ptep, kNew);
  };
  for (MemoryModelKind model : kModels) {
    int runs = 0;
    const std::set<uint64_t> got = ReaderResults(model, 0, set, ReadLockless, &runs);
    EXPECT_EQ(got, (std::set<uint64_t>{0, JoinHalves(0, EntryHigh(kNew)), kNew}))
        << MemoryModelName(model) << ", " << runs;
    EXPECT_GT(runs, 5);
  }
}

TEST(SplitEntriesTest, TheAbaTearsTheLoopEvenUnderSc) {
  // present (old) -> none (one 64-bit exchange) -> present (new, the same low word) while the
  // loop runs: it can return {low, 0}, a value the entry never held (seed 000, Z08).
  const Actor zap_refault = [](Cpu& cpu, PhysAddr ptep, std::vector<uint64_t>&) -> Task<void> {
    co_await ptep_get_and_clear(cpu, ptep);
    co_await set_pte(cpu, ptep, kNew);
  };
  for (MemoryModelKind model : kModels) {
    const std::set<uint64_t> got = ReaderResults(model, kOld, zap_refault, ReadLockless);
    EXPECT_TRUE(got.count(JoinHalves(EntryLow(kOld), 0))) << MemoryModelName(model);
    EXPECT_TRUE(got.count(kOld) && got.count(kNew)) << MemoryModelName(model);
    for (uint64_t v : got) {
      EXPECT_TRUE(v == kOld || v == kNew || v == 0 || v == JoinHalves(EntryLow(kOld), 0) ||
                  !EntryPresent(v))
          << std::hex << v;
    }
  }
}

TEST(SplitEntriesTest, OneClearTearsAPlainReadButNotTheLoop) {
  // present -> none by the pre-v6.2 native_ptep_get_and_clear(): xchg(low, 0), then the high half
  // cleared. A plain two-load read (low first, no retry) can return {old low, 0}: present, with
  // the high pfn bits gone; the LOW_HIGH loop re-reads the low half and never returns a present
  // value other than the old entry.
  const Actor old_clear = [](Cpu& cpu, PhysAddr ptep, std::vector<uint64_t>&) -> Task<void> {
    co_await cpu.XchgHalf(ptep, false, 0, PtLevel::kPte);
    co_await cpu.StoreHalf(ptep, true, 0, PtLevel::kPte, MemOrder::kPlain);
  };
  const Actor plain = [](Cpu& cpu, PhysAddr ptep, std::vector<uint64_t>& regs) -> Task<void> {
    regs.push_back((co_await pxx_get(cpu, ptep, PtLevel::kPte, MemOrder::kPlain, kNoDep)).value);
  };
  const uint64_t torn = JoinHalves(EntryLow(kOld), 0);
  EXPECT_EQ(ReaderResults(MemoryModelKind::kSc, kOld, old_clear, plain),
            (std::set<uint64_t>{kOld, torn, JoinHalves(0, EntryHigh(kOld)), 0}));
  for (MemoryModelKind model : kModels) {
    for (uint64_t v : ReaderResults(model, kOld, old_clear, ReadLockless)) {
      EXPECT_TRUE(v == kOld || !EntryPresent(v)) << MemoryModelName(model) << std::hex << " " << v;
    }
  }
}

TEST(SplitEntriesTest, AnAtomicPopulateTearsOnlyAHighFirstPlainRead) {
  // pmd_populate() on PAE is one cmpxchg8b. A plain read that loads the high half first can see
  // {new low, 0} under SC; low first, it can only under the relaxed model (the loads reordered).
  const Actor populate = [](Cpu& cpu, PhysAddr ptep, std::vector<uint64_t>&) -> Task<void> {
    co_await cpu.Xchg(ptep, kNew, PtLevel::kPte, MemOrder::kFull);
  };
  const uint64_t torn = JoinHalves(EntryLow(kNew), 0);
  for (bool high_first : {true, false}) {
    const Actor plain = [high_first](Cpu& cpu, PhysAddr ptep,
                                     std::vector<uint64_t>& regs) -> Task<void> {
      regs.push_back(
          (co_await pxx_get(cpu, ptep, PtLevel::kPte, MemOrder::kPlain, kNoDep, high_first)).value);
    };
    for (MemoryModelKind model : kModels) {
      const std::set<uint64_t> got = ReaderResults(model, 0, populate, plain);
      const bool expect_torn = high_first || model == MemoryModelKind::kRelaxed;
      EXPECT_EQ(got.count(torn) > 0, expect_torn)
          << MemoryModelName(model) << (high_first ? " high first" : " low first");
    }
  }
}

TEST(SplitEntriesTest, HalvesAreLocationsAndTheHistoryKnowsWholeValues) {
  DfsDecider decider({});
  MachineConfig config;
  config.num_cpus = 1;
  config.num_frames = 24;
  config.arch = Arch::kX86Pae;
  World world(config, SimOptions{}, decider);
  ASSERT_TRUE(world.SetupMapAnonPage(0x7f0000000000, 0));
  const PhysAddr ptep = kPtep;
  EXPECT_TRUE(world.SplitEntries(PtLevel::kPte));
  EXPECT_TRUE(world.SplitEntries(PtLevel::kPmd));
  EXPECT_FALSE(world.SplitEntries(PtLevel::kPud));
  const uint64_t initial = world.ReadEntry(ptep);
  EXPECT_EQ(world.ReadLoc(PtHalfLoc(ptep, false)), EntryLow(initial));
  EXPECT_EQ(world.ReadLoc(PtHalfLoc(ptep, true)), EntryHigh(initial));
  world.SetActor(0, ActorInfo{"writer", 0}, [](Cpu& cpu, PhysAddr p) -> Task<void> {
    co_await ptep_get_and_clear(cpu, p);
    co_await set_pte(cpu, p, kNew);
  }(world.cpu(0), ptep));
  const RunResult r = world.Run();
  if (r.violation) EXPECT_EQ(r.violation->kind, ViolationKind::kRefcountLeak);
  EXPECT_EQ(world.ReadEntry(ptep), kNew);
  ASSERT_EQ(world.split_stores().size(), 3u);  // the exchange, then high, then low
  EXPECT_EQ(world.split_stores()[0].halves, 3);
  EXPECT_EQ(world.split_stores()[1].halves, 2);
  EXPECT_EQ(world.split_stores()[2].halves, 1);
  EXPECT_STREQ(world.split_stores()[1].func->name, "native_set_pte");
  for (uint64_t v : {initial, uint64_t{0}, JoinHalves(0, EntryHigh(kNew)), kNew}) {
    EXPECT_TRUE(world.EntryExisted(ptep, v)) << std::hex << v;
  }
  EXPECT_FALSE(world.EntryExisted(ptep, JoinHalves(EntryLow(kNew), 0)));
  EXPECT_FALSE(world.EntryExisted(ptep, JoinHalves(EntryLow(initial), EntryHigh(kNew))));
}

TEST(SplitEntriesTest, HardwareDirtyUpdatesMakeTheLoopRetryNotTear) {
  // x86 sets accessed/dirty with a locked OR into pte_low (kernel-mm.md section 10.4): a reader
  // between its two low-half loads sees the low word change and retries; nothing tears. Every
  // execution of ptep_get_lockless() on CPU 1 against CPU 0's hardware access agent.
  const uint64_t clean = kOld & ~(kPteAccessed | kPteDirty);
  std::set<uint64_t> results;
  int retries = 0;
  const int runs = ForEachPaeRun(
      MemoryModelKind::kSc, clean, /*hw_writers=*/0b01, nullptr, ReadLockless,
      [&](const RunResult& r, const std::vector<uint64_t>& regs) {
        if (!regs.empty()) results.insert(regs[0]);
        int low_loads = 0;
        for (const TraceEvent& e : r.trace) {
          low_loads += e.op == OpKind::kLoad && e.addr == PtHalfLoc(kPtep, false);
        }
        retries += low_loads > 2;
      });
  EXPECT_EQ(results, (std::set<uint64_t>{clean, clean | kPteAccessed | kPteDirty}));
  EXPECT_GT(retries, 0) << runs << " runs, no hardware update inside the loop";
}

// The two PAE scenarios, every variant, within a bound of non-default answers.
using testing::VerdictCase;

std::vector<VerdictCase> PaeCases(const std::string& scenario, int bound,
                                  const char* skip_variant = "") {
  std::vector<VerdictCase> cases;
  for (const VariantSpec& v : FindScenario(scenario)->variants) {
    if (v.name == skip_variant) continue;
    for (proto::TlbFlushMode mode : {proto::TLB_FLUSH_IPI, proto::TLB_FLUSH_PARAVIRT}) {
      for (proto::MemoryModel model :
           {proto::MEMORY_MODEL_SC, proto::MEMORY_MODEL_TSO, proto::MEMORY_MODEL_RELAXED}) {
        cases.push_back({v.name.data(), mode, model, proto::ARCH_X86_PAE,
                         model == proto::MEMORY_MODEL_RELAXED ? bound + 1 : bound});
      }
    }
  }
  return cases;
}

class PaeFaultVsFaultTest : public ::testing::TestWithParam<VerdictCase> {};
TEST_P(PaeFaultVsFaultTest, ReachesExactlyTheExpectedVerdict) {
  testing::ExpectVerdictWithinBound("pae_fault_vs_fault", GetParam(), 100);
}
INSTANTIATE_TEST_SUITE_P(AllVariants, PaeFaultVsFaultTest,
                         ::testing::ValuesIn(PaeCases("pae_fault_vs_fault", 2)),
                         [](const auto& info) { return testing::VerdictCaseName(info.param); });

// The torn read needs three preemptions here; within two the search covers every schedule of
// the clean variants' one-transition shapes and must stay clean (recheck_low_word's shallower
// stale-page form is found at two, and is one of its `also` kinds).
class PaeGupVsRefaultTest : public ::testing::TestWithParam<VerdictCase> {};
TEST_P(PaeGupVsRefaultTest, FixedVariantsStayClean) {
  testing::ExpectVerdictWithinBound("pae_gup_vs_refault", GetParam(), 1000);
}
INSTANTIATE_TEST_SUITE_P(CleanVariants, PaeGupVsRefaultTest,
                         ::testing::ValuesIn(PaeCases("pae_gup_vs_refault", 2, "recheck_low_word")),
                         [](const auto& info) { return testing::VerdictCaseName(info.param); });

TEST(PaeGupVsRefaultTest, TheTornReadIsFoundWithinThreePreemptions) {
  proto::Scenario s = FindScenario("pae_gup_vs_refault")->default_scenario();
  s.set_variant("recheck_low_word");
  s.set_memory_model(proto::MEMORY_MODEL_SC);
  std::set<std::string> kinds;
  const testing::SearchStats stats = testing::BoundedSearch(s, 3, [&](const RunResult& r) {
    if (r.violation) kinds.insert(std::string(ViolationKindName(r.violation->kind)));
  });
  EXPECT_TRUE(kinds.count("torn_entry_used")) << stats.runs << " runs";
  EXPECT_TRUE(kinds.count("ref_taken_after_unmap"));
}

}  // namespace
}  // namespace ptfuzz

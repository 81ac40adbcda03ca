// Engine tests with hand-written actors: scheduling, determinism, deadlock, step bound, refcount
// semantics and the IPI/interrupt rules.
#include "core/world.h"

#include <vector>

#include "core/strict_decider.h"
#include "core/tape_decider.h"
#include "gtest/gtest.h"

namespace ptfuzz {
namespace {

constexpr VirtAddr kA = 0x7f0000000000;

MachineConfig Config(uint32_t cpus, TlbFlushMode mode = TlbFlushMode::kIpi) {
  MachineConfig c;
  c.num_cpus = cpus;
  c.num_frames = 8;
  c.tlb_flush = mode;
  return c;
}

Task<void> LoadPgdTimes(Cpu& cpu, int n) {
  PTFUZZ_KERNEL_FUNC(cpu, "test_loads", "test");
  for (int i = 0; i < n; ++i) co_await cpu.Load(EntryAddr(cpu.world->pgd(), 0), PtLevel::kPgd);
}

// Two CPUs loading `loads0` and `loads1` times, under `decider`.
RunResult RunLoads(Decider& decider, int loads0, int loads1) {
  World w(Config(2), SimOptions{}, decider);
  w.SetActor(0, {"a", 0}, LoadPgdTimes(w.cpu(0), loads0));
  w.SetActor(1, {"b", 0}, LoadPgdTimes(w.cpu(1), loads1));
  return w.Run();
}

TEST(WorldTest, SameTapeSameTraceHashDifferentTapeDifferentHash) {
  auto run = [](std::vector<uint32_t> tape) {
    TapeDecider d(tape);
    return RunLoads(d, 3, 3);
  };
  const RunResult a = run({1, 0, 1});
  const RunResult b = run({1, 0, 1});
  const RunResult c = run({0, 0, 0});
  EXPECT_EQ(a.outcome, Outcome::kClean);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.state_digest, b.state_digest);
  EXPECT_NE(a.trace_hash, c.trace_hash);
  EXPECT_EQ(a.steps, 6u);
}

TEST(WorldTest, OptionZeroNeverPreemptsAndTapeRecordsEveryChoice) {
  const std::vector<uint32_t> none;
  TapeDecider d(none);
  SimOptions o;
  o.record_trace = true;
  World w(Config(2), o, d);
  w.SetActor(0, {"a", 0}, LoadPgdTimes(w.cpu(0), 3));
  w.SetActor(1, {"b", 0}, LoadPgdTimes(w.cpu(1), 3));
  const RunResult r = w.Run();
  ASSERT_EQ(r.trace.size(), 6u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(r.trace[i].cpu, 0u);
  for (int i = 3; i < 6; ++i) EXPECT_EQ(r.trace[i].cpu, 1u);
  EXPECT_EQ(r.preemptions, 0u);
  EXPECT_EQ(r.context_switches, 1u);
  ASSERT_EQ(r.tape.size(), 3u);  // two CPUs runnable for the first three steps only
  for (const CanonicalDecision& c : r.tape) {
    EXPECT_EQ(c.kind, DecisionKind::kSchedule);
    EXPECT_EQ(c.num_options, 2u);
    EXPECT_EQ(c.value, 0u);
  }
}

TEST(WorldTest, StrictReplayOfCanonicalTapeReproducesAndDetectsEdits) {
  const std::vector<uint32_t> raw = {1, 1, 0, 1};
  TapeDecider first(raw);
  const RunResult r1 = RunLoads(first, 3, 3);

  StrictDecider strict(r1.tape);
  const RunResult r2 = RunLoads(strict, 3, 3);
  EXPECT_EQ(r2.outcome, Outcome::kClean);
  EXPECT_EQ(r2.trace_hash, r1.trace_hash);

  // The "code changed": one actor now makes fewer accesses, so fewer choices are asked. Replay
  // must refuse, not adapt.
  StrictDecider strict2(r1.tape);
  const RunResult r3 = RunLoads(strict2, 3, 1);
  EXPECT_EQ(r3.outcome, Outcome::kDivergence);
  EXPECT_NE(r3.divergence.message().find("replay diverged"), absl::string_view::npos);
}

Task<void> Forever(Cpu& cpu) {
  PTFUZZ_KERNEL_FUNC(cpu, "test_forever", "test");
  for (;;) co_await cpu.Load(EntryAddr(cpu.world->pgd(), 0), PtLevel::kPgd);
}

TEST(WorldTest, StepBoundEndsLivelockWithoutViolation) {
  const std::vector<uint32_t> none;
  TapeDecider d(none);
  SimOptions o;
  o.max_steps = 50;
  World w(Config(1), o, d);
  w.SetActor(0, {"spin", 0}, Forever(w.cpu(0)));
  const RunResult r = w.Run();
  EXPECT_EQ(r.outcome, Outcome::kStepBound);
  EXPECT_FALSE(r.violation.has_value());
  EXPECT_EQ(r.steps, 50u);
}

// Flushes with interrupts disabled: two of these wait on each other's IPI forever.
Task<void> FlushWithIrqsOff(Cpu& cpu) {
  PTFUZZ_KERNEL_FUNC(cpu, "test_flush_irqs_off", "test");
  co_await cpu.IrqDisable();
  co_await cpu.IpiSend(kA, kA + kPageSize);
  co_await cpu.IpiWait();
  co_await cpu.IrqEnable();
}

TEST(WorldTest, IpiWaitOnIrqsOffCpusIsADeadlock) {
  const std::vector<uint32_t> tape = {0, 1};  // cpu0 disables, then cpu1 disables
  TapeDecider d(tape);
  World w(Config(2), SimOptions{}, d);
  w.SetActor(0, {"f0", 0}, FlushWithIrqsOff(w.cpu(0)));
  w.SetActor(1, {"f1", 0}, FlushWithIrqsOff(w.cpu(1)));
  const RunResult r = w.Run();
  ASSERT_TRUE(r.violation.has_value());
  EXPECT_EQ(r.violation->kind, ViolationKind::kDeadlock);
  EXPECT_NE(r.violation->explanation.find("interrupts off"), std::string::npos)
      << r.violation->explanation;
}

TEST(WorldTest, IpiWaitCompletesWhenTargetEnablesInterrupts) {
  // cpu0 flushes with interrupts on; cpu1 runs an interrupts-off section meanwhile.
  auto flusher = [](Cpu& cpu) -> Task<void> {
    PTFUZZ_KERNEL_FUNC(cpu, "test_flusher", "test");
    co_await cpu.IpiSend(kA, kA + kPageSize);
    co_await cpu.IpiWait();
  };
  auto irq_off = [](Cpu& cpu) -> Task<void> {
    PTFUZZ_KERNEL_FUNC(cpu, "test_irq_off", "test");
    co_await cpu.IrqDisable();
    co_await cpu.Load(EntryAddr(cpu.world->pgd(), 0), PtLevel::kPgd);
    co_await cpu.IrqEnable();
  };
  const std::vector<uint32_t> tape = {1, 1};  // cpu1 disables first, then cpu0 sends
  TapeDecider d(tape);
  SimOptions o;
  o.record_trace = true;
  World w(Config(2), o, d);
  w.SetActor(0, {"flush", 0}, flusher(w.cpu(0)));
  w.SetActor(1, {"irqoff", 0}, irq_off(w.cpu(1)));
  const RunResult r = w.Run();
  ASSERT_EQ(r.outcome, Outcome::kClean);
  // The IPI is handled only after cpu1's irq_enable, and cpu0's wait completes after that.
  int enable = -1, handle = -1, wait = -1;
  for (size_t i = 0; i < r.trace.size(); ++i) {
    if (r.trace[i].op == OpKind::kIrqEnable) enable = static_cast<int>(i);
    if (r.trace[i].op == OpKind::kIpiHandle) handle = static_cast<int>(i);
    if (r.trace[i].op == OpKind::kIpiWait) wait = static_cast<int>(i);
  }
  EXPECT_LT(enable, handle);
  EXPECT_LT(handle, wait);
}

TEST(WorldTest, BroadcastFlushInvalidatesEveryTlbAtOnce) {
  const std::vector<uint32_t> none;
  TapeDecider d(none);
  World w(Config(3, TlbFlushMode::kBroadcast), SimOptions{}, d);
  ASSERT_TRUE(w.SetupMapAnonPage(kA, 0b111));
  auto flush = [](Cpu& cpu) -> Task<void> {
    PTFUZZ_KERNEL_FUNC(cpu, "test_broadcast", "test");
    co_await cpu.TlbFlushBroadcast(kA, kA + kPageSize);
  };
  w.SetActor(0, {"flush", 0}, flush(w.cpu(0)));
  const RunResult r = w.Run();
  EXPECT_EQ(r.outcome, Outcome::kClean);
  for (const Cpu& c : w.cpus()) EXPECT_TRUE(c.tlb.entries().empty());
}

TEST(WorldTest, TryAddFailsAtZeroAndPutFreesAtZero) {
  const std::vector<uint32_t> none;
  TapeDecider d(none);
  World w(Config(1), SimOptions{}, d);
  ASSERT_TRUE(w.SetupMapAnonPage(kA, 0));
  const FrameId page = w.Translate(kA);
  ASSERT_NE(page, kNoFrame);
  std::vector<uint64_t> results;
  auto actor = [&](Cpu& cpu) -> Task<void> {
    PTFUZZ_KERNEL_FUNC(cpu, "test_refs", "test");
    results.push_back(co_await cpu.RefTryAdd(page, 1));  // 1 -> 2
    results.push_back(co_await cpu.RefPut(page, 1));     // 2 -> 1
    results.push_back(co_await cpu.RefPut(page, 1));     // 1 -> 0: frees
    results.push_back(co_await cpu.RefTryAdd(page, 1));  // fails on 0
  };
  w.SetActor(0, {"refs", 0}, actor(w.cpu(0)));
  const RunResult r = w.Run();
  EXPECT_EQ(results, (std::vector<uint64_t>{1, 0, 1, 0}));
  EXPECT_EQ(w.memory().frame(page).state, FrameState::kFree);
  EXPECT_EQ(w.memory().frame(page).refcount, 0);
  // The page was freed while a PTE still maps it: the end-of-run accounting objects.
  ASSERT_TRUE(r.violation.has_value());
  EXPECT_EQ(r.violation->kind, ViolationKind::kRefcountLeak);
  EXPECT_NE(r.violation->explanation.find("free but still mapped"), std::string::npos)
      << r.violation->explanation;
}

TEST(WorldTest, AllocationChoiceIsADecisionOverFreeFramesMostRecentFirst) {
  const std::vector<uint32_t> tape = {2};
  TapeDecider d(tape);
  World w(Config(1), SimOptions{}, d);  // 8 frames, the pgd uses frame 0
  FrameId got = kNoFrame;
  auto actor = [&](Cpu& cpu) -> Task<void> {
    PTFUZZ_KERNEL_FUNC(cpu, "test_alloc", "test");
    got = static_cast<FrameId>(co_await cpu.AllocPage(-1));
    co_await cpu.RefPut(got, 1);
  };
  w.SetActor(0, {"alloc", 0}, actor(w.cpu(0)));
  const RunResult r = w.Run();
  EXPECT_EQ(got, 3u);  // options: 1, 2, 3, ... (free list, hottest first)
  ASSERT_EQ(r.tape.size(), 1u);
  EXPECT_EQ(r.tape[0].kind, DecisionKind::kAllocFrame);
  EXPECT_EQ(r.tape[0].num_options, 7u);
  EXPECT_EQ(r.outcome, Outcome::kClean);
}

}  // namespace
}  // namespace ptfuzz

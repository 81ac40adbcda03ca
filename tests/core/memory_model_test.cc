// The memory models, checked exhaustively on small programs: for each model, an outcome it must
// allow is reached by some tape, and an outcome it must forbid is reached by none, over every
// tape (a complete DFS of the decision tree, which for these programs is small).
//
// The programs are the classic shapes (message passing, store buffering, coherence, IRIW, WRC,
// forwarding) written directly against the Cpu awaitables on plain variables; tests/litmus runs
// the same questions from C litmus files.
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "core/decider.h"
#include "core/world.h"
#include "gtest/gtest.h"
#include "tests/core/dfs_decider.h"

namespace ptfuzz {
namespace {

// A Decider that replays `prefix` and answers 0 past it, remembering every option count.

using testing::DfsDecider;

// Runs every decision sequence of a `num_cpus`-CPU machine under `model` (a complete DFS):
// `setup` attaches the actors to each fresh World, `visit` sees each finished run. Returns the
// number of executions.
int ForEachExecution(MemoryModelKind model, uint32_t num_cpus, uint32_t num_vars, bool record_trace,
                     const std::function<void(World&)>& setup,
                     const std::function<void(const World&, const RunResult&)>& visit) {
  std::vector<uint32_t> tape;
  int runs = 0;
  for (;;) {
    DfsDecider decider(tape);
    MachineConfig config;
    config.num_cpus = num_cpus;
    config.num_frames = 1;
    config.num_vars = num_vars;
    config.memory_model = model;
    SimOptions options;
    options.record_trace = record_trace;
    World world(config, options, decider);
    setup(world);
    const RunResult r = world.Run();
    EXPECT_EQ(r.outcome, Outcome::kClean);
    ++runs;
    visit(world, r);
    if (!decider.Next(&tape)) break;
    if (runs > 200000) {
      ADD_FAILURE() << "decision tree too large";
      break;
    }
  }
  return runs;
}

// One thread of a test program: writes its observations into `regs`.
using Thread = std::function<Task<void>(Cpu&, std::vector<uint64_t>&)>;

// Every final outcome (registers of each thread, then the variables) over every tape.
std::set<std::string> Outcomes(MemoryModelKind model, uint32_t num_vars,
                               const std::vector<Thread>& threads, int* executions = nullptr) {
  std::set<std::string> outcomes;
  std::vector<std::vector<uint64_t>> regs;
  const int runs = ForEachExecution(
      model, static_cast<uint32_t>(threads.size()), num_vars, /*record_trace=*/false,
      [&](World& world) {
        regs.assign(threads.size(), {});
        for (size_t t = 0; t < threads.size(); ++t) {
          world.SetActor(static_cast<CpuId>(t), ActorInfo{"P", 0},
                         threads[t](world.cpu(static_cast<CpuId>(t)), regs[t]));
        }
      },
      [&](const World& world, const RunResult&) {
        std::string o;
        for (size_t t = 0; t < regs.size(); ++t) {
          for (uint64_t v : regs[t]) o += std::to_string(t) + ":" + std::to_string(v) + " ";
        }
        for (uint32_t v = 0; v < num_vars; ++v) {
          o += "x" + std::to_string(v) + "=" + std::to_string(world.ReadLoc(VarLoc(v))) + " ";
        }
        outcomes.insert(o);
      });
  if (executions) *executions = runs;
  return outcomes;
}

constexpr uint32_t kX = 0, kY = 1;

bool Reached(const std::set<std::string>& outcomes, const std::string& prefix) {
  for (const std::string& o : outcomes) {
    if (o.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

// Message passing: P0 writes data then flag; P1 reads flag then data. "1:1 1:0" = flag seen,
// data stale.
std::vector<Thread> Mp(MemOrder flag_store, MemOrder flag_load, bool wmb, bool rmb) {
  return {
      [=](Cpu& cpu, std::vector<uint64_t>&) -> Task<void> {
        co_await cpu.VarStore(kX, 1, MemOrder::kOnce);
        if (wmb) co_await cpu.Fence(FenceKind::kWmb);
        co_await cpu.VarStore(kY, 1, flag_store);
      },
      [=](Cpu& cpu, std::vector<uint64_t>& r) -> Task<void> {
        r.push_back(co_await cpu.VarLoad(kY, flag_load));
        if (rmb) co_await cpu.Fence(FenceKind::kRmb);
        r.push_back(co_await cpu.VarLoad(kX, MemOrder::kOnce));
      },
  };
}

TEST(MemoryModelTest, MessagePassingWithoutBarriersIsReorderedOnlyUnderRelaxed) {
  const auto mp = Mp(MemOrder::kOnce, MemOrder::kOnce, false, false);
  EXPECT_FALSE(Reached(Outcomes(MemoryModelKind::kSc, 2, mp), "1:1 1:0 "));
  EXPECT_FALSE(
      Reached(Outcomes(MemoryModelKind::kTso, 2, mp), "1:1 1:0 "));  // TSO keeps W->W, R->R
  EXPECT_TRUE(Reached(Outcomes(MemoryModelKind::kRelaxed, 2, mp), "1:1 1:0 "));
}

TEST(MemoryModelTest, MessagePassingWithWmbRmbOrReleaseAcquireIsForbidden) {
  for (MemoryModelKind m :
       {MemoryModelKind::kSc, MemoryModelKind::kTso, MemoryModelKind::kRelaxed}) {
    EXPECT_FALSE(
        Reached(Outcomes(m, 2, Mp(MemOrder::kOnce, MemOrder::kOnce, true, true)), "1:1 1:0 "))
        << MemoryModelName(m);
    EXPECT_FALSE(Reached(Outcomes(m, 2, Mp(MemOrder::kRelease, MemOrder::kAcquire, false, false)),
                         "1:1 1:0 "))
        << MemoryModelName(m);
    // And the other outcomes stay reachable: the fences forbid one outcome, not all interleavings.
    EXPECT_TRUE(
        Reached(Outcomes(m, 2, Mp(MemOrder::kOnce, MemOrder::kOnce, true, true)), "1:0 1:0 "));
    EXPECT_TRUE(
        Reached(Outcomes(m, 2, Mp(MemOrder::kOnce, MemOrder::kOnce, true, true)), "1:1 1:1 "));
  }
  // Only one side of the handshake: still reordered under relaxed.
  EXPECT_TRUE(Reached(
      Outcomes(MemoryModelKind::kRelaxed, 2, Mp(MemOrder::kOnce, MemOrder::kOnce, true, false)),
      "1:1 1:0 "));
  EXPECT_TRUE(Reached(
      Outcomes(MemoryModelKind::kRelaxed, 2, Mp(MemOrder::kRelease, MemOrder::kOnce, false, false)),
      "1:1 1:0 "));
}

TEST(MemoryModelTest, AddressDependencyOrdersTheDependentLoad) {
  // P0: x = 1; smp_wmb(); y = 1.  P1: r0 = READ_ONCE(y); r1 = READ_ONCE(*(x + r0 - r0)), i.e. a
  // load of x whose address depends on r0 (the shape of every page-table walk).
  auto threads = [](bool dep) {
    return std::vector<Thread>{
        [](Cpu& cpu, std::vector<uint64_t>&) -> Task<void> {
          co_await cpu.VarStore(kX, 1, MemOrder::kOnce);
          co_await cpu.Fence(FenceKind::kWmb);
          co_await cpu.VarStore(kY, 1, MemOrder::kOnce);
        },
        [dep](Cpu& cpu, std::vector<uint64_t>& r) -> Task<void> {
          const Loaded flag = co_await cpu.VarLoad(kY, MemOrder::kOnce);
          r.push_back(flag.value);
          r.push_back(co_await cpu.VarLoad(kX, MemOrder::kOnce, dep ? flag.dep : kNoDep));
        },
    };
  };
  EXPECT_FALSE(Reached(Outcomes(MemoryModelKind::kRelaxed, 2, threads(true)), "1:1 1:0 "));
  EXPECT_TRUE(Reached(Outcomes(MemoryModelKind::kRelaxed, 2, threads(false)), "1:1 1:0 "));
}

// Store buffering: each CPU stores then loads the other's variable. "0:0 1:0" = both stale.
std::vector<Thread> Sb(bool mb) {
  auto side = [mb](uint32_t mine, uint32_t other) -> Thread {
    return [=](Cpu& cpu, std::vector<uint64_t>& r) -> Task<void> {
      co_await cpu.VarStore(mine, 1, MemOrder::kOnce);
      if (mb) co_await cpu.Fence(FenceKind::kMb);
      r.push_back(co_await cpu.VarLoad(other, MemOrder::kOnce));
    };
  };
  return {side(kX, kY), side(kY, kX)};
}

TEST(MemoryModelTest, StoreBufferingIsAllowedByTsoAndRelaxedAndForbiddenByMb) {
  EXPECT_FALSE(Reached(Outcomes(MemoryModelKind::kSc, 2, Sb(false)), "0:0 1:0 "));
  EXPECT_TRUE(Reached(Outcomes(MemoryModelKind::kTso, 2, Sb(false)), "0:0 1:0 "));
  EXPECT_TRUE(Reached(Outcomes(MemoryModelKind::kRelaxed, 2, Sb(false)), "0:0 1:0 "));
  for (MemoryModelKind m :
       {MemoryModelKind::kSc, MemoryModelKind::kTso, MemoryModelKind::kRelaxed}) {
    const std::set<std::string> o = Outcomes(m, 2, Sb(true));
    EXPECT_FALSE(Reached(o, "0:0 1:0 ")) << MemoryModelName(m);
    EXPECT_TRUE(Reached(o, "0:1 1:1 ")) << MemoryModelName(m);
  }
}

TEST(MemoryModelTest, FullyOrderedRmwForbidsStoreBufferingUnlikeARelaxedOne) {
  // The GUP-fast / MADV_FREE handshake shape (Z12): take a reference with a value-returning
  // atomic, then recheck; the other side clears, smp_mb(), checks the count.
  auto threads = [](MemOrder rmw) {
    return std::vector<Thread>{
        [rmw](Cpu& cpu, std::vector<uint64_t>& r) -> Task<void> {
          co_await cpu.VarRmw(kX, RmwOp::kAdd, 1, 0, rmw);
          r.push_back(co_await cpu.VarLoad(kY, MemOrder::kOnce));
        },
        [](Cpu& cpu, std::vector<uint64_t>& r) -> Task<void> {
          co_await cpu.VarStore(kY, 1, MemOrder::kOnce);
          co_await cpu.Fence(FenceKind::kMb);
          r.push_back(co_await cpu.VarLoad(kX, MemOrder::kOnce));
        },
    };
  };
  for (MemoryModelKind m :
       {MemoryModelKind::kSc, MemoryModelKind::kTso, MemoryModelKind::kRelaxed}) {
    EXPECT_FALSE(Reached(Outcomes(m, 2, threads(MemOrder::kFull)), "0:0 1:0 "))
        << MemoryModelName(m);
  }
  // atomic_add() orders nothing (a lock-prefixed add on x86 still does: TSO forbids it).
  EXPECT_TRUE(
      Reached(Outcomes(MemoryModelKind::kRelaxed, 2, threads(MemOrder::kRelaxed)), "0:0 1:0 "));
  EXPECT_FALSE(
      Reached(Outcomes(MemoryModelKind::kTso, 2, threads(MemOrder::kRelaxed)), "0:0 1:0 "));
}

TEST(MemoryModelTest, CoherenceHoldsUnderEveryModel) {
  // CoRR: P0 writes x = 1 then 2; P1 reads x twice and never sees it go backwards.
  const std::vector<Thread> corr = {
      [](Cpu& cpu, std::vector<uint64_t>&) -> Task<void> {
        co_await cpu.VarStore(kX, 1, MemOrder::kOnce);
        co_await cpu.VarStore(kX, 2, MemOrder::kOnce);
      },
      [](Cpu& cpu, std::vector<uint64_t>& r) -> Task<void> {
        r.push_back(co_await cpu.VarLoad(kX, MemOrder::kOnce));
        r.push_back(co_await cpu.VarLoad(kX, MemOrder::kOnce));
      },
  };
  for (MemoryModelKind m :
       {MemoryModelKind::kSc, MemoryModelKind::kTso, MemoryModelKind::kRelaxed}) {
    const std::set<std::string> o = Outcomes(m, 1, corr);
    EXPECT_FALSE(Reached(o, "1:2 1:1 ")) << MemoryModelName(m);
    EXPECT_FALSE(Reached(o, "1:2 1:0 ")) << MemoryModelName(m);
    EXPECT_FALSE(Reached(o, "1:1 1:0 ")) << MemoryModelName(m);
    EXPECT_TRUE(Reached(o, "1:0 1:2 ")) << MemoryModelName(m);
    // CoWW: the final value is the program-order-last store.
    for (const std::string& s : o) EXPECT_NE(s.find("x0=2"), std::string::npos) << s;
  }
}

TEST(MemoryModelTest, TsoForwardsOwnStoresAndDrainsInFifoOrder) {
  // P0: x = 1; y = 1; r0 = x (forwarded: 1 even before the drain). P1: r1 = y; r2 = x: FIFO
  // drains mean y = 1 visible implies x = 1 visible.
  const std::vector<Thread> t = {
      [](Cpu& cpu, std::vector<uint64_t>& r) -> Task<void> {
        co_await cpu.VarStore(kX, 1, MemOrder::kOnce);
        co_await cpu.VarStore(kY, 1, MemOrder::kOnce);
        r.push_back(co_await cpu.VarLoad(kX, MemOrder::kOnce));
      },
      [](Cpu& cpu, std::vector<uint64_t>& r) -> Task<void> {
        r.push_back(co_await cpu.VarLoad(kY, MemOrder::kOnce));
        r.push_back(co_await cpu.VarLoad(kX, MemOrder::kOnce));
      },
  };
  int executions = 0;
  const std::set<std::string> o = Outcomes(MemoryModelKind::kTso, 2, t, &executions);
  for (const std::string& s : o) {
    EXPECT_EQ(s.rfind("0:1 ", 0), 0u) << s;                // forwarding
    EXPECT_EQ(s.find("1:1 1:0"), std::string::npos) << s;  // FIFO
  }
  EXPECT_TRUE(Reached(o, "0:1 1:0 1:0 "));  // P1 ran while both stores were still buffered
  EXPECT_GT(executions, 10);
}

TEST(MemoryModelTest, TsoDrainsBeforeAnIpiIsSentAndWhenOneIsTaken) {
  // P0: x = 1; send a flush IPI and wait. P1: y = 1, then interrupts stay enabled while it
  // loads x. In every schedule: P0's store is in memory when its IPI goes out (the ICR write is
  // fenced), and P1's store is in memory once P1 has taken the interrupt.
  const int executions = ForEachExecution(
      MemoryModelKind::kTso, 2, 2, /*record_trace=*/true,
      [](World& world) {
        world.SetActor(0, ActorInfo{"P", 0}, [](Cpu& cpu) -> Task<void> {
          co_await cpu.VarStore(kX, 1, MemOrder::kOnce);
          co_await cpu.IpiSend(0, kPageSize);
          co_await cpu.IpiWait();
        }(world.cpu(0)));
        world.SetActor(1, ActorInfo{"P", 0}, [](Cpu& cpu) -> Task<void> {
          co_await cpu.VarStore(kY, 1, MemOrder::kOnce);
          co_await cpu.VarLoad(kX, MemOrder::kOnce);
        }(world.cpu(1)));
      },
      [](const World&, const RunResult& r) {
        bool x_drained = false, y_stored = false, y_drained = false;
        for (const TraceEvent& e : r.trace) {
          if (e.op == OpKind::kDrain) (e.addr == VarLoc(kX) ? x_drained : y_drained) = true;
          if (e.op == OpKind::kStore && e.addr == VarLoc(kY)) y_stored = true;
          if (e.op == OpKind::kIpiSend) EXPECT_TRUE(x_drained) << "IPI sent with x still buffered";
          if (e.op == OpKind::kIpiHandle && y_stored) {
            EXPECT_TRUE(y_drained) << "interrupt taken with y still buffered";
          }
        }
      });
  EXPECT_GT(executions, 5);
}

// Runs `threads` once under TSO with the default policy (every answer 0), recording the trace.
RunResult RunTsoDefault(const std::vector<std::function<Task<void>(Cpu&)>>& threads,
                        uint32_t num_vars) {
  DfsDecider decider({});
  MachineConfig config;
  config.num_cpus = static_cast<uint32_t>(threads.size());
  config.num_frames = 1;
  config.num_vars = num_vars;
  config.memory_model = MemoryModelKind::kTso;
  SimOptions options;
  options.record_trace = true;
  World world(config, options, decider);
  for (size_t t = 0; t < threads.size(); ++t) {
    world.SetActor(static_cast<CpuId>(t), ActorInfo{"P", 0},
                   threads[t](world.cpu(static_cast<CpuId>(t))));
  }
  return world.Run();
}

TEST(MemoryModelTest, TsoDefaultPolicyContinuesTheCpuThatWaitedForItsDrain) {
  // P0: x = 1; smp_mb(); r = y. P1: y = 1. The mfence makes P0 wait for its buffer; after the
  // drain the default policy gives P0 the next step again (no context switch), as under SC.
  const RunResult r =
      RunTsoDefault({[](Cpu& cpu) -> Task<void> {
                       co_await cpu.VarStore(kX, 1, MemOrder::kOnce);
                       co_await cpu.Fence(FenceKind::kMb);
                       co_await cpu.VarLoad(kY, MemOrder::kOnce);
                     },
                     [](Cpu& cpu) -> Task<void> { co_await cpu.VarStore(kY, 1, MemOrder::kOnce); }},
                    2);
  ASSERT_EQ(r.outcome, Outcome::kClean);
  ASSERT_GE(r.trace.size(), 4u);
  EXPECT_EQ(r.trace[0].op, OpKind::kStore);
  EXPECT_EQ(r.trace[1].op, OpKind::kDrain);
  EXPECT_EQ(r.trace[2].op, OpKind::kFence);
  EXPECT_EQ(r.trace[2].cpu, 0u);
  EXPECT_EQ(r.trace[2].agent, -1);
  EXPECT_EQ(r.trace[3].op, OpKind::kLoad);
  EXPECT_EQ(r.trace[3].cpu, 0u);
}

TEST(MemoryModelTest, TsoBufferedUnlockHoldsOffTheNextLocker) {
  // x86 spin_unlock is a plain store: until it drains, another CPU still sees the lock held.
  constexpr uint32_t kLock = 0;
  auto lock_unlock = [](Cpu& cpu) -> Task<void> {
    co_await cpu.VarSpinLock(kLock);
    co_await cpu.VarSpinUnlock(kLock);
  };
  const int executions = ForEachExecution(
      MemoryModelKind::kTso, 2, 1, /*record_trace=*/true,
      [&](World& world) {
        world.SetActor(0, ActorInfo{"P", 0}, lock_unlock(world.cpu(0)));
        world.SetActor(1, ActorInfo{"P", 0}, lock_unlock(world.cpu(1)));
      },
      [](const World&, const RunResult& r) {
        int holder = -1;  // from the lock step until the drain of that CPU's unlock
        for (const TraceEvent& e : r.trace) {
          if (e.op == OpKind::kSpinLock) {
            EXPECT_EQ(holder, -1) << "cpu " << e.cpu << " took a lock whose unlock is buffered";
            holder = static_cast<int>(e.cpu);
          }
          if (e.op == OpKind::kDrain && e.new_value == 0) holder = -1;
        }
      });
  EXPECT_GE(executions, 2);
}

TEST(MemoryModelTest, RunResultCountsWeakMemoryBehaviour) {
  // Message passing without barriers: every TSO run buffers both of P0's stores; a relaxed run
  // in which P1 sees the flag but not the data read one stale store; SC counts nothing.
  const auto mp = Mp(MemOrder::kOnce, MemOrder::kOnce, false, false);
  auto setup = [&](std::vector<std::vector<uint64_t>>& regs) {
    return [&](World& world) {
      regs.assign(2, {});
      for (CpuId t = 0; t < 2; ++t)
        world.SetActor(t, ActorInfo{"P", 0}, mp[t](world.cpu(t), regs[t]));
    };
  };
  std::vector<std::vector<uint64_t>> regs;
  ForEachExecution(MemoryModelKind::kTso, 2, 2, false, setup(regs),
                   [](const World&, const RunResult& r) {
                     EXPECT_EQ(r.buffered_stores, 2u);
                     EXPECT_EQ(r.stale_loads, 0u);
                   });
  int reordered = 0;
  ForEachExecution(MemoryModelKind::kRelaxed, 2, 2, false, setup(regs),
                   [&](const World&, const RunResult& r) {
                     EXPECT_EQ(r.buffered_stores, 0u);
                     if (regs[1] == std::vector<uint64_t>{1, 0}) {
                       EXPECT_EQ(r.stale_loads, 1u);
                       ++reordered;
                     }
                   });
  EXPECT_GT(reordered, 0);
  ForEachExecution(
      MemoryModelKind::kSc, 2, 2, false, setup(regs),
      [](const World&, const RunResult& r) { EXPECT_EQ(r.stale_loads + r.buffered_stores, 0u); });
}

TEST(MemoryModelTest, IriwNeedsBarriersUnderRelaxedOnly) {
  // Two writers, two readers reading in opposite orders; "2:1 2:0 3:1 3:0" = the readers
  // disagree on the order of the two independent stores.
  auto threads = [](bool mb) {
    auto reader = [mb](uint32_t first, uint32_t second) -> Thread {
      return [=](Cpu& cpu, std::vector<uint64_t>& r) -> Task<void> {
        r.push_back(co_await cpu.VarLoad(first, MemOrder::kOnce));
        if (mb) co_await cpu.Fence(FenceKind::kMb);
        r.push_back(co_await cpu.VarLoad(second, MemOrder::kOnce));
      };
    };
    return std::vector<Thread>{[](Cpu& cpu, std::vector<uint64_t>&) -> Task<void> {
                                 co_await cpu.VarStore(kX, 1, MemOrder::kOnce);
                               },
                               [](Cpu& cpu, std::vector<uint64_t>&) -> Task<void> {
                                 co_await cpu.VarStore(kY, 1, MemOrder::kOnce);
                               },
                               reader(kX, kY), reader(kY, kX)};
  };
  EXPECT_FALSE(Reached(Outcomes(MemoryModelKind::kTso, 2, threads(false)), "2:1 2:0 3:1 3:0 "));
  EXPECT_TRUE(Reached(Outcomes(MemoryModelKind::kRelaxed, 2, threads(false)), "2:1 2:0 3:1 3:0 "));
  EXPECT_FALSE(Reached(Outcomes(MemoryModelKind::kRelaxed, 2, threads(true)), "2:1 2:0 3:1 3:0 "));
}

TEST(MemoryModelTest, ReleaseIsCumulative) {
  // WRC: P0 x = 1; P1 r0 = x; smp_store_release(y, 1); P2 r1 = smp_load_acquire(y); r2 = x.
  // r0 = 1, r1 = 1, r2 = 0 is forbidden: what P1 observed propagates before its release.
  auto threads = [](MemOrder release) {
    return std::vector<Thread>{
        [](Cpu& cpu, std::vector<uint64_t>&) -> Task<void> {
          co_await cpu.VarStore(kX, 1, MemOrder::kOnce);
        },
        [release](Cpu& cpu, std::vector<uint64_t>& r) -> Task<void> {
          r.push_back(co_await cpu.VarLoad(kX, MemOrder::kOnce));
          co_await cpu.VarStore(kY, 1, release);
        },
        [](Cpu& cpu, std::vector<uint64_t>& r) -> Task<void> {
          r.push_back(co_await cpu.VarLoad(kY, MemOrder::kAcquire));
          r.push_back(co_await cpu.VarLoad(kX, MemOrder::kOnce));
        },
    };
  };
  EXPECT_FALSE(
      Reached(Outcomes(MemoryModelKind::kRelaxed, 2, threads(MemOrder::kRelease)), "1:1 2:1 2:0 "));
  EXPECT_TRUE(
      Reached(Outcomes(MemoryModelKind::kRelaxed, 2, threads(MemOrder::kOnce)), "1:1 2:1 2:0 "));
}

TEST(MemoryModelTest, ScAddsNoDecisionsBeyondScheduling) {
  // Under SC a load is never a choice and barriers are free: the MP program has exactly the
  // interleavings of its four accesses, C(4,2) = 6.
  int executions = 0;
  Outcomes(MemoryModelKind::kSc, 2, Mp(MemOrder::kOnce, MemOrder::kOnce, true, true), &executions);
  EXPECT_EQ(executions, 6);
}

}  // namespace
}  // namespace ptfuzz

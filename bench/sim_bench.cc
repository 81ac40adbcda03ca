// Micro-benchmarks of one fuzz execution's parts: the simulator run, the binary parse + run the
// fuzz target does, and the custom mutator. Figures are printed by Google Benchmark; the
// end-to-end exec/s of ptfuzz_fuzzer against an empty libFuzzer target is bench/fuzz_exec_rate.sh.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "core/format_version.h"
#include "core/run.h"
#include "core/scenarios/registry.h"
#include "core/schedule_io.h"
#include "core/tape_decider.h"
#include "fuzz/mutator.h"

namespace ptfuzz {
namespace {

// The default gup_vs_zap scenario with a tape that preempts every few decisions: a typical
// fuzzer input (about 30 steps).
proto::Schedule TypicalSchedule(proto::TlbFlushMode mode,
                                proto::MemoryModel model = proto::MEMORY_MODEL_SC) {
  proto::Schedule s;
  s.set_format_version(kFormatVersion);
  *s.mutable_scenario() = FindScenario("gup_vs_zap")->default_scenario();
  s.mutable_scenario()->set_tlb_flush(mode);
  s.mutable_scenario()->set_memory_model(model);
  for (int i = 0; i < 32; ++i) s.add_raw_tape(i % 5 == 4 ? 1 + i % 2 : 0);
  return s;
}

// Args: TLB flush mode, memory model (1 SC, 2 TSO, 3 relaxed). The same tape under each model:
// TSO adds store-buffer agents to the schedule options, relaxed adds reads-from choices.
void BM_RunScenario(benchmark::State& state) {
  const proto::Schedule s = TypicalSchedule(static_cast<proto::TlbFlushMode>(state.range(0)),
                                            static_cast<proto::MemoryModel>(state.range(1)));
  const std::vector<uint32_t> raw = RawTape(s);
  uint64_t steps = 0;
  for (auto _ : state) {
    TapeDecider decider(raw);
    RunResult r = RunScenario(s.scenario(), decider, SimOptions{});
    steps += r.steps;
    benchmark::DoNotOptimize(r.trace_hash);
  }
  state.counters["steps/run"] = benchmark::Counter(static_cast<double>(steps) / state.iterations());
  state.counters["steps/s"] =
      benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RunScenario)
    ->ArgNames({"flush", "model"})
    ->ArgsProduct({{proto::TLB_FLUSH_IPI, proto::TLB_FLUSH_BROADCAST},
                   {proto::MEMORY_MODEL_SC, proto::MEMORY_MODEL_TSO, proto::MEMORY_MODEL_RELAXED}});

// Every built-in scenario's default configuration, with a tape that preempts every fifth
// decision, under each memory model (arm64 scenarios keep their architecture; the others run as
// configured). Args: scenario index in BuiltinScenarios(), model.
void BM_RunEachScenario(benchmark::State& state) {
  const ScenarioSpec& spec = BuiltinScenarios()[static_cast<size_t>(state.range(0))];
  proto::Scenario s = spec.default_scenario();
  s.set_memory_model(static_cast<proto::MemoryModel>(state.range(1)));
  std::vector<uint32_t> raw;
  for (int i = 0; i < 40; ++i) raw.push_back(i % 5 == 4 ? 1 : 0);
  uint64_t steps = 0;
  for (auto _ : state) {
    TapeDecider decider(raw);
    RunResult r = RunScenario(s, decider, SimOptions{});
    steps += r.steps;
    benchmark::DoNotOptimize(r.trace_hash);
  }
  state.SetLabel(std::string(spec.name));
  state.counters["steps/run"] = benchmark::Counter(static_cast<double>(steps) / state.iterations());
  // Issue 9's engine goal: simulated steps per second of replay, per core.
  state.counters["steps/s"] =
      benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RunEachScenario)
    ->ArgNames({"scenario", "model"})
    ->Apply([](benchmark::internal::Benchmark* b) {
      for (int64_t i = 0; i < static_cast<int64_t>(BuiltinScenarios().size()); ++i) {
        for (int64_t model : {proto::MEMORY_MODEL_SC, proto::MEMORY_MODEL_TSO,
                              proto::MEMORY_MODEL_RELAXED}) {
          b->Args({i, model});
        }
      }
    });

void BM_ParseValidateRun(benchmark::State& state) {
  const std::string bytes = TypicalSchedule(proto::TLB_FLUSH_BROADCAST).SerializeAsString();
  for (auto _ : state) {
    proto::Schedule s;
    benchmark::DoNotOptimize(ParseSchedule(bytes, &s).ok());
    benchmark::DoNotOptimize(ValidateScenario(s.scenario()).ok());
    const std::vector<uint32_t> raw = RawTape(s);
    TapeDecider decider(raw);
    RunResult r = RunScenario(s.scenario(), decider, SimOptions{});
    benchmark::DoNotOptimize(r.trace_hash);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseValidateRun);

void BM_Mutate(benchmark::State& state) {
  const std::string bytes = TypicalSchedule(proto::TLB_FLUSH_BROADCAST).SerializeAsString();
  std::vector<uint8_t> buf(4096);
  uint32_t seed = 1;
  for (auto _ : state) {
    std::copy(bytes.begin(), bytes.end(), buf.begin());
    benchmark::DoNotOptimize(MutateSchedule(buf.data(), bytes.size(), buf.size(), seed++, Pins{}));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Mutate);

}  // namespace
}  // namespace ptfuzz

BENCHMARK_MAIN();

// `ptfuzz bench`: the zoo benchmark of issue 9. Every buggy variant of every built-in scenario, in
// the first configuration where it is expected to violate, searched by each strategy K times
// until the first violation or the budget: the sampling baselines and bounded DFS in this process
// (core/strategies.h), the fuzzer as a ptfuzz_fuzzer process per trial. One CSV row per trial;
// bench/zoo_bench.sh runs it over both cores and bench/zoo_bench_report.py turns the rows into
// docs/BENCHMARKS.md's tables and plot. Wall time is measured here, for the report only.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/run.h"
#include "core/scenarios/background.h"
#include "core/scenarios/registry.h"
#include "core/schedule_io.h"
#include "core/strategies.h"
#include "fuzz/mutator.h"
#include "replay/cli_args.h"
#include "replay/commands.h"
#include "replay/fuzzer_process.h"

namespace ptfuzz {

namespace fs = std::filesystem;

namespace {

constexpr char kBenchUsage[] =
    "ptfuzz bench [--trials=K] [--budget=N] [--max-time=S] [--strategies=LIST]\n"
    "             [--scenario=NAME,...] [--variant=V,...] [--background=K,...]\n"
    "             [--shard=I/N] [--csv=FILE] [--fuzzer-flags=F,...] [--list]\n"
    "  The zoo benchmark: every buggy variant of every scenario (or those named), in the first\n"
    "  configuration where it is expected to violate (IPI before broadcast flushes, SC before\n"
    "  TSO before the relaxed model, x86-64 before arm64), searched by each strategy K times\n"
    "  (default 10, seeds 1..K) until the first violation, N runs (default 200000) or, for the\n"
    "  fuzzer, S seconds (default 60). Strategies (default all): random, preempt (p 0.05),\n"
    "  pct (depth 3), pctwm (depth 3, two reads-from changes, history 2), pos, surw, dfs\n"
    "  (iterative deepening of bounded DFS; deterministic, so one trial), fuzz (ptfuzz_fuzzer\n"
    "  beside this binary, seeded with the scenario's corpus/<scenario>/seed), fuzz-code-only\n"
    "  (the fuzzer with code coverage alone: the ablation of the interleaving feedback,\n"
    "  fuzz/feedback.h). --background runs each entry again with K background actors\n"
    "  (core/scenarios/background.h), e.g. --background=0,2,6,12. --shard=I/N takes every N-th\n"
    "  entry from the I-th (0-based), to split the work over processes. --fuzzer-flags passes\n"
    "  more libFuzzer flags to the fuzzer trials (comma-separated, e.g. -entropic=0).\n"
    "  Writes one CSV row per trial to FILE (default stdout): entry, zoo, scenario, variant,\n"
    "  tlb_flush, arch, memory_model, background, strategy, trial, found, violation, execs,\n"
    "  seconds, detail; progress goes to stderr. --list prints the entries and exits.\n"
    "  Exit: 0 done, 2 usage error or a failed fuzzer process.";

int Fail(const std::string& message) {
  std::fprintf(stderr, "ptfuzz: %s\nusage: %s\n", message.c_str(), kBenchUsage);
  return kExitUsage;
}

struct Entry {
  std::string zoo;
  std::string scenario;
  std::string variant;
  std::string flush;
  std::string arch;
  std::string model;
  std::string expected;
};

struct Config {
  const char* flush;
  const char* model;
  proto::Arch arch;
};

// The first configuration in which each buggy variant is expected to violate.
std::vector<Entry> BenchEntries() {
  std::vector<Entry> out;
  for (const ScenarioSpec& spec : BuiltinScenarios()) {
    for (const VariantSpec& v : spec.variants) {
      if (v.name == "fixed") continue;
      const proto::Arch native = spec.required_arch.value_or(proto::ARCH_X86_64);
      const Config configs[] = {
          {"ipi", "sc", native},
          {"broadcast", "sc", native},
          {"ipi", "tso", native},
          {"broadcast", "tso", native},
          {"ipi", "relaxed", native},
          {"broadcast", "relaxed", native},
          {"broadcast", "relaxed", proto::ARCH_ARM64},
      };
      for (const Config& c : configs) {
        Pins pins;
        if (!MakePins(std::string(spec.name), std::string(v.name), c.flush, &pins, c.model,
                      ArchFlagName(c.arch))
                 .ok()) {
          continue;
        }
        proto::Scenario s = spec.default_scenario();
        ApplyPins(pins, &s);
        if (!ValidateScenario(s).ok()) continue;
        const absl::string_view expected = ExpectedVerdict(v, s);
        if (expected == "clean") continue;
        out.push_back({spec.zoo.empty() ? "-" : std::string(spec.zoo), std::string(spec.name),
                       std::string(v.name), c.flush, ArchFlagName(c.arch), c.model,
                       std::string(expected)});
        break;
      }
    }
  }
  return out;
}

struct Trial {
  bool found = false;
  std::string violation;
  uint64_t execs = 0;
  double seconds = 0;
  std::string detail;
};

std::string Csv(const std::string& field) {
  if (field.find_first_of(",\"\n") == std::string::npos) return field;
  std::string quoted = "\"";
  for (char c : field) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

// One fuzzer trial: a fresh pinned seed corpus, ptfuzz_fuzzer -seed=trial+1 until the first
// violation, `budget` executions or `max_time` seconds.
absl::StatusOr<Trial> FuzzTrial(const Entry& e, const Pins& pins, bool code_only, int trial,
                                uint64_t budget, long long max_time,
                                const std::vector<std::string>& extra_flags, const fs::path& work) {
  const fs::path fuzzer = SelfDir() / "ptfuzz_fuzzer";
  std::error_code ec;
  fs::remove_all(work, ec);
  fs::create_directories(work / "corpus", ec);
  if (ec) return absl::InternalError(absl::StrCat(work.string(), ": ", ec.message()));
  absl::StatusOr<int> seeds =
      PinSeedCorpus(DefaultSeedDir(e.scenario), false, pins, work / "corpus");
  if (!seeds.ok()) return seeds.status();
  std::vector<std::string> argv = {fuzzer.string(),
                                   (work / "corpus").string(),
                                   absl::StrCat("-artifact_prefix=", work.string(), "/"),
                                   absl::StrCat("-max_total_time=", max_time),
                                   absl::StrCat("-runs=", budget),
                                   absl::StrCat("-seed=", trial + 1),
                                   "-print_final_stats=1"};
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  std::vector<std::string> env =
      PinEnvironment(e.scenario, e.variant, e.flush, e.model, e.arch, pins);
  if (code_only) env.push_back("PTFUZZ_FEEDBACK=code");
  const fs::path log = work / "fuzzer.log";
  const auto start = std::chrono::steady_clock::now();
  const int status = RunChild(argv, env, log.string());
  Trial t;
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::ifstream in(log);
  std::string line;
  bool have_execs = false;
  while (std::getline(in, line)) {
    const std::string key = "stat::number_of_executed_units:";
    if (const size_t at = line.find(key); at != std::string::npos) {
      uint64_t n = 0;
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(at + key.size())), &n)) {
        t.execs = n;
        have_execs = true;
      }
    }
  }
  std::vector<fs::path> crashes;
  for (const auto& entry : fs::directory_iterator(work)) {
    if (entry.path().filename().string().rfind("crash-", 0) == 0) crashes.push_back(entry.path());
  }
  if (status != 0 && (status != 77 || crashes.empty())) {
    return absl::InternalError(absl::StrCat("ptfuzz_fuzzer exited with status ", status,
                                            " and no finding; its log: ", log.string()));
  }
  if (!have_execs) {
    return absl::InternalError(
        absl::StrCat("no execution count in the fuzzer's log ", log.string()));
  }
  if (!crashes.empty()) {
    absl::StatusOr<proto::Schedule> crash = LoadScheduleFile(crashes.front().string());
    if (!crash.ok()) return crash.status();
    const RunResult r = RunSchedule(*crash, SimOptions{});
    if (!r.violation) {
      return absl::InternalError(
          absl::StrCat(crashes.front().string(), " does not replay to a violation"));
    }
    t.found = true;
    t.violation = std::string(ViolationKindName(r.violation->kind));
  }
  fs::remove_all(work, ec);
  return t;
}

}  // namespace

int BenchCommand(const std::vector<std::string>& args) {
  CliArgs cli;
  if (absl::Status st = cli.Parse(args,
                                  {"trials", "budget", "max-time", "strategies", "scenario",
                                   "variant", "background", "shard", "csv", "fuzzer-flags"},
                                  {"list", "help", "h"});
      !st.ok()) {
    return Fail(std::string(st.message()));
  }
  if (cli.Has("help") || cli.Has("h")) {
    std::printf("usage: %s\n", kBenchUsage);
    return kExitClean;
  }
  if (!cli.positional().empty()) return Fail("bench takes no positional arguments");
  long long trials = 10, budget = 200000, max_time = 60;
  for (auto [flag, out] :
       {std::pair{"trials", &trials}, {"budget", &budget}, {"max-time", &max_time}}) {
    if (absl::Status st = cli.GetInt(flag, out); !st.ok()) return Fail(std::string(st.message()));
  }
  if (trials < 1 || budget < 1 || max_time < 1) {
    return Fail("--trials, --budget and --max-time must be at least 1");
  }
  static const char* const kStrategies[] = {"random", "preempt", "pct",  "pctwm",         "pos",
                                            "surw",   "dfs",     "fuzz", "fuzz-code-only"};
  std::vector<std::string> strategies;
  if (auto list = cli.Get("strategies")) {
    for (absl::string_view name : absl::StrSplit(*list, ',', absl::SkipEmpty())) {
      if (std::find(std::begin(kStrategies), std::end(kStrategies), name) ==
          std::end(kStrategies)) {
        return Fail(absl::StrCat("--strategies: unknown strategy \"", name,
                                 "\" (random, preempt, pct, pctwm, pos, surw, dfs, fuzz, "
                                 "fuzz-code-only)"));
      }
      strategies.emplace_back(name);
    }
  } else {
    strategies.assign(std::begin(kStrategies), std::end(kStrategies));
  }
  std::vector<uint32_t> backgrounds = {0};
  if (auto list = cli.Get("background")) {
    backgrounds.clear();
    for (absl::string_view k : absl::StrSplit(*list, ',', absl::SkipEmpty())) {
      uint32_t n = 0;
      if (!absl::SimpleAtoi(k, &n) || n > kMaxBackgroundActors) {
        return Fail(
            absl::StrCat("--background: \"", k, "\" is not a count in 0..", kMaxBackgroundActors));
      }
      backgrounds.push_back(n);
    }
    if (backgrounds.empty()) return Fail("--background: no count given");
  }
  std::vector<std::string> fuzzer_flags;
  if (auto flags = cli.Get("fuzzer-flags")) {
    for (absl::string_view f : absl::StrSplit(*flags, ',', absl::SkipEmpty())) {
      if (f.empty() || f[0] != '-') {
        return Fail(
            absl::StrCat("--fuzzer-flags: \"", f, "\" is not a libFuzzer flag (-name=value)"));
      }
      fuzzer_flags.emplace_back(f);
    }
  }
  int shard = 0, shards = 1;
  if (auto spec = cli.Get("shard")) {
    std::vector<std::string> parts = absl::StrSplit(*spec, '/');
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &shard) ||
        !absl::SimpleAtoi(parts[1], &shards) || shards < 1 || shard < 0 || shard >= shards) {
      return Fail(absl::StrCat("--shard: \"", *spec, "\" is not I/N with 0 <= I < N"));
    }
  }
  // --scenario and --variant: comma-separated names, each matching any listed one.
  auto listed = [&](const char* flag, const std::string& name) {
    if (!cli.Has(flag)) return true;
    for (absl::string_view n : absl::StrSplit(*cli.Get(flag), ',', absl::SkipEmpty())) {
      if (n == name) return true;
    }
    return false;
  };
  std::vector<Entry> entries;
  for (Entry& e : BenchEntries()) {
    if (!listed("scenario", e.scenario) || !listed("variant", e.variant)) continue;
    entries.push_back(std::move(e));
  }
  if (entries.empty()) return Fail("no buggy variant matches --scenario / --variant");
  if (cli.Has("list")) {
    for (const Entry& e : entries) {
      std::printf("%-4s %-30s %-26s %-9s %-7s %-7s %s\n", e.zoo.c_str(), e.scenario.c_str(),
                  e.variant.c_str(), e.flush.c_str(), e.arch.c_str(), e.model.c_str(),
                  e.expected.c_str());
    }
    return kExitClean;
  }
  const bool wants_fuzzer =
      std::any_of(strategies.begin(), strategies.end(),
                  [](const std::string& s) { return s.rfind("fuzz", 0) == 0; });
  if (wants_fuzzer && !fs::exists(SelfDir() / "ptfuzz_fuzzer")) {
    return Fail(absl::StrCat((SelfDir() / "ptfuzz_fuzzer").string(),
                             " not found: build with clang and -DPTFUZZ_FUZZING=ON, or leave "
                             "fuzz out of --strategies"));
  }
  std::FILE* csv = stdout;
  if (auto path = cli.Get("csv")) {
    csv = std::fopen(path->c_str(), "w");
    if (csv == nullptr) return Fail(absl::StrCat(*path, ": cannot write"));
  }
  std::fprintf(csv,
               "entry,zoo,scenario,variant,tlb_flush,arch,memory_model,background,strategy,trial,"
               "found,violation,execs,seconds,detail\n");
  std::fflush(csv);
  const fs::path work =
      fs::temp_directory_path() / absl::StrCat("ptfuzz-bench-", getpid(), "-", shard);
  SimOptions options;
  options.trace_hash = false;
  options.state_digest = false;
  int exit_code = kExitClean;
  for (size_t i = static_cast<size_t>(shard); i < entries.size();
       i += static_cast<size_t>(shards)) {
    const Entry& e = entries[i];
    for (uint32_t background : backgrounds) {
      Pins pins;
      if (absl::Status st = MakePins(e.scenario, e.variant, e.flush, &pins, e.model, e.arch);
          !st.ok()) {
        return Fail(std::string(st.message()));
      }
      if (background > 0) pins.background = background;
      proto::Scenario s = FindScenario(e.scenario)->default_scenario();
      ApplyPins(pins, &s);
      if (absl::Status st = ValidateScenario(s); !st.ok()) {
        std::fprintf(stderr, "ptfuzz bench: %s/%s with %u background actors: %s; skipped\n",
                     e.scenario.c_str(), e.variant.c_str(), background,
                     std::string(st.message()).c_str());
        continue;
      }
      for (const std::string& strategy : strategies) {
        const int n = strategy == "dfs" ? 1 : static_cast<int>(trials);
        for (int trial = 0; trial < n; ++trial) {
          Trial t;
          if (strategy == "fuzz" || strategy == "fuzz-code-only") {
            absl::StatusOr<Trial> r =
                FuzzTrial(e, pins, strategy == "fuzz-code-only", trial,
                          static_cast<uint64_t>(budget), max_time, fuzzer_flags, work);
            if (!r.ok()) {
              std::fprintf(stderr, "ptfuzz bench: %s/%s %s trial %d: %s\n", e.scenario.c_str(),
                           e.variant.c_str(), strategy.c_str(), trial + 1,
                           std::string(r.status().message()).c_str());
              exit_code = kExitUsage;
              continue;
            }
            t = *r;
          } else {
            const auto start = std::chrono::steady_clock::now();
            auto visit = [&](const RunResult& r) {
              if (!r.violation) return true;
              t.found = true;
              t.violation = std::string(ViolationKindName(r.violation->kind));
              return false;
            };
            if (strategy == "dfs") {
              const DeepeningOutcome d =
                  DeepenUntilViolation(s, 8, static_cast<uint64_t>(budget), options, visit);
              t.execs = d.runs;
              t.detail = t.found       ? absl::StrCat("bound=", d.bound)
                         : d.exhausted ? "exhausted bound 8"
                                       : "";
            } else {
              SamplingOptions sampling;
              sampling.strategy = *SamplingStrategyFromName(strategy);
              sampling.seed = static_cast<uint64_t>(trial + 1);
              CalibrateSampling(s, options, &sampling);
              t.execs = SampleRuns(s, sampling, static_cast<uint64_t>(budget), options, visit);
            }
            t.seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          }
          std::fprintf(csv, "%zu,%s,%s,%s,%s,%s,%s,%u,%s,%d,%d,%s,%llu,%.4f,%s\n", i,
                       Csv(e.zoo).c_str(), e.scenario.c_str(), e.variant.c_str(), e.flush.c_str(),
                       e.arch.c_str(), e.model.c_str(), background, strategy.c_str(), trial + 1,
                       t.found ? 1 : 0, t.violation.c_str(),
                       static_cast<unsigned long long>(t.execs), t.seconds, Csv(t.detail).c_str());
          std::fflush(csv);
          std::fprintf(stderr,
                       "ptfuzz bench: [%zu/%zu] %s/%s bg %u %s trial %d: %s after %llu "
                       "runs (%.2f s)\n",
                       i + 1, entries.size(), e.scenario.c_str(), e.variant.c_str(), background,
                       strategy.c_str(), trial + 1, t.found ? t.violation.c_str() : "nothing",
                       static_cast<unsigned long long>(t.execs), t.seconds);
        }
      }
    }
  }
  if (csv != stdout) std::fclose(csv);
  return exit_code;
}

}  // namespace ptfuzz

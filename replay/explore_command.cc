// `ptfuzz explore`: a baseline scheduler (core/sampling_decider.h) run after run on a scenario's
// default configuration until the first violation or the budget, the schedule it found saved in
// canonical form so that `ptfuzz replay` shows it. Wall time is measured here, for the report
// only: nothing in a run depends on it.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/bounded_dfs.h"
#include "core/format_version.h"
#include "core/run.h"
#include "core/sampling_decider.h"
#include "core/scenarios/background.h"
#include "core/scenarios/registry.h"
#include "core/schedule_io.h"
#include "core/strategies.h"
#include "fuzz/mutator.h"
#include "replay/cli_args.h"
#include "replay/commands.h"
#include "replay/report.h"

namespace ptfuzz {

namespace {

constexpr char kExploreUsage[] =
    "ptfuzz explore [--scenario=NAME] [--variant=V] [--tlb-flush=ipi|broadcast|paravirt]\n"
    "               [--memory-model=sc|tso|relaxed] [--arch=x86_64|x86_pae|arm64|s390]\n"
    "               [--strategy=random|preempt|pct|pctwm|pos|surw|dfs] [--p=F] [--depth=D]\n"
    "               [--rf-changes=C] [--history=H] [--bound=K] [--budget=N] [--seed=S]\n"
    "               [--background=K] [--out=FILE]\n"
    "  Runs the scenario's default configuration (default gup_vs_zap, variant fixed, with the\n"
    "  given flush mode, memory model and architecture) up to N times (default 1000000), each\n"
    "  run under a baseline scheduler seeded by S (default 1) and the run's index:\n"
    "    random   every choice uniform among its options (random walk)\n"
    "    preempt  the default answer unless, with probability F (default 0.05), another one\n"
    "    pct      PCT with depth D (default 3): random runner priorities, D - 1 priority\n"
    "             change points among the first k schedule choices (k: the choices of the\n"
    "             default run)\n"
    "    pctwm    PCT's schedule, and loads read the newest store except at C (default 2)\n"
    "             change points among the default run's reads-from choices, where they read\n"
    "             one of the H (default 2) stores just older\n"
    "    pos      partial order sampling: random priorities per pending step, re-drawn for\n"
    "             the steps that race with the one that ran\n"
    "    surw     selectively uniform random walk: each runner weighted by the contested\n"
    "             steps it has left (counted in the default run)\n"
    "    dfs      every schedule within K (default 2) non-default answers of the default one,\n"
    "             depth first, each once (core/bounded_dfs.h); the seed is unused\n"
    "  --background=K runs it on a busy machine: K more CPUs with GUP-fast walks, faults\n"
    "  and zaps on pages of their own (0..12, default 0; core/scenarios/background.h).\n"
    "  Stops at the first violation, prints after how many runs, and writes the schedule\n"
    "  (canonical, with its verdict) to FILE (default\n"
    "  out/explore/<scenario>-<variant>-<violation>.textproto).\n"
    "  Exit: 0 nothing found within the budget, 1 violation found, 2 usage error.";

int Fail(const std::string& message) {
  std::fprintf(stderr, "ptfuzz: %s\nusage: %s\n", message.c_str(), kExploreUsage);
  return kExitUsage;
}

}  // namespace

int ExploreCommand(const std::vector<std::string>& args) {
  CliArgs cli;
  if (absl::Status st = cli.Parse(
          args,
          {"scenario", "variant", "tlb-flush", "memory-model", "arch", "strategy", "p", "depth",
           "rf-changes", "history", "bound", "budget", "seed", "background", "out"},
          {"help", "h"});
      !st.ok()) {
    return Fail(std::string(st.message()));
  }
  if (cli.Has("help") || cli.Has("h")) {
    std::printf("usage: %s\n", kExploreUsage);
    return kExitClean;
  }
  if (!cli.positional().empty()) return Fail("explore takes no positional arguments");
  const std::string scenario = cli.Get("scenario").value_or("gup_vs_zap");
  const std::string variant = cli.Get("variant").value_or("fixed");
  Pins pins;
  if (absl::Status st =
          MakePins(scenario, variant, cli.Get("tlb-flush").value_or(""), &pins,
                   cli.Get("memory-model").value_or(""), cli.Get("arch").value_or(""));
      !st.ok()) {
    return Fail(std::string(st.message()));
  }
  SamplingOptions sampling;
  const std::string strategy = cli.Get("strategy").value_or("random");
  const bool dfs = strategy == "dfs";
  if (auto s = SamplingStrategyFromName(strategy)) {
    sampling.strategy = *s;
  } else if (!dfs) {
    return Fail(absl::StrCat("--strategy: unknown strategy \"", strategy,
                             "\" (random, preempt, pct, pctwm, pos, surw or dfs)"));
  }
  if (auto p = cli.Get("p")) {
    if (!absl::SimpleAtod(*p, &sampling.preemption_probability) ||
        !(sampling.preemption_probability >= 0 && sampling.preemption_probability <= 1)) {
      return Fail(absl::StrCat("--p: \"", *p, "\" is not a probability in [0, 1]"));
    }
  }
  long long budget = 1000000, seed = 1, bound = 2, depth = 3, rf_changes = 2, history = 2,
            background = 0;
  for (auto [flag, out] : {std::pair{"budget", &budget},
                           {"seed", &seed},
                           {"bound", &bound},
                           {"depth", &depth},
                           {"rf-changes", &rf_changes},
                           {"history", &history},
                           {"background", &background}}) {
    if (absl::Status st = cli.GetInt(flag, out); !st.ok()) return Fail(std::string(st.message()));
  }
  if (budget < 1) return Fail("--budget must be at least 1");
  if (bound < 0 || bound > 16) return Fail("--bound must be between 0 and 16");
  if (depth < 1 || depth > 16) return Fail("--depth must be between 1 and 16");
  if (rf_changes < 0 || rf_changes > 16) return Fail("--rf-changes must be between 0 and 16");
  if (history < 1 || history > 64) return Fail("--history must be between 1 and 64");
  if (background > kMaxBackgroundActors) {
    return Fail(absl::StrCat("--background must be between 0 and ", kMaxBackgroundActors));
  }
  if (background > 0) pins.background = static_cast<uint32_t>(background);
  sampling.pct_depth = static_cast<uint32_t>(depth);
  sampling.rf_changes = static_cast<uint32_t>(rf_changes);
  sampling.rf_history = static_cast<uint32_t>(history);
  sampling.seed = static_cast<uint64_t>(seed);

  proto::Scenario s = FindScenario(scenario)->default_scenario();
  ApplyPins(pins, &s);
  if (absl::Status st = ValidateScenario(s); !st.ok()) return Fail(std::string(st.message()));
  SimOptions options;
  options.trace_hash = false;
  options.state_digest = false;
  // PCT's k, PCTWM's k_rf and SURW's steps per CPU: what the default run decides (other
  // schedules make about as many choices).
  if (!dfs) CalibrateSampling(s, options, &sampling);
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  // What a run that found a violation leaves: the saved schedule and the report.
  int exit_code = kExitClean;
  long long runs = 0;
  const std::string label =
      dfs ? absl::StrCat("dfs (bound ", bound, ")")
          : absl::StrCat(SamplingStrategyName(sampling.strategy), " (",
                         sampling.strategy == SamplingStrategy::kRandomPreemption
                             ? absl::StrCat("p ", sampling.preemption_probability)
                         : sampling.strategy == SamplingStrategy::kPct
                             ? absl::StrCat("depth ", depth, ", k ", sampling.pct_steps)
                         : sampling.strategy == SamplingStrategy::kPctwm
                             ? absl::StrCat("depth ", depth, ", k ", sampling.pct_steps, ", ",
                                            rf_changes, " reads-from changes among ",
                                            sampling.rf_steps, ", history ", history)
                         : sampling.strategy == SamplingStrategy::kSurw
                             ? absl::StrCat(sampling.runner_steps.size(), " weighted runners")
                         : sampling.strategy == SamplingStrategy::kPos
                             ? std::string("race-aware priorities")
                             : std::string("uniform"),
                         ", seed ", seed, ")");
  auto on_run = [&](const RunResult& r) {
    ++runs;
    if (!r.violation) {
      if (runs % (1 << 18) == 0) {
        std::fprintf(stderr, "ptfuzz: %lld runs, %.1f s, nothing yet\n", runs, elapsed());
      }
      return runs < budget;
    }
    const double secs = elapsed();
    proto::Schedule found;
    found.set_format_version(kFormatVersion);
    *found.mutable_scenario() = s;
    SetCanonicalTape(r.tape, &found);
    found.mutable_expect()->set_verdict(Verdict(r));
    const std::string path = cli.Get("out").value_or(
        absl::StrCat("out/explore/", scenario, "-", variant, "-", Verdict(r), ".textproto"));
    std::error_code ec;
    if (std::filesystem::path(path).has_parent_path()) {
      std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    }
    if (absl::Status st = SaveScheduleFile(found, path); !st.ok()) {
      std::fprintf(stderr, "ptfuzz: %s\n", std::string(st.message()).c_str());
      exit_code = kExitUsage;
      return false;
    }
    std::printf(
        "ptfuzz: %s found %s@%s after %lld runs (%.2f s): %u context switches, %u preemptions, "
        "%u stale loads, %u buffered stores\n"
        "ptfuzz: saved %s; replay with: ptfuzz replay %s\n",
        label.c_str(), std::string(ViolationKindName(r.violation->kind)).c_str(),
        r.violation->site.c_str(), runs, secs, r.context_switches, r.preemptions, r.stale_loads,
        r.buffered_stores, path.c_str(), path.c_str());
    exit_code = kExitFound;
    return false;
  };
  if (dfs) {
    ExploreWithinDeviations(
        s, static_cast<int>(bound), options,
        [&](const std::vector<uint32_t>&, const RunResult& r) { return on_run(r); });
  } else {
    SampleRuns(s, sampling, static_cast<uint64_t>(budget), options, on_run);
  }
  if (exit_code != kExitClean) return exit_code;
  std::printf("ptfuzz: %s found nothing in %lld runs (%.2f s) of %s/%s%s\n", label.c_str(), runs,
              elapsed(), scenario.c_str(), variant.c_str(),
              dfs && runs < budget ? ": every schedule within the bound" : "");
  return kExitClean;
}

}  // namespace ptfuzz

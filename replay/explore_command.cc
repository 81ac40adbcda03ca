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
#include "core/scenarios/registry.h"
#include "core/schedule_io.h"
#include "core/tape_decider.h"
#include "fuzz/mutator.h"
#include "replay/cli_args.h"
#include "replay/commands.h"
#include "replay/report.h"

namespace ptfuzz {

namespace {

constexpr char kExploreUsage[] =
    "ptfuzz explore [--scenario=NAME] [--variant=V] [--tlb-flush=ipi|broadcast|paravirt]\n"
    "               [--memory-model=sc|tso|relaxed] [--arch=x86_64|x86_pae|arm64|s390]\n"
    "               [--strategy=random|preempt|pct|dfs] [--p=F] [--depth=D] [--bound=K]\n"
    "               [--budget=N] [--seed=S] [--out=FILE]\n"
    "  Runs the scenario's default configuration (default gup_vs_zap, variant fixed, with the\n"
    "  given flush mode, memory model and architecture) up to N times (default 1000000), each\n"
    "  run under a baseline scheduler seeded by S (default 1) and the run's index:\n"
    "    random   every choice uniform among its options (random walk)\n"
    "    preempt  the default answer unless, with probability F (default 0.05), another one\n"
    "    pct      PCT with depth D (default 3): random runner priorities, D - 1 priority\n"
    "             change points among the first k schedule choices (k: the steps of the\n"
    "             default run)\n"
    "    dfs      every schedule within K (default 2) non-default answers of the default one,\n"
    "             depth first, each once (core/bounded_dfs.h); the seed is unused\n"
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
  if (absl::Status st = cli.Parse(args,
                                  {"scenario", "variant", "tlb-flush", "memory-model", "arch",
                                   "strategy", "p", "depth", "bound", "budget", "seed", "out"},
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
                             "\" (random, preempt, pct or dfs)"));
  }
  if (auto p = cli.Get("p")) {
    if (!absl::SimpleAtod(*p, &sampling.preemption_probability) ||
        !(sampling.preemption_probability >= 0 && sampling.preemption_probability <= 1)) {
      return Fail(absl::StrCat("--p: \"", *p, "\" is not a probability in [0, 1]"));
    }
  }
  long long budget = 1000000, seed = 1, bound = 2, depth = 3;
  for (auto [flag, out] :
       {std::pair{"budget", &budget}, {"seed", &seed}, {"bound", &bound}, {"depth", &depth}}) {
    if (absl::Status st = cli.GetInt(flag, out); !st.ok()) return Fail(std::string(st.message()));
  }
  if (budget < 1) return Fail("--budget must be at least 1");
  if (bound < 0 || bound > 16) return Fail("--bound must be between 0 and 16");
  if (depth < 1 || depth > 16) return Fail("--depth must be between 1 and 16");
  sampling.pct_depth = static_cast<uint32_t>(depth);
  sampling.seed = static_cast<uint64_t>(seed);

  proto::Scenario s = FindScenario(scenario)->default_scenario();
  ApplyPins(pins, &s);
  if (absl::Status st = ValidateScenario(s); !st.ok()) return Fail(std::string(st.message()));
  SimOptions options;
  options.trace_hash = false;
  options.state_digest = false;
  if (sampling.strategy == SamplingStrategy::kPct && !dfs) {
    // k: an upper bound on a run's schedule choices, the steps of the default run (other
    // schedules take about as many steps, and make a choice at most at each).
    TapeDecider default_run({});
    sampling.pct_steps = std::max<uint32_t>(RunScenario(s, default_run, options).steps, 1);
  }
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
    for (long long run = 0; run < budget; ++run) {
      SamplingDecider decider(sampling, static_cast<uint64_t>(run));
      if (!on_run(RunScenario(s, decider, options))) break;
    }
  }
  if (exit_code != kExitClean) return exit_code;
  std::printf("ptfuzz: %s found nothing in %lld runs (%.2f s) of %s/%s%s\n", label.c_str(), runs,
              elapsed(), scenario.c_str(), variant.c_str(),
              dfs && runs < budget ? ": every schedule within the bound" : "");
  return kExitClean;
}

}  // namespace ptfuzz

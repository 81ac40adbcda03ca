// `ptfuzz explore`: a baseline scheduler (core/sampling_decider.h) run after run on a scenario's
// default configuration until the first violation or the budget, the schedule it found saved in
// canonical form so that `ptfuzz replay` shows it. Wall time is measured here, for the report
// only: nothing in a run depends on it.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/format_version.h"
#include "core/run.h"
#include "core/sampling_decider.h"
#include "core/scenarios/registry.h"
#include "core/schedule_io.h"
#include "fuzz/mutator.h"
#include "replay/cli_args.h"
#include "replay/commands.h"
#include "replay/report.h"

namespace ptfuzz {

namespace {

constexpr char kExploreUsage[] =
    "ptfuzz explore [--scenario=NAME] [--variant=V] [--tlb-flush=ipi|broadcast|paravirt]\n"
    "               [--memory-model=sc|tso|relaxed] [--arch=x86_64|x86_pae|arm64|s390]\n"
    "               [--strategy=random|preempt] [--p=F] [--budget=N] [--seed=S] [--out=FILE]\n"
    "  Runs the scenario's default configuration (default gup_vs_zap, variant fixed, with the\n"
    "  given flush mode, memory model and architecture) up to N times (default 1000000), each\n"
    "  run under a baseline scheduler seeded by S (default 1) and the run's index:\n"
    "    random   every choice uniform among its options (random walk)\n"
    "    preempt  the default answer unless, with probability F (default 0.05), another one\n"
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
                                   "strategy", "p", "budget", "seed", "out"},
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
  if (auto s = SamplingStrategyFromName(strategy)) {
    sampling.strategy = *s;
  } else {
    return Fail(absl::StrCat("--strategy: unknown strategy \"", strategy,
                             "\" (random or preempt)"));
  }
  if (auto p = cli.Get("p")) {
    if (!absl::SimpleAtod(*p, &sampling.preemption_probability) ||
        !(sampling.preemption_probability >= 0 && sampling.preemption_probability <= 1)) {
      return Fail(absl::StrCat("--p: \"", *p, "\" is not a probability in [0, 1]"));
    }
  }
  long long budget = 1000000, seed = 1;
  for (auto [flag, out] : {std::pair{"budget", &budget}, {"seed", &seed}}) {
    if (absl::Status st = cli.GetInt(flag, out); !st.ok()) return Fail(std::string(st.message()));
  }
  if (budget < 1) return Fail("--budget must be at least 1");
  sampling.seed = static_cast<uint64_t>(seed);

  proto::Scenario s = FindScenario(scenario)->default_scenario();
  ApplyPins(pins, &s);
  if (absl::Status st = ValidateScenario(s); !st.ok()) return Fail(std::string(st.message()));
  SimOptions options;
  options.trace_hash = false;
  options.state_digest = false;
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  for (long long run = 0; run < budget; ++run) {
    SamplingDecider decider(sampling, static_cast<uint64_t>(run));
    const RunResult r = RunScenario(s, decider, options);
    if (!r.violation) {
      if ((run + 1) % (1 << 18) == 0) {
        std::fprintf(stderr, "ptfuzz: %lld runs, %.1f s, nothing yet\n", run + 1, elapsed());
      }
      continue;
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
      return kExitUsage;
    }
    std::printf(
        "ptfuzz: %s (%s, seed %lld) found %s@%s after %lld runs (%.2f s): %u context switches, "
        "%u preemptions, %u stale loads, %u buffered stores\n"
        "ptfuzz: saved %s; replay with: ptfuzz replay %s\n",
        std::string(SamplingStrategyName(sampling.strategy)).c_str(),
        sampling.strategy == SamplingStrategy::kRandomPreemption
            ? absl::StrCat("p ", sampling.preemption_probability).c_str()
            : "uniform",
        seed, std::string(ViolationKindName(r.violation->kind)).c_str(),
        r.violation->site.c_str(), run + 1, secs, r.context_switches, r.preemptions,
        r.stale_loads, r.buffered_stores, path.c_str(), path.c_str());
    return kExitFound;
  }
  std::printf("ptfuzz: %s (seed %lld) found nothing in %lld runs (%.2f s) of %s/%s\n",
              std::string(SamplingStrategyName(sampling.strategy)).c_str(), seed, budget,
              elapsed(), scenario.c_str(), variant.c_str());
  return kExitClean;
}

}  // namespace ptfuzz

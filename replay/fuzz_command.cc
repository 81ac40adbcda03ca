// `ptfuzz fuzz`: the command line of the campaign runner (replay/campaign.h).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/scenarios/background.h"
#include "core/scenarios/registry.h"
#include "core/violation.h"
#include "fuzz/mutator.h"
#include "replay/campaign.h"
#include "replay/cli_args.h"
#include "replay/commands.h"
#include "replay/fuzzer_process.h"

namespace ptfuzz {

namespace fs = std::filesystem;

namespace {

constexpr char kFuzzUsage[] =
    "ptfuzz fuzz [--scenario=NAME[,NAME...]|all] [--variant=V|all]\n"
    "            [--tlb-flush=ipi|broadcast|paravirt] [--memory-model=sc|tso|relaxed]\n"
    "            [--arch=x86_64|x86_pae|arm64|s390] [--max-time=S] [--jobs=N] [--out=DIR]\n"
    "            [--corpus=DIR] [--seed=N] [--runs=N] [--violation=KIND] [--background=K]\n"
    "            [--mutate-shape] [--keep-going|--stop-at-first] [--no-merge] [--progress=S]\n"
    "            [--slice=S]\n"
    "  Runs ptfuzz_fuzzer (libFuzzer, fork mode over --jobs processes) on the scenarios, stores\n"
    "  each new bug once, minimized, and shows a progress line. Two ways to use it:\n"
    "  - A hunt: one scenario and one variant (default: gup_vs_zap, fixed). Stops at the first\n"
    "    new finding, prints its replay, after at most S seconds (default 60); one job unless\n"
    "    --jobs says more, and then deterministic: --seed defaults to 1.\n"
    "  - A campaign: several scenarios (a comma list, or all), --variant=all (the default for\n"
    "    several scenarios: the fuzzer changes the variant as it mutates), or --keep-going. Runs\n"
    "    until --max-time (default: until Ctrl-C) on every core (--jobs, default all), keeps\n"
    "    going after each finding, and merges the corpus at the end (-set_cover_merge=1).\n"
    "    Several scenarios are fuzzed in turn, S seconds each (--slice, default 60), each with\n"
    "    a corpus of its own (DIR/corpus/<scenario>).\n"
    "  What is pinned (--tlb-flush, --memory-model, --arch) stays fixed; what is not, the\n"
    "  fuzzer explores (every flush mode; SC, TSO and the relaxed model).\n"
    "  DIR (default out/<scenario>-<variant>, or out/campaign) holds corpus/, findings/ (one\n"
    "  directory per signature: scenario, variant, violation and where it trips, with\n"
    "  schedule.textproto minimized, report.txt and the crash file), problems/ (inputs that\n"
    "  crashed the fuzzer without a violation: ptfuzz bugs), logs/ (libFuzzer's own output and\n"
    "  the progress samples) and campaign.txt (totals). Running the same command again resumes\n"
    "  the campaign, even after kill -9: nothing stored is lost, stored signatures are not\n"
    "  searched for again (replay/campaign.h).\n"
    "  --corpus=DIR: seeds instead of the source tree's corpus/<scenario>/seed (one scenario).\n"
    "  --violation=KIND makes only that violation kind (e.g. torn_entry_used) a finding.\n"
    "  --background=K fuzzes on a busy machine: K more CPUs with GUP-fast walks, faults and zaps\n"
    "  on pages of their own (0..12; core/scenarios/background.h).\n"
    "  --mutate-shape lets the mutator change the machine's shape too (actors, mappings, CPUs,\n"
    "  frames, TLB contents, hardware walkers, folio orders; fuzz/mutator.h).\n"
    "  --progress=S prints the progress line every S seconds (default 1 on a terminal, else 30).\n"
    "  Exit: 0 DIR holds no finding, 1 it holds at least one, 2 usage error or fuzzer failure.";

int Fail(const std::string& message) {
  std::fprintf(stderr, "ptfuzz: %s\n", message.c_str());
  return kExitUsage;
}

}  // namespace

int FuzzCommand(const std::vector<std::string>& args) {
  CliArgs cli;
  if (absl::Status st = cli.Parse(
          args,
          {"scenario", "variant", "tlb-flush", "memory-model", "arch", "max-time", "out", "corpus",
           "seed", "runs", "jobs", "violation", "background", "progress", "slice"},
          {"help", "h", "mutate-shape", "keep-going", "stop-at-first", "no-merge"});
      !st.ok()) {
    std::fprintf(stderr, "ptfuzz: %s\nusage: %s\n", std::string(st.message()).c_str(), kFuzzUsage);
    return kExitUsage;
  }
  if (cli.Has("help") || cli.Has("h")) {
    std::printf("usage: %s\n", kFuzzUsage);
    return kExitClean;
  }
  CampaignOptions o;
  const std::string scenario_flag = cli.Get("scenario").value_or("gup_vs_zap");
  if (scenario_flag == "all") {
    for (const ScenarioSpec& spec : BuiltinScenarios()) o.scenarios.emplace_back(spec.name);
  } else {
    for (absl::string_view name : absl::StrSplit(scenario_flag, ',', absl::SkipEmpty())) {
      if (FindScenario(name) == nullptr) {
        return Fail(absl::StrCat("--scenario: unknown scenario \"", name,
                                 "\" (`ptfuzz scenarios` lists them)"));
      }
      if (std::find(o.scenarios.begin(), o.scenarios.end(), name) == o.scenarios.end()) {
        o.scenarios.emplace_back(name);
      }
    }
    if (o.scenarios.empty()) return Fail("--scenario: no scenario named");
  }
  const bool one_scenario = o.scenarios.size() == 1;
  std::string variant = cli.Get("variant").value_or(one_scenario ? "fixed" : "all");
  if (variant != "all" && !one_scenario) {
    return Fail("--variant names a variant of one scenario: with several, use --variant=all");
  }
  o.variant = variant == "all" ? "" : variant;
  o.tlb_flush = cli.Get("tlb-flush").value_or("");
  o.memory_model = cli.Get("memory-model").value_or("");
  o.arch = cli.Get("arch").value_or("");
  o.only_violation = cli.Get("violation").value_or("");
  if (!o.only_violation.empty() && !ViolationKindFromName(o.only_violation)) {
    return Fail(absl::StrCat("--violation: unknown violation kind \"", o.only_violation, "\""));
  }
  // Every scenario must accept the pins (an architecture some scenario cannot run on is an error
  // here, not thousands of rejected inputs later).
  for (const std::string& scenario : o.scenarios) {
    Pins pins;
    if (absl::Status st = MakePins(scenario, o.variant, o.tlb_flush, &pins, o.memory_model, o.arch);
        !st.ok()) {
      return Fail(std::string(st.message()));
    }
    if (one_scenario) o.pins = pins;
  }
  if (!one_scenario) {
    if (absl::Status st = MakePins("", "", o.tlb_flush, &o.pins, o.memory_model, o.arch);
        !st.ok()) {
      return Fail(std::string(st.message()));
    }
  }
  o.stop_at_first = one_scenario && !o.variant.empty() && !cli.Has("keep-going");
  if (cli.Has("stop-at-first")) o.stop_at_first = true;
  if (cli.Has("keep-going") && cli.Has("stop-at-first")) {
    return Fail("--keep-going and --stop-at-first contradict each other");
  }
  long long max_time = o.stop_at_first ? 60 : 0, seed = -1, runs = -1, background = 0, progress = 0,
            slice = 60;
  long long jobs = o.stop_at_first ? 1 : std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
  for (auto [flag, out] : {std::pair{"max-time", &max_time},
                           {"seed", &seed},
                           {"runs", &runs},
                           {"jobs", &jobs},
                           {"background", &background},
                           {"progress", &progress},
                           {"slice", &slice}}) {
    if (absl::Status st = cli.GetInt(flag, out); !st.ok()) return Fail(std::string(st.message()));
  }
  if (background > kMaxBackgroundActors) {
    return Fail(absl::StrCat("--background must be between 0 and ", kMaxBackgroundActors));
  }
  if (jobs < 1 || jobs > 1024) return Fail("--jobs must be between 1 and 1024");
  // A hunt on one job is reproducible by default: the same command finds the same schedule.
  if (o.stop_at_first && jobs == 1 && !cli.Has("seed")) seed = 1;
  if (background > 0) o.pins.background = static_cast<uint32_t>(background);
  o.pins.mutate_shape = cli.Has("mutate-shape");
  o.max_time = max_time;
  o.seed = seed;
  o.runs = runs;
  o.jobs = static_cast<int>(jobs);
  o.progress_seconds = static_cast<int>(progress);
  if (slice < 5) return Fail("--slice must be at least 5 seconds");
  o.slice_seconds = slice;
  o.merge = !cli.Has("no-merge");
  if (cli.Has("corpus")) {
    if (!one_scenario) return Fail("--corpus names the seeds of one scenario");
    o.seed_dir = fs::path(*cli.Get("corpus"));
  }
  o.fuzzer = SelfDir() / "ptfuzz_fuzzer";
  o.ptfuzz = SelfDir() / "ptfuzz";
  o.out = cli.Get("out").value_or(one_scenario ? absl::StrCat("out/", o.scenarios[0], "-", variant)
                                               : "out/campaign");
  return RunCampaign(o);
}

}  // namespace ptfuzz

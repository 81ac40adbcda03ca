// `ptfuzz fuzz`: a campaign with ptfuzz_fuzzer, then minimize and replay of the finding.
//
// Steps: pin the seeds (every file in corpus/<scenario>/seed/, which must all load, or the
// scenario's default when there are none) into OUT/corpus as binary schedules; run ptfuzz_fuzzer
// (found beside this binary) on it with the pins in its environment, artifacts in a fresh
// OUT/run-N/; on a finding, minimize the crash file, store it as
// OUT/crashing/<violation>-<trace hash>.textproto (STYLE.md 2.8; the same finding rewrites the same
// file) and print its replay. Nothing else in OUT is deleted or overwritten except OUT/corpus
// seed-* entries of the same name.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/format_version.h"
#include "core/run.h"
#include "core/scenarios/background.h"
#include "core/scenarios/registry.h"
#include "core/schedule_io.h"
#include "fuzz/mutator.h"
#include "replay/cli_args.h"
#include "replay/commands.h"
#include "replay/fuzzer_process.h"
#include "replay/minimize.h"
#include "replay/report.h"

namespace ptfuzz {

namespace fs = std::filesystem;

namespace {

constexpr char kFuzzUsage[] =
    "ptfuzz fuzz [--scenario=NAME] [--variant=V] [--tlb-flush=ipi|broadcast|paravirt]\n"
    "            [--memory-model=sc|tso|relaxed] [--arch=x86_64|x86_pae|arm64|s390] "
    "[--max-time=S]\n"
    "            [--out=DIR] [--corpus=DIR] [--seed=N] [--runs=N] [--jobs=N] [--violation=KIND]\n"
    "            [--background=K] [--mutate-shape]\n"
    "  Runs ptfuzz_fuzzer on the scenario (default gup_vs_zap) with the variant (default fixed)\n"
    "  and, when given, the TLB flush mode, memory model and architecture pinned; what is not\n"
    "  pinned the fuzzer explores (every flush mode; SC, TSO and the relaxed model; the\n"
    "  architecture only when the memory model is pinned).\n"
    "  Stops at the first violation or after S seconds (default 60), or N runs. On a finding it\n"
    "  minimizes the crash, writes DIR/crashing/<violation>-<hash>.textproto and prints its\n"
    "  replay. DIR defaults to out/<scenario>-<variant>; --corpus defaults to the source tree's\n"
    "  corpus/<scenario>/seed. --jobs=N runs N fuzzing processes (libFuzzer -fork=N).\n"
    "  --violation=KIND makes only that violation kind (e.g. torn_entry_used) a finding: runs\n"
    "  that end in another one count as clean, so a shallower bug does not stop the hunt.\n"
    "  --background=K fuzzes the scenario on a busy machine: K more CPUs with GUP-fast walks,\n"
    "  faults and zaps on pages of their own (0..12; core/scenarios/background.h).\n"
    "  --mutate-shape lets the mutator change the machine's shape too (actors, mappings, CPUs,\n"
    "  frames, TLB contents, hardware walkers, folio orders); by default it mutates the\n"
    "  schedule and the dimensions left unpinned (fuzz/mutator.h).\n"
    "  Exit: 0 nothing found, 1 violation found, 2 usage error or fuzzer failure.";

int Fail(const std::string& message) {
  std::fprintf(stderr, "ptfuzz: %s\n", message.c_str());
  return kExitUsage;
}

}  // namespace

int FuzzCommand(const std::vector<std::string>& args) {
  CliArgs cli;
  if (absl::Status st =
          cli.Parse(args,
                    {"scenario", "variant", "tlb-flush", "memory-model", "arch", "max-time", "out",
                     "corpus", "seed", "runs", "jobs", "violation", "background"},
                    {"help", "h", "mutate-shape"});
      !st.ok()) {
    std::fprintf(stderr, "ptfuzz: %s\nusage: %s\n", std::string(st.message()).c_str(), kFuzzUsage);
    return kExitUsage;
  }
  if (cli.Has("help") || cli.Has("h")) {
    std::printf("usage: %s\n", kFuzzUsage);
    return kExitClean;
  }
  const std::string scenario = cli.Get("scenario").value_or("gup_vs_zap");
  const std::string variant = cli.Get("variant").value_or("fixed");
  const std::string flush = cli.Get("tlb-flush").value_or("");
  const std::string model = cli.Get("memory-model").value_or("");
  const std::string arch = cli.Get("arch").value_or("");
  const std::string only_violation = cli.Get("violation").value_or("");
  if (!only_violation.empty() && !ViolationKindFromName(only_violation)) {
    return Fail(absl::StrCat("--violation: unknown violation kind \"", only_violation, "\""));
  }
  Pins pins;
  if (absl::Status st = MakePins(scenario, variant, flush, &pins, model, arch); !st.ok()) {
    return Fail(std::string(st.message()));
  }
  long long max_time = 60, seed = -1, runs = -1, jobs = 0, background = 0;
  for (auto [flag, out] : {std::pair{"max-time", &max_time},
                           {"seed", &seed},
                           {"runs", &runs},
                           {"jobs", &jobs},
                           {"background", &background}}) {
    if (absl::Status st = cli.GetInt(flag, out); !st.ok()) return Fail(std::string(st.message()));
  }
  if (background > kMaxBackgroundActors) {
    return Fail(absl::StrCat("--background must be between 0 and ", kMaxBackgroundActors));
  }
  if (background > 0) pins.background = static_cast<uint32_t>(background);
  pins.mutate_shape = cli.Has("mutate-shape");
  const fs::path fuzzer = SelfDir() / "ptfuzz_fuzzer";
  if (!fs::exists(fuzzer)) {
    return Fail(absl::StrCat(fuzzer.string(), " not found: build with clang and "
                             "-DPTFUZZ_FUZZING=ON (scripts/build.sh does)"));
  }
  const fs::path out = cli.Get("out").value_or(absl::StrCat("out/", scenario, "-", variant));
  const fs::path corpus_dir = out / "corpus";
  std::error_code ec;
  fs::create_directories(corpus_dir, ec);
  if (ec) return Fail(absl::StrCat(corpus_dir.string(), ": ", ec.message()));
  int run_index = 0;
  while (fs::exists(out / absl::StrCat("run-", run_index))) ++run_index;
  const fs::path run_dir = out / absl::StrCat("run-", run_index);
  fs::create_directories(run_dir, ec);
  if (ec) return Fail(absl::StrCat(run_dir.string(), ": ", ec.message()));

  // Seeds, pinned, as binary.
  const absl::StatusOr<int> seeds =
      PinSeedCorpus(cli.Get("corpus").value_or(DefaultSeedDir(scenario).string()),
                    cli.Has("corpus"), pins, corpus_dir);
  if (!seeds.ok()) return Fail(std::string(seeds.status().message()));

  std::vector<std::string> argv = {fuzzer.string(), corpus_dir.string(),
                                   absl::StrCat("-artifact_prefix=", run_dir.string(), "/"),
                                   absl::StrCat("-max_total_time=", max_time),
                                   "-print_final_stats=1", "-reduce_inputs=1"};
  if (seed >= 0) argv.push_back(absl::StrCat("-seed=", seed));
  if (runs >= 0) argv.push_back(absl::StrCat("-runs=", runs));
  if (jobs > 1) {
    argv.push_back(absl::StrCat("-fork=", jobs));
    argv.push_back("-ignore_crashes=0");
  }
  std::vector<std::string> env = PinEnvironment(scenario, variant, flush, model, arch, pins);
  if (!only_violation.empty()) env.push_back(absl::StrCat("PTFUZZ_VIOLATION=", only_violation));
  std::fprintf(stderr,
               "ptfuzz: fuzzing %s/%s (tlb flush %s, memory model %s%s%s) for up to %llds; corpus "
               "%s (%d seeds), artifacts %s\n",
               scenario.c_str(), variant.c_str(),
               pins.tlb_flush ? TlbFlushName(*pins.tlb_flush) : "ipi+broadcast+paravirt",
               model.empty() ? "sc+tso+relaxed" : model.c_str(), pins.arch ? ", arch " : "",
               pins.arch ? ArchFlagName(*pins.arch) : "", max_time, corpus_dir.c_str(),
               std::max(*seeds, 1), run_dir.c_str());
  const int status = RunChild(argv, env);

  std::vector<fs::path> crashes;
  for (const auto& entry : fs::directory_iterator(run_dir)) {
    if (entry.path().filename().string().rfind("crash-", 0) == 0) crashes.push_back(entry.path());
  }
  std::sort(crashes.begin(), crashes.end());
  if (crashes.empty()) {
    if (status != 0) {
      return Fail(absl::StrFormat("ptfuzz_fuzzer exited with status %d and left no crash file "
                                  "(see its output above)", status));
    }
    std::printf("ptfuzz: no violation found in %s/%s\n", scenario.c_str(), variant.c_str());
    return kExitClean;
  }
  if (status != 77) {
    std::fprintf(stderr, "ptfuzz: ptfuzz_fuzzer exited with status %d, not 77: the crash is a "
                 "sanitizer report or a ptfuzz bug, not a protocol violation; see above\n", status);
  }
  absl::StatusOr<proto::Schedule> crash = LoadScheduleFile(crashes.front().string());
  if (!crash.ok()) return Fail(std::string(crash.status().message()));
  absl::StatusOr<Minimized> m = MinimizeSchedule(*crash, MinimizeOptions{});
  if (!m.ok()) {
    // A crash that does not replay to a violation is not a protocol finding: a failed
    // PTFUZZ_CHECK ("ptfuzz internal bug") or a sanitizer report, printed above.
    return Fail(absl::StrCat(crashes.front().string(), ": ", m.status().message(),
                             "; the crash is not a protocol violation (see the fuzzer output "
                             "above for \"ptfuzz internal bug\" or a sanitizer report)"));
  }
  m->schedule.mutable_expect()->set_verdict(Verdict(m->result));
  const fs::path crashing = out / "crashing";
  fs::create_directories(crashing, ec);
  const fs::path saved =
      crashing / absl::StrFormat("%s-%016x.textproto", Verdict(m->result), m->result.trace_hash);
  if (absl::Status st = SaveScheduleFile(m->schedule, saved.string()); !st.ok()) {
    return Fail(std::string(st.message()));
  }
  std::cout << "\n" << FormatTextReport(m->schedule, m->result);
  const MinimizeStats& s = m->stats;
  std::printf(
      "\nptfuzz: found %s. Crash file %s minimized (%d candidate runs): preemptions %u -> %u, "
      "decisions %d -> %d, %u context switches (%u preemptions), %u stale loads, %u buffered "
      "stores.\nptfuzz: saved %s; replay with: ptfuzz replay %s\n",
      m->signature.c_str(), crashes.front().c_str(), s.candidate_runs, s.preemptions_before,
      s.preemptions, s.decisions_before, s.decisions_after, s.context_switches, s.preemptions,
      s.stale_loads, s.buffered_stores, saved.c_str(), saved.c_str());
  return kExitFound;
}

}  // namespace ptfuzz

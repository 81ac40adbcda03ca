// replay, minimize, scenarios and regress. See docs/cli.md.
#include "replay/commands.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/format_version.h"
#include "core/run.h"
#include "core/scenarios/registry.h"
#include "core/schedule_io.h"
#include "replay/cli_args.h"
#include "replay/fuzzer_process.h"
#include "replay/html_report.h"
#include "replay/minimize.h"
#include "replay/report.h"
#include "replay/rr.h"

namespace ptfuzz {

namespace {

// The verdict a variant must reach under the relaxed model with `arch`'s primitives (broadcast
// flushes, which arm64 requires).
std::string RelaxedVerdict(const VariantSpec& v, proto::Arch arch) {
  proto::Scenario s;
  s.set_memory_model(proto::MEMORY_MODEL_RELAXED);
  s.set_arch(arch);
  s.set_tlb_flush(proto::TLB_FLUSH_BROADCAST);
  return std::string(ExpectedVerdict(v, s));
}

int Usage(const std::string& message, const char* usage) {
  std::fprintf(stderr, "ptfuzz: %s\nusage: %s\n", message.c_str(), usage);
  return kExitUsage;
}

constexpr char kReplayUsage[] =
    "ptfuzz replay FILE [--json] [--no-trace] [--save-canonical=OUT] [--rebase] [--html=OUT]\n"
    "                   [--break-at-step=N] [--rr] [--rr-dir=DIR] [--rr-dry-run]\n"
    "  Re-executes FILE (binary or .textproto Schedule) deterministically and prints the\n"
    "  timeline and the verdict. A canonical tape is replayed strictly (the first divergence is\n"
    "  reported); a raw tape (a libFuzzer crash file) is interpreted as the fuzzer did.\n"
    "  --save-canonical=OUT writes the run's canonical schedule, with its verdict as `expect`.\n"
    "  --rebase replays a canonical tape recorded before a model change added decisions: recorded\n"
    "    answers are used where the simulator asks a choice of their kind, new choices get the\n"
    "    default 0 (core/strict_decider.h RebaseDecider); with --save-canonical it re-records the\n"
    "    schedule. Compare the verdict with the file's `expect` before keeping it.\n"
    "  --html=OUT also writes the run as one self-contained HTML page: a lane per CPU and per\n"
    "    agent, a row per step, values on hover, the violating step highlighted and explained\n"
    "    (replay/html_report.h). Written whatever the verdict.\n"
    "  --break-at-step=N raises SIGTRAP just before step N executes, so a debugger (gdb, rr\n"
    "    replay) stops there; without one the process dies by SIGTRAP. A run that ends before\n"
    "    step N is reported as usual, with a note on stderr.\n"
    "  --rr records this same replay (without the rr flags) under rr: `rr record -o DIR`, then\n"
    "    `rr pack DIR`, and prints how to replay it. DIR: --rr-dir, default rr-trace-<FILE's\n"
    "    stem>, which must not exist. Exits 2 with the reason when rr cannot record here (rr\n"
    "    missing, no hardware performance counters, perf_event_paranoid above 1).\n"
    "  --rr-dry-run prints the rr command lines --rr would run, and runs nothing.\n"
    "  Exit: 0 clean, 1 violation, 2 bad input or divergence (--rr: the recorded replay's exit\n"
    "  code, or 2 when rr cannot record or fails).";

constexpr char kMinimizeUsage[] =
    "ptfuzz minimize FILE -o OUT [--max-runs=N]\n"
    "  Shrinks a violating schedule while it keeps the same violation (kind and site): drops\n"
    "  tape answers, replaces them by the default, drops actors and mappings, shrinks CPUs and\n"
    "  frames. OUT gets the canonical schedule (.textproto: text, otherwise binary).\n"
    "  Exit: 0 minimized, 1 not minimized (no violation), 2 bad input.";

constexpr char kScenariosUsage[] =
    "ptfuzz scenarios [--json]\n"
    "  Lists the built-in scenarios and variants with the verdict each must reach under each\n"
    "  TLB flush mode (under SC, TSO and the relaxed model alike, unless a line gives the\n"
    "  verdict under the relaxed model, or with arm64 primitives) and the kernel code it models.";

constexpr char kRegressUsage[] =
    "ptfuzz regress FILE...\n"
    "  Corpus regression: replays each FILE twice, checks both runs have the same trace hash\n"
    "  and state digest, and that the verdict equals the file's `expect { verdict: ... }`.\n"
    "  Exit: 0 all match, 1 some mismatch, 2 bad input.";

// --break-at-step's hook (SimOptions::on_break): the core calls it just before the step; a
// debugger attached to this process stops at the SIGTRAP, and without one SIGTRAP's default
// action ends the process.
void BreakAtStep(uint32_t step) {
  std::fflush(stdout);
  std::fprintf(stderr, "ptfuzz: --break-at-step=%u: raising SIGTRAP before step %u\n", step, step);
  std::raise(SIGTRAP);
}

// --rr and --rr-dry-run: the replay of `args` recorded by rr (replay/rr.h).
int RecordUnderRr(const std::vector<std::string>& args, const CliArgs& cli,
                  const std::string& path) {
  const std::string dir = cli.Get("rr-dir").value_or(DefaultRrDir(path));
  std::error_code ec;
  const std::string self = SelfExe().string();
  if (self.empty()) {
    std::fprintf(stderr, "ptfuzz: cannot read /proc/self/exe\n");
    return kExitUsage;
  }
  const RrFacts facts = GatherRrFacts();
  const absl::Status probe = RrVerdict(facts);
  const RrCommands c =
      RrCommandLines(facts.rr_path.empty() ? "rr" : facts.rr_path, self, WithoutRrFlags(args), dir);
  if (cli.Has("rr-dry-run")) {
    std::printf("%s\n%s\n%s\n", ShellJoin(c.record).c_str(), ShellJoin(c.pack).c_str(),
                ShellJoin(c.replay).c_str());
    if (!probe.ok()) {
      std::fprintf(stderr, "ptfuzz: note: rr cannot record on this machine: %s\n",
                   std::string(probe.message()).c_str());
    }
    return kExitClean;
  }
  if (!probe.ok()) {
    std::fprintf(stderr, "ptfuzz: --rr: rr cannot record on this machine: %s\n",
                 std::string(probe.message()).c_str());
    return kExitUsage;
  }
  if (std::filesystem::exists(dir, ec)) {
    std::fprintf(stderr, "ptfuzz: --rr: %s already exists; remove it or pass --rr-dir=DIR\n",
                 dir.c_str());
    return kExitUsage;
  }
  std::fprintf(stderr, "ptfuzz: running %s\n", ShellJoin(c.record).c_str());
  // rr exits with the recorded process's status: the replay's 0 or 1, or 128 + SIGTRAP with
  // --break-at-step. Anything else, or no trace directory, is rr's own failure.
  const int status = RunChild(c.record, {});
  if ((status != kExitClean && status != kExitFound && status != 128 + SIGTRAP) ||
      !std::filesystem::is_directory(dir, ec)) {
    std::fprintf(stderr, "ptfuzz: --rr: rr record failed (exit status %d)\n", status);
    return kExitUsage;
  }
  std::fprintf(stderr, "ptfuzz: running %s\n", ShellJoin(c.pack).c_str());
  if (const int pack = RunChild(c.pack, {}); pack != 0) {
    std::fprintf(stderr, "ptfuzz: --rr: rr pack failed (exit status %d)\n", pack);
    return kExitUsage;
  }
  std::fprintf(stderr, "ptfuzz: rr trace recorded and packed in %s; replay it with:\n  %s\n",
               dir.c_str(), ShellJoin(c.replay).c_str());
  return status;
}

// --html=OUT.
absl::Status WriteHtml(const std::string& out, const proto::Schedule& schedule,
                       const RunResult& result) {
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  if (f) f << FormatHtmlReport(schedule, result);
  if (f) f.close();
  if (!f) {
    return absl::InvalidArgumentError(
        absl::StrCat(out, ": cannot write the HTML report: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

int ReplayCommand(const std::vector<std::string>& args) {
  CliArgs cli;
  if (absl::Status st = cli.Parse(args, {"save-canonical", "html", "break-at-step", "rr-dir"},
                                  {"json", "no-trace", "rebase", "rr", "rr-dry-run", "help", "h"});
      !st.ok()) {
    return Usage(std::string(st.message()), kReplayUsage);
  }
  if (cli.Has("help") || cli.Has("h")) {
    std::printf("usage: %s\n", kReplayUsage);
    return kExitClean;
  }
  if (cli.positional().size() != 1) return Usage("replay takes exactly one FILE", kReplayUsage);
  long long break_at = -1;
  if (absl::Status st = cli.GetInt("break-at-step", &break_at); !st.ok()) {
    return Usage(std::string(st.message()), kReplayUsage);
  }
  if (cli.Has("rr-dir") && !cli.Has("rr") && !cli.Has("rr-dry-run")) {
    return Usage("--rr-dir needs --rr or --rr-dry-run", kReplayUsage);
  }
  const std::string& path = cli.positional()[0];
  absl::StatusOr<proto::Schedule> schedule = LoadScheduleFile(path, cli.Has("rebase"));
  if (!schedule.ok()) {
    std::fprintf(stderr, "ptfuzz: %s\n", std::string(schedule.status().message()).c_str());
    return kExitUsage;
  }
  if (cli.Has("rr") || cli.Has("rr-dry-run")) return RecordUnderRr(args, cli, path);
  SimOptions options;
  options.record_trace = !cli.Has("no-trace");
  if (break_at >= 0) {
    // A step number at or above UINT32_MAX is never reached (the run stops at max_steps).
    options.break_at_step = static_cast<uint32_t>(std::min<long long>(break_at, UINT32_MAX - 1));
    options.on_break = &BreakAtStep;
  }
  const RunResult result =
      cli.Has("rebase") ? RunScheduleRebased(*schedule, options) : RunSchedule(*schedule, options);
  std::cout << (cli.Has("json") ? FormatJsonReport(*schedule, result)
                                : FormatTextReport(*schedule, result));
  std::cout.flush();
  if (break_at >= 0 && static_cast<unsigned long long>(break_at) >= result.steps) {
    std::fprintf(stderr,
                 "ptfuzz: --break-at-step=%lld: never reached: the run ended after %u steps\n",
                 break_at, result.steps);
  }
  if (auto out = cli.Get("html")) {
    if (absl::Status st = WriteHtml(*out, *schedule, result); !st.ok()) {
      std::fprintf(stderr, "ptfuzz: %s\n", std::string(st.message()).c_str());
      return kExitUsage;
    }
  }
  if (result.outcome == Outcome::kDivergence) {
    std::fprintf(stderr, "ptfuzz: %s: %s\n", path.c_str(),
                 std::string(result.divergence.message()).c_str());
    return kExitUsage;
  }
  if (auto out = cli.Get("save-canonical")) {
    proto::Schedule canonical = *schedule;
    SetCanonicalTape(result.tape, &canonical);
    canonical.mutable_expect()->set_verdict(Verdict(result));
    if (absl::Status st = SaveScheduleFile(canonical, *out); !st.ok()) {
      std::fprintf(stderr, "ptfuzz: %s\n", std::string(st.message()).c_str());
      return kExitUsage;
    }
  }
  return result.violation ? kExitFound : kExitClean;
}

int MinimizeCommand(const std::vector<std::string>& args) {
  CliArgs cli;
  if (absl::Status st = cli.Parse(args, {"o", "out", "max-runs"}, {"help", "h"}); !st.ok()) {
    return Usage(std::string(st.message()), kMinimizeUsage);
  }
  if (cli.Has("help") || cli.Has("h")) {
    std::printf("usage: %s\n", kMinimizeUsage);
    return kExitClean;
  }
  if (cli.positional().size() != 1) return Usage("minimize takes exactly one FILE", kMinimizeUsage);
  std::optional<std::string> out = cli.Get("o");
  if (!out) out = cli.Get("out");
  if (!out) return Usage("minimize needs -o OUT", kMinimizeUsage);
  MinimizeOptions options;
  long long max_runs = options.max_runs;
  if (absl::Status st = cli.GetInt("max-runs", &max_runs); !st.ok()) {
    return Usage(std::string(st.message()), kMinimizeUsage);
  }
  options.max_runs = static_cast<int>(max_runs);
  const std::string& path = cli.positional()[0];
  absl::StatusOr<proto::Schedule> schedule = LoadScheduleFile(path);
  if (!schedule.ok()) {
    std::fprintf(stderr, "ptfuzz: %s\n", std::string(schedule.status().message()).c_str());
    return kExitUsage;
  }
  absl::StatusOr<Minimized> m = MinimizeSchedule(*schedule, options);
  if (!m.ok()) {
    std::fprintf(stderr, "ptfuzz: %s: %s\n", path.c_str(), std::string(m.status().message()).c_str());
    // No violation to keep: 1, as documented; a tape that does not replay: bad input, 2.
    return m.status().code() == absl::StatusCode::kFailedPrecondition ? kExitFound : kExitUsage;
  }
  m->schedule.mutable_expect()->set_verdict(Verdict(m->result));
  if (absl::Status st = SaveScheduleFile(m->schedule, *out); !st.ok()) {
    std::fprintf(stderr, "ptfuzz: %s\n", std::string(st.message()).c_str());
    return kExitUsage;
  }
  const MinimizeStats& s = m->stats;
  std::printf(
      "minimized %s -> %s\n  violation %s\n  preemptions %u -> %u, context switches %u -> %u\n"
      "  decisions %d -> %d (non-default %d -> %d), actors %d -> %d, %d candidate runs\n"
      "  %u context switches remain (%u of them preemptions), %u stale loads, %u buffered "
      "stores\n",
      path.c_str(), out->c_str(), m->signature.c_str(), s.preemptions_before, s.preemptions,
      s.context_switches_before, s.context_switches, s.decisions_before, s.decisions_after,
      s.non_default_before, s.non_default_after, s.actors_before, s.actors_after, s.candidate_runs,
      s.context_switches, s.preemptions, s.stale_loads, s.buffered_stores);
  return kExitClean;
}

int ScenariosCommand(const std::vector<std::string>& args) {
  CliArgs cli;
  if (absl::Status st = cli.Parse(args, {}, {"json", "help", "h"}); !st.ok()) {
    return Usage(std::string(st.message()), kScenariosUsage);
  }
  if (cli.Has("help") || cli.Has("h")) {
    std::printf("usage: %s\n", kScenariosUsage);
    return kExitClean;
  }
  const bool json = cli.Has("json");
  std::string out = json ? "[" : "";
  bool first = true;
  for (const ScenarioSpec& s : BuiltinScenarios()) {
    if (json) {
      absl::StrAppendFormat(&out,
                            "%s{\"name\":\"%s\",\"summary\":\"%s\",\"kernel_ref\":\"%s\","
                            "\"zoo\":\"%s\",\"arch\":\"%s\",\"variants\":[",
                            first ? "" : ",", JsonEscape(s.name), JsonEscape(s.summary),
                            JsonEscape(s.kernel_ref), JsonEscape(s.zoo),
                            s.required_arch ? ArchFlagName(*s.required_arch) : "any");
      for (size_t i = 0; i < s.variants.size(); ++i) {
        const VariantSpec& v = s.variants[i];
        absl::StrAppendFormat(
            &out,
            "%s{\"name\":\"%s\",\"summary\":\"%s\",\"expected\":{\"ipi\":\"%s\","
            "\"broadcast\":\"%s\",\"relaxed\":\"%s\",\"relaxed_arm64\":\"%s\"},\"also\":\"%s\"}",
            i ? "," : "", JsonEscape(v.name), JsonEscape(v.summary), JsonEscape(v.expected_ipi),
            JsonEscape(v.expected_broadcast), JsonEscape(RelaxedVerdict(v, proto::ARCH_X86_64)),
            JsonEscape(RelaxedVerdict(v, proto::ARCH_ARM64)), JsonEscape(v.also));
      }
      absl::StrAppend(&out, "]}");
    } else {
      absl::StrAppendFormat(&out, "%s%s%s\n  %s\n  models: %s\n", s.name,
                            s.zoo.empty() ? "" : absl::StrCat("  [bug zoo ", s.zoo, "]"),
                            s.required_arch
                                ? absl::StrCat("  (", proto::Arch_Name(*s.required_arch), " only)")
                                : "",
                            s.summary, s.kernel_ref);
      absl::StrAppendFormat(&out, "  %-22s %-28s %-28s\n", "variant", "expected (ipi)",
                            "expected (broadcast, paravirt)");
      for (const VariantSpec& v : s.variants) {
        absl::StrAppendFormat(&out, "  %-22s %-28s %-28s\n", v.name, v.expected_ipi,
                              v.expected_broadcast);
        if (!v.expected_relaxed.empty()) {
          absl::StrAppendFormat(&out, "      relaxed model: %s\n",
                                RelaxedVerdict(v, proto::ARCH_X86_64));
        }
        if (!v.expected_relaxed_arm64.empty()) {
          absl::StrAppendFormat(&out, "      relaxed model with arm64 primitives: %s\n",
                                RelaxedVerdict(v, proto::ARCH_ARM64));
        }
        if (!v.expected_relaxed_no_ipi.empty()) {
          absl::StrAppendFormat(&out, "      relaxed model, broadcast or paravirt flushes: %s\n",
                                v.expected_relaxed_no_ipi);
        }
        if (!v.also.empty()) absl::StrAppendFormat(&out, "      may also surface as: %s\n", v.also);
        absl::StrAppendFormat(&out, "      %s\n", v.summary);
      }
    }
    first = false;
  }
  if (json) absl::StrAppend(&out, "]\n");
  std::cout << out;
  return kExitClean;
}

int RegressCommand(const std::vector<std::string>& args) {
  CliArgs cli;
  if (absl::Status st = cli.Parse(args, {}, {"help", "h"}); !st.ok()) {
    return Usage(std::string(st.message()), kRegressUsage);
  }
  if (cli.Has("help") || cli.Has("h")) {
    std::printf("usage: %s\n", kRegressUsage);
    return kExitClean;
  }
  if (cli.positional().empty()) return Usage("regress needs at least one FILE", kRegressUsage);
  int exit_code = kExitClean;
  bool bad_input = false;
  for (const std::string& path : cli.positional()) {
    absl::StatusOr<proto::Schedule> schedule = LoadScheduleFile(path);
    if (!schedule.ok()) {
      std::fprintf(stderr, "ptfuzz: %s\n", std::string(schedule.status().message()).c_str());
      bad_input = true;
      continue;
    }
    if (schedule->expect().verdict().empty()) {
      std::fprintf(stderr, "ptfuzz: %s: no `expect { verdict: ... }` to check\n", path.c_str());
      bad_input = true;
      continue;
    }
    const RunResult a = RunSchedule(*schedule, SimOptions{});
    const RunResult b = RunSchedule(*schedule, SimOptions{});
    const std::string verdict = Verdict(a);
    std::string problem;
    if (a.trace_hash != b.trace_hash || a.state_digest != b.state_digest) {
      problem = absl::StrFormat("nondeterministic: trace hash %016x vs %016x, digest %016x vs %016x",
                                a.trace_hash, b.trace_hash, a.state_digest, b.state_digest);
    } else if (a.outcome == Outcome::kDivergence) {
      problem = absl::StrCat("does not replay: ", a.divergence.message());
    } else if (verdict != schedule->expect().verdict()) {
      problem = absl::StrCat("verdict ", verdict, ", expected ", schedule->expect().verdict());
    }
    if (problem.empty()) {
      std::printf("ok    %s: %s (trace hash %016llx)\n", path.c_str(), verdict.c_str(),
                  static_cast<unsigned long long>(a.trace_hash));
    } else {
      std::printf("FAIL  %s: %s\n", path.c_str(), problem.c_str());
      exit_code = kExitFound;
    }
  }
  return bad_input ? kExitUsage : exit_code;
}

}  // namespace ptfuzz

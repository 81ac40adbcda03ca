// `ptfuzz litmus FILE...`: explore each litmus test, print its verdict line, and optionally
// check it against the file's expectation, show a witness execution or replay one tape.
#include "replay/litmus_command.h"

#include <cstdio>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/check.h"
#include "core/litmus/explore.h"
#include "core/litmus/litmus.h"
#include "core/tape_decider.h"
#include "replay/cli_args.h"
#include "replay/commands.h"

namespace ptfuzz {

namespace {

constexpr char kLitmusUsage[] =
    "ptfuzz litmus FILE... [--model=relaxed|tso|sc] [--expect] [--budget=N] [--witness]\n"
    "                      [--tape=A,B,C]\n"
    "  Runs each Linux-kernel memory model litmus test (the kernel's C format) under every\n"
    "  schedule of the chosen memory model and prints one line per file:\n"
    "    NAME  VERDICT  S of N executions (MODEL)\n"
    "  VERDICT is Never, Sometimes or Always for the proposition of the final clause (as herd7's\n"
    "  Observation), Unsupported when this model cannot answer for the test (the reason follows),\n"
    "  or Incomplete when the budget ran out first.\n"
    "  --model    relaxed (default: LKMM-like), tso (x86) or sc\n"
    "  --expect   compare with the file's `ptfuzz-MODEL:` line (`ptfuzz:` alone: relaxed), else\n"
    "             its `Result:` line; exit 1 on disagreement (Unsupported is reported, not a\n"
    "             disagreement)\n"
    "  --budget   executions to explore per file before giving up (default 1000000)\n"
    "  --witness  also print one witnessing execution: its tape, timeline and final state\n"
    "  --tape     replay exactly the execution these answers choose (one FILE only)\n"
    "  Exit: 0 done, 1 a verdict disagrees with --expect, 2 usage, input or parse error.";

int Usage(const std::string& message) {
  std::fprintf(stderr, "ptfuzz: %s\nusage: %s\n", message.c_str(), kLitmusUsage);
  return kExitUsage;
}

// One step for the timeline; litmus variables by name and values in decimal.
std::string DescribeLitmusOp(const LitmusTest& test, const TraceEvent& e) {
  const bool var_op = LocSpaceOf(e.addr) == LocSpace::kVar &&
                      LocPayload(e.addr) < test.vars.size() &&
                      (e.op == OpKind::kLoad || e.op == OpKind::kStore || e.op == OpKind::kRmw ||
                       e.op == OpKind::kDrain);
  if (!var_op) return DescribeOp(e);
  const std::string& var = test.vars[LocPayload(e.addr)].name;
  const std::string order =
      e.order == MemOrder::kOnce ? "" : absl::StrCat(" (", MemOrderName(e.order), ")");
  std::string via;
  switch (e.via) {
    case TraceEvent::Via::kMemory:
      break;
    case TraceEvent::Via::kForwarded:
      via = " [forwarded from this cpu's store buffer]";
      break;
    case TraceEvent::Via::kBuffered:
      via = " [into the store buffer]";
      break;
    case TraceEvent::Via::kStale:
      via = absl::StrFormat(" [stale: %s, %u newer store%s]",
                            e.writer == 0xffffffffu ? std::string("the initial value")
                                                    : absl::StrCat("P", e.writer, "'s store"),
                            e.newer, e.newer == 1 ? "" : "s");
      break;
  }
  const std::string old_v = FormatLitmusValue(test, e.old_value);
  const std::string new_v = FormatLitmusValue(test, e.new_value);
  switch (e.op) {
    case OpKind::kLoad:
      return absl::StrCat("load ", var, " = ", new_v, order, via);
    case OpKind::kStore:
      return absl::StrCat("store ", var, " ", old_v, " -> ", new_v, order, via);
    case OpKind::kRmw:
      return e.ok ? absl::StrCat("rmw ", var, " ", old_v, " -> ", new_v, order)
                  : absl::StrCat("rmw ", var, " = ", old_v, ": fails, unordered");
    case OpKind::kDrain:
      return absl::StrCat("drain ", var, " ", old_v, " -> ", new_v, " (now visible to every cpu)");
    default:
      return DescribeOp(e);
  }
}

std::string FormatTimeline(const LitmusTest& test, const RunResult& run) {
  std::string out =
      absl::StrFormat("  %5s  %-4s  %-14s  %s\n", "step", "cpu", "function", "operation");
  for (const TraceEvent& e : run.trace) {
    absl::StrAppendFormat(&out, "  %5u  P%-3u  %-14s  %s\n", e.step, e.cpu,
                          e.func != nullptr ? e.func->name : "-", DescribeLitmusOp(test, e));
  }
  return out;
}

std::string FormatFinalState(const LitmusTest& test, const LitmusRun& run) {
  std::vector<std::string> parts;
  for (size_t t = 0; t < test.threads.size(); ++t) {
    for (size_t r = 0; r < test.threads[t].regs.size(); ++r) {
      parts.push_back(absl::StrCat(t, ":", test.threads[t].regs[r].name, "=",
                                   FormatLitmusValue(test, run.regs[t][r])));
    }
  }
  for (size_t v = 0; v < test.vars.size(); ++v) {
    parts.push_back(absl::StrCat(test.vars[v].name, "=", FormatLitmusValue(test, run.vars[v])));
  }
  std::string out = absl::StrCat("  final: ", absl::StrJoin(parts, "; "), "\n");
  if (run.run.outcome != Outcome::kClean) {
    absl::StrAppend(&out, "  the run ended in ", OutcomeName(run.run.outcome), "\n");
  }
  if (!run.fault.empty()) absl::StrAppend(&out, "  fault: ", run.fault, "\n");
  if (test.filter) {
    absl::StrAppend(&out, "  filter: ", run.counted ? "passes" : "excludes this execution", "\n");
  }
  absl::StrAppend(&out, "  ", test.condition_text, ": the proposition ",
                  run.holds ? "holds" : "does not hold", "\n");
  return out;
}

std::string FormatTape(const std::vector<uint32_t>& tape) { return absl::StrJoin(tape, ","); }

// Replays `tape` with a recorded trace and prints it.
void PrintExecution(const LitmusTest& test, MemoryModelKind model,
                    const std::vector<uint32_t>& tape) {
  TapeDecider decider(tape);
  const LitmusRun run = RunLitmus(test, model, decider, /*record_trace=*/true);
  std::cout << FormatTimeline(test, run.run) << FormatFinalState(test, run);
}

absl::StatusOr<std::vector<uint32_t>> ParseTape(const std::string& text) {
  std::vector<uint32_t> tape;
  for (absl::string_view piece : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    uint32_t v = 0;
    if (!absl::SimpleAtoi(piece, &v)) {
      return absl::InvalidArgumentError(absl::StrCat("--tape: `", piece, "` is not an answer"));
    }
    tape.push_back(v);
  }
  return tape;
}

// Walks `body` with `held`, the lock variables this thread holds on every path to here; an
// unlock of any other is an error. After an if, a lock counts as held only if both branches hold
// it.
absl::Status CheckLocks(const LitmusTest& test, int thread, const std::vector<LitmusStmt>& body,
                        std::vector<bool>* held) {
  for (const LitmusStmt& s : body) {
    switch (s.kind) {
      case LitmusStmt::Kind::kSpinLock:
        if (s.target.var >= 0) (*held)[s.target.var] = true;
        break;
      case LitmusStmt::Kind::kSpinUnlock:
        // Through a pointer register the lock is not known here; the parser marks that
        // Unsupported.
        if (s.target.var < 0) break;
        if (!(*held)[s.target.var]) {
          return absl::InvalidArgumentError(absl::StrCat(
              test.file, ":", s.line, ": P", thread, " calls spin_unlock(",
              test.vars[s.target.var].name, ") on a path where it does not hold the lock"));
        }
        (*held)[s.target.var] = false;
        break;
      case LitmusStmt::Kind::kIf: {
        std::vector<bool> then_held = *held;
        std::vector<bool> else_held = *held;
        PTFUZZ_RETURN_IF_ERROR(CheckLocks(test, thread, s.then_body, &then_held));
        PTFUZZ_RETURN_IF_ERROR(CheckLocks(test, thread, s.else_body, &else_held));
        for (size_t i = 0; i < held->size(); ++i) (*held)[i] = then_held[i] && else_held[i];
        break;
      }
      default:
        break;
    }
  }
  return absl::OkStatus();
}

// What --expect compares with under `model`, or empty when the file states nothing.
std::string ExpectedWord(const LitmusTest& test, MemoryModelKind model) {
  auto it = test.model_expected.find(std::string(MemoryModelName(model)));
  if (it != test.model_expected.end()) return it->second;
  return test.expected ? std::string(LitmusResultName(*test.expected)) : std::string();
}

}  // namespace

absl::StatusOr<LitmusTest> LoadLitmusFile(const std::string& path) {
  absl::StatusOr<LitmusTest> test = ParseLitmusFile(path);
  if (!test.ok()) return test;
  for (size_t t = 0; t < test->threads.size(); ++t) {
    std::vector<bool> held(test->vars.size(), false);
    PTFUZZ_RETURN_IF_ERROR(CheckLocks(*test, static_cast<int>(t), test->threads[t].body, &held));
  }
  return test;
}

int LitmusCommand(const std::vector<std::string>& args) {
  CliArgs cli;
  if (absl::Status st =
          cli.Parse(args, {"model", "budget", "tape"}, {"expect", "witness", "help", "h"});
      !st.ok()) {
    return Usage(std::string(st.message()));
  }
  if (cli.Has("help") || cli.Has("h")) {
    std::printf("usage: %s\n", kLitmusUsage);
    return kExitClean;
  }
  if (cli.positional().empty()) return Usage("litmus needs at least one FILE");
  const std::optional<MemoryModelKind> model =
      MemoryModelFromName(cli.Get("model").value_or("relaxed"));
  if (!model) return Usage("--model must be relaxed, tso or sc");
  ExploreOptions options;
  options.model = *model;
  long long budget = static_cast<long long>(options.budget);
  if (absl::Status st = cli.GetInt("budget", &budget); !st.ok()) {
    return Usage(std::string(st.message()));
  }
  if (budget <= 0) return Usage("--budget must be positive");
  options.budget = static_cast<uint64_t>(budget);
  const absl::string_view model_name = MemoryModelName(*model);

  if (auto tape_text = cli.Get("tape")) {
    if (cli.positional().size() != 1) return Usage("--tape replays exactly one FILE");
    absl::StatusOr<std::vector<uint32_t>> tape = ParseTape(*tape_text);
    if (!tape.ok()) return Usage(std::string(tape.status().message()));
    absl::StatusOr<LitmusTest> test = LoadLitmusFile(cli.positional()[0]);
    if (!test.ok()) {
      std::fprintf(stderr, "ptfuzz: %s\n", std::string(test.status().message()).c_str());
      return kExitUsage;
    }
    std::cout << test->name << "  tape " << FormatTape(*tape) << " (" << model_name << ")\n";
    PrintExecution(*test, *model, *tape);
    return kExitClean;
  }

  bool bad_input = false;
  bool mismatch = false;
  for (const std::string& path : cli.positional()) {
    absl::StatusOr<LitmusTest> test = LoadLitmusFile(path);
    if (!test.ok()) {
      std::fprintf(stderr, "ptfuzz: %s\n", std::string(test.status().message()).c_str());
      bad_input = true;
      continue;
    }
    std::string expected;
    if (cli.Has("expect")) {
      expected = ExpectedWord(*test, *model);
      if (expected.empty()) {
        std::fprintf(stderr, "ptfuzz: %s: no `Result:` line to check against\n", path.c_str());
        bad_input = true;
        continue;
      }
    }
    absl::StatusOr<ExploreResult> r = ExploreLitmus(*test, options);
    if (!r.ok()) {
      std::fprintf(stderr, "ptfuzz internal bug: %s: %s\n", path.c_str(),
                   std::string(r.status().message()).c_str());
      bad_input = true;
      continue;
    }
    const std::string verdict(LitmusVerdictName(r->verdict));
    std::string line = absl::StrFormat("%s  %s  %u of %u executions (%s)", test->name, verdict,
                                       r->satisfied, r->counted, model_name);
    if (r->verdict == LitmusVerdict::kUnsupported && r->explored) {
      absl::StrAppend(&line, ", explored: ", LitmusResultName(*r->explored));
    }
    std::cout << line << "\n";
    for (const std::string& reason : r->unsupported)
      std::cout << "  unsupported: " << reason << "\n";
    if (!r->complete) {
      std::cout << "  incomplete: stopped after the budget of " << options.budget
                << " executions\n";
    }
    if (r->not_clean + r->faulted > 0) {
      std::cout << "  not counted: " << r->not_clean << " runs not clean, " << r->faulted
                << " runs with a bad dereference; first: " << r->first_problem << "\n";
    }
    if (r->filtered > 0) std::cout << "  filtered out: " << r->filtered << " executions\n";
    if (cli.Has("expect")) {
      // Unsupported is the runner admitting it cannot answer, not a disagreement; but a file
      // that expects Unsupported is told when the runner starts answering.
      const bool ok = r->verdict == LitmusVerdict::kUnsupported || verdict == expected;
      if (!ok) {
        mismatch = true;
        std::cout << "  MISMATCH " << path << ": expected " << expected << ", got " << verdict
                  << " (" << model_name << ")\n";
      } else if (r->verdict == LitmusVerdict::kUnsupported && expected != "Unsupported") {
        std::cout << "  (the file expects " << expected << ")\n";
      }
    }
    if (cli.Has("witness")) {
      if (r->witness) {
        std::cout << "  witness: --tape=" << FormatTape(*r->witness) << "\n";
        PrintExecution(*test, *model, *r->witness);
      } else {
        std::cout << "  no witness: "
                  << (test->quantifier == LitmusQuantifier::kForall
                          ? "no execution violates the proposition"
                          : "no execution satisfies the proposition")
                  << "\n";
      }
    }
  }
  if (bad_input) return kExitUsage;
  return mismatch ? kExitFound : kExitClean;
}

}  // namespace ptfuzz

// ptfuzz: replay, minimize, list and fuzz schedules of the lockless page-table simulator, and run
// C litmus tests against its memory models.
#include <cstdio>
#include <string>
#include <vector>

#include "core/format_version.h"
#include "replay/commands.h"
#include "replay/litmus_command.h"

namespace {

constexpr char kHelp[] =
    "ptfuzz: a deterministic-replay concurrency fuzzer for Linux's lockless page-table "
    "protocols\n"
    "\n"
    "usage: ptfuzz COMMAND [ARGS]   (ptfuzz COMMAND --help for details)\n"
    "\n"
    "commands:\n"
    "  replay FILE [--json]       re-execute a schedule, print its timeline and verdict\n"
    "  minimize FILE -o OUT       shrink a violating schedule, keeping the same violation\n"
    "  scenarios [--json]         list built-in scenarios, variants and expected verdicts\n"
    "  fuzz [--scenario=...]      run a libFuzzer campaign, minimize and replay the finding\n"
    "  explore [--strategy=...]   a baseline strategy (random walk, random preemption, PCT,\n"
    "                             PCTWM, POS, SURW, bounded DFS) run until the first violation\n"
    "  bench [--trials=K]         the zoo benchmark: every strategy and the fuzzer on every\n"
    "                             buggy variant, one CSV row per trial\n"
    "  regress FILE...            check corpus files replay deterministically to their verdict\n"
    "  litmus FILE...             run LKMM C litmus tests under a memory model "
    "(docs/memory-models.md)\n"
    "\n"
    "exit codes: 0 clean, 1 violation found, 2 usage or input error\n"
    "schedule format version: %u (docs/schedule-format.md)\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::printf(kHelp, ptfuzz::kFormatVersion);
    return args.empty() ? ptfuzz::kExitUsage : ptfuzz::kExitClean;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  if (command == "replay") return ptfuzz::ReplayCommand(args);
  if (command == "minimize") return ptfuzz::MinimizeCommand(args);
  if (command == "scenarios") return ptfuzz::ScenariosCommand(args);
  if (command == "fuzz") return ptfuzz::FuzzCommand(args);
  if (command == "explore") return ptfuzz::ExploreCommand(args);
  if (command == "bench") return ptfuzz::BenchCommand(args);
  if (command == "regress") return ptfuzz::RegressCommand(args);
  if (command == "litmus") return ptfuzz::LitmusCommand(args);
  std::fprintf(stderr, "ptfuzz: unknown command \"%s\"; see ptfuzz --help\n", command.c_str());
  return ptfuzz::kExitUsage;
}

// The ptfuzz subcommands. Each returns the process exit code: 0 clean / success, 1 violation
// found (or a regression mismatch), 2 usage or input error. Messages go to stderr, reports to
// stdout.
#ifndef PTFUZZ_REPLAY_COMMANDS_H_
#define PTFUZZ_REPLAY_COMMANDS_H_

#include <string>
#include <vector>

namespace ptfuzz {

inline constexpr int kExitClean = 0;
inline constexpr int kExitFound = 1;
inline constexpr int kExitUsage = 2;

int ReplayCommand(const std::vector<std::string>& args);
int MinimizeCommand(const std::vector<std::string>& args);
int ScenariosCommand(const std::vector<std::string>& args);
int RegressCommand(const std::vector<std::string>& args);
// Runs ptfuzz_fuzzer, found beside this binary through /proc/self/exe.
int FuzzCommand(const std::vector<std::string>& args);
// `ptfuzz explore`: a baseline strategy (random walk, random preemption, PCT, PCTWM, POS, SURW,
// bounded DFS) until the first violation (replay/explore_command.cc).
int ExploreCommand(const std::vector<std::string>& args);
// `ptfuzz bench`: the zoo benchmark, every strategy on every buggy variant
// (replay/bench_command.cc).
int BenchCommand(const std::vector<std::string>& args);

}  // namespace ptfuzz

#endif  // PTFUZZ_REPLAY_COMMANDS_H_

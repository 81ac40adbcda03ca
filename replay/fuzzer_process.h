// Running ptfuzz_fuzzer from the ptfuzz CLI (`ptfuzz fuzz`, `ptfuzz bench`): where it is, its
// seed corpus, and the child process.
#ifndef PTFUZZ_REPLAY_FUZZER_PROCESS_H_
#define PTFUZZ_REPLAY_FUZZER_PROCESS_H_

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fuzz/mutator.h"

namespace ptfuzz {

// The running binary (through /proc/self/exe), empty when unknown.
std::filesystem::path SelfExe();
// Its directory, "." when unknown.
std::filesystem::path SelfDir();

// The default seed directory of a scenario: corpus/<scenario>/seed in the source tree.
std::filesystem::path DefaultSeedDir(const std::string& scenario);

// The environment that pins a ptfuzz_fuzzer campaign (fuzz/fuzz_target.cc), as NAME=VALUE.
std::vector<std::string> PinEnvironment(const std::string& scenario, const std::string& variant,
                                        const std::string& flush, const std::string& model,
                                        const std::string& arch, const Pins& pins);

// Starts `argv` with `env` added to the environment, its stdout and stderr appended to `log` when
// not empty, in a process group of its own when `own_process_group` (so that it and every process
// it starts can be signalled together, and a Ctrl-C at the terminal reaches only the caller), and
// killed when the caller dies. Returns its pid, or -1 when it could not start.
int SpawnChild(const std::vector<std::string>& argv, const std::vector<std::string>& env,
               const std::string& log, bool own_process_group);

// The exit status of a wait status: the exit code, or 128 + the signal that killed it.
int ExitStatus(int wait_status);

// Runs `argv` with `env` added to the environment, its stdout and stderr into `log` when not
// empty (a fresh file, or appended to with `append`); returns its exit status (128 + signal when
// killed), or -1 when it could not run.
int RunChild(const std::vector<std::string>& argv, const std::vector<std::string>& env,
             const std::string& log = "", bool append = false);

}  // namespace ptfuzz

#endif  // PTFUZZ_REPLAY_FUZZER_PROCESS_H_

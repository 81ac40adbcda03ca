#include "replay/fuzzer_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

#ifndef PTFUZZ_SOURCE_DIR
#define PTFUZZ_SOURCE_DIR "."
#endif

namespace ptfuzz {

namespace fs = std::filesystem;

fs::path SelfExe() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe;
}

fs::path SelfDir() {
  const fs::path exe = SelfExe();
  return exe.empty() ? fs::path(".") : exe.parent_path();
}

fs::path DefaultSeedDir(const std::string& scenario) {
  return fs::path(PTFUZZ_SOURCE_DIR) / "corpus" / scenario / "seed";
}

std::vector<std::string> PinEnvironment(const std::string& scenario, const std::string& variant,
                                        const std::string& flush, const std::string& model,
                                        const std::string& arch, const Pins& pins) {
  std::vector<std::string> env = {absl::StrCat("PTFUZZ_SCENARIO=", scenario),
                                  absl::StrCat("PTFUZZ_VARIANT=", variant)};
  if (!flush.empty()) env.push_back(absl::StrCat("PTFUZZ_TLB_FLUSH=", flush));
  if (!model.empty()) env.push_back(absl::StrCat("PTFUZZ_MEMORY_MODEL=", model));
  if (!arch.empty()) env.push_back(absl::StrCat("PTFUZZ_ARCH=", arch));
  if (pins.background) env.push_back(absl::StrCat("PTFUZZ_BACKGROUND=", *pins.background));
  if (pins.mutate_shape) env.push_back("PTFUZZ_MUTATE_SHAPE=1");
  return env;
}

int SpawnChild(const std::vector<std::string>& argv, const std::vector<std::string>& env,
               const std::string& log, bool own_process_group) {
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (own_process_group) setpgid(0, 0);
    // A campaign runner killed with SIGKILL must not leave its fuzzer running (its fuzzing jobs,
    // in the same process group, are killed when the campaign resumes).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    for (const std::string& e : env) putenv(const_cast<char*>(e.c_str()));
    if (!log.empty()) {
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd < 0) {
        std::perror(log.c_str());
        _exit(127);
      }
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    std::perror(("ptfuzz: exec " + argv[0]).c_str());
    _exit(127);
  }
  if (own_process_group) setpgid(pid, pid);  // also here: no race with a signal to the group
  return pid;
}

int ExitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  return 128 + WTERMSIG(wait_status);
}

int RunChild(const std::vector<std::string>& argv, const std::vector<std::string>& env,
             const std::string& log, bool append) {
  if (!log.empty() && !append) {
    // A fresh log, as before: RunChild's callers read it whole.
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) close(fd);
  }
  const int pid = SpawnChild(argv, env, log, /*own_process_group=*/false);
  if (pid < 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  return ExitStatus(status);
}

}  // namespace ptfuzz

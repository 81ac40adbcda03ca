#include "replay/rr.h"

#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ptfuzz {

namespace {

std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return "";
  for (absl::string_view dir : absl::StrSplit(path, ':')) {
    if (dir.empty()) dir = ".";
    const std::string candidate = absl::StrCat(dir, "/", name);
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec) && access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return "";
}

// The flag's name when `arg` is a flag as CliArgs reads it ("-x" or "--x", up to '='), else "".
std::string FlagName(const std::string& arg, bool* has_value) {
  *has_value = false;
  if (arg.size() < 2 || arg[0] != '-') return "";
  std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
  if (const size_t eq = name.find('='); eq != std::string::npos) {
    *has_value = true;
    name.resize(eq);
  }
  return name;
}

}  // namespace

RrFacts GatherRrFacts() {
  RrFacts facts;
  facts.rr_path = FindOnPath("rr");
  // The counter rr's own check opens first, in two steps because the kernel checks the
  // permission to count kernel code before it looks for the PMU: user space only, which
  // perf_event_paranoid 2 allows, tells whether there are counters at all; then kernel and user,
  // which perf_event_paranoid above 1 refuses to an unprivileged process, as rr does.
  for (const bool exclude_kernel : {true, false}) {
    perf_event_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_HARDWARE;
    attr.config = PERF_COUNT_HW_INSTRUCTIONS;
    attr.disabled = 1;
    attr.exclude_kernel = exclude_kernel;
    attr.exclude_hv = exclude_kernel;
    const long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
    if (fd < 0) {
      facts.perf_errno = errno;
      break;
    }
    close(static_cast<int>(fd));
  }
  std::ifstream in("/proc/sys/kernel/perf_event_paranoid");
  std::string line;
  if (in && std::getline(in, line)) facts.paranoid = std::string(absl::StripAsciiWhitespace(line));
  return facts;
}

absl::Status RrVerdict(const RrFacts& facts) {
  if (facts.rr_path.empty()) {
    return absl::FailedPreconditionError(
        "rr is not on PATH (Debian package rr; scripts/setup.sh installs it)");
  }
  switch (facts.perf_errno) {
    case 0:
      return absl::OkStatus();
    case ENOENT:
    case ENODEV:
    case EOPNOTSUPP:
      return absl::FailedPreconditionError(absl::StrCat(
          "no hardware performance counters: perf_event_open(PERF_TYPE_HARDWARE, "
          "PERF_COUNT_HW_INSTRUCTIONS) fails with ",
          facts.perf_errno == ENOENT   ? "ENOENT"
          : facts.perf_errno == ENODEV ? "ENODEV"
                                       : "EOPNOTSUPP",
          " (no cpu PMU under /sys/bus/event_source/devices; a virtual machine needs its "
          "virtual PMU enabled), and rr cannot record without them"));
    case EACCES:
    case EPERM:
      return absl::FailedPreconditionError(absl::StrCat(
          "perf_event_paranoid is ", facts.paranoid.empty() ? "unreadable" : facts.paranoid,
          " (/proc/sys/kernel/perf_event_paranoid) and perf_event_open fails with ",
          facts.perf_errno == EACCES ? "EACCES" : "EPERM",
          "; rr needs it <= 1: sysctl kernel.perf_event_paranoid=1"));
    default:
      return absl::FailedPreconditionError(
          absl::StrCat("perf_event_open(PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS) fails: ",
                       std::strerror(facts.perf_errno), "; rr cannot record"));
  }
}

absl::Status ProbeRr() { return RrVerdict(GatherRrFacts()); }

std::vector<std::string> WithoutRrFlags(const std::vector<std::string>& replay_args) {
  std::vector<std::string> out;
  for (size_t i = 0; i < replay_args.size(); ++i) {
    bool has_value = false;
    const std::string name = FlagName(replay_args[i], &has_value);
    if (name == "rr" || name == "rr-dry-run") continue;
    if (name == "rr-dir") {
      if (!has_value) ++i;  // --rr-dir DIR
      continue;
    }
    out.push_back(replay_args[i]);
  }
  return out;
}

std::string DefaultRrDir(const std::string& file) {
  return absl::StrCat("rr-trace-", std::filesystem::path(file).stem().string());
}

RrCommands RrCommandLines(const std::string& rr, const std::string& self,
                          const std::vector<std::string>& replay_args, const std::string& dir) {
  RrCommands c;
  c.record = {rr, "record", "-o", dir, self, "replay"};
  c.record.insert(c.record.end(), replay_args.begin(), replay_args.end());
  c.pack = {rr, "pack", dir};
  c.replay = {rr, "replay", dir};
  return c;
}

std::string ShellJoin(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) {
    if (!out.empty()) out += ' ';
    const bool plain = !a.empty() && a.find_first_not_of(
                                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789-_./=:,+@%") == std::string::npos;
    if (plain) {
      out += a;
      continue;
    }
    out += '\'';
    for (char ch : a) {
      if (ch == '\'') {
        out += "'\\''";
      } else {
        out += ch;
      }
    }
    out += '\'';
  }
  return out;
}

}  // namespace ptfuzz

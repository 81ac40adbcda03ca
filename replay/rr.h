// `ptfuzz replay FILE --rr`: the same replay recorded by rr (Debian's `rr` package), for reverse
// debugging of the ptfuzz process itself. The simulator already makes the interleaving
// deterministic; rr adds stepping backwards through the C++ of a protocol model or an oracle
// while it replays a schedule (docs/cli.md, "Debugging a replay").
//
// Two halves, both testable without rr:
//  - ProbeRr(): whether rr can record on this machine, and if not exactly why (rr missing, no
//    hardware performance counters, perf_event_paranoid too strict). rr itself would fail later
//    with a less direct message ("Unable to open performance counter").
//  - RrCommandLines(): the exact argv of `rr record`, `rr pack` and the hint `rr replay`.
//
// Not guaranteed: that a machine ProbeRr() accepts can record (rr has further requirements,
// such as a supported CPU model); the recording's own failure is then reported by rr.
#ifndef PTFUZZ_REPLAY_RR_H_
#define PTFUZZ_REPLAY_RR_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace ptfuzz {

// What ProbeRr() looks at, gathered by GatherRrFacts() and judged by RrVerdict().
struct RrFacts {
  std::string rr_path;  // rr's path found on PATH; empty when it is not there
  // errno of the first failing perf_event_open(PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS)
  // on this process: counting user space only, then kernel and user (what perf_event_paranoid
  // <= 1 allows an unprivileged process); 0 when both open.
  int perf_errno = 0;
  // /proc/sys/kernel/perf_event_paranoid, trimmed; empty when unreadable.
  std::string paranoid;
};

RrFacts GatherRrFacts();

// OK when rr can record according to `facts`; otherwise kFailedPrecondition whose message says
// why, in this order: rr not on PATH; no hardware performance counters (ENOENT, ENODEV,
// EOPNOTSUPP); perf_event_paranoid too strict (EACCES, EPERM; the value is named); any other
// perf_event_open error.
absl::Status RrVerdict(const RrFacts& facts);

// RrVerdict(GatherRrFacts()).
absl::Status ProbeRr();

// The arguments of a `ptfuzz replay` command line (after "replay") without the flags that ask
// for rr (--rr, --rr-dry-run, --rr-dir=DIR and --rr-dir DIR, with one or two dashes), in order.
std::vector<std::string> WithoutRrFlags(const std::vector<std::string>& replay_args);

// "rr-trace-<stem of FILE>": the default --rr-dir, in the current directory.
std::string DefaultRrDir(const std::string& file);

struct RrCommands {
  std::vector<std::string> record;  // rr record -o DIR SELF replay ARGS...
  std::vector<std::string> pack;    // rr pack DIR
  std::vector<std::string> replay;  // rr replay DIR (printed, not run)
};

// `rr` is argv[0] of each command (the bare name, or the path ProbeRr() found); `self` the path
// of the ptfuzz binary; `replay_args` what follows "replay" (WithoutRrFlags() of the original).
RrCommands RrCommandLines(const std::string& rr, const std::string& self,
                          const std::vector<std::string>& replay_args, const std::string& dir);

// `argv` as one line a POSIX shell runs as the same argv: words that need it are single-quoted.
std::string ShellJoin(const std::vector<std::string>& argv);

}  // namespace ptfuzz

#endif  // PTFUZZ_REPLAY_RR_H_

// replay/rr.h (the rr command lines and why rr cannot record) and the core's break hook that
// `ptfuzz replay --break-at-step` uses (SimOptions::break_at_step, core/world.h). Recording
// itself is exercised by tests/e2e/replay_debug_test.sh, on machines that can.
#include "replay/rr.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/run.h"
#include "core/schedule_io.h"
#include "gtest/gtest.h"

namespace ptfuzz {
namespace {

using Argv = std::vector<std::string>;

TEST(RrCommandLinesTest, ExactArgv) {
  const RrCommands c =
      RrCommandLines("/usr/bin/rr", "/b/ptfuzz", {"f.textproto", "--json"}, "rr-trace-f");
  EXPECT_EQ(c.record, (Argv{"/usr/bin/rr", "record", "-o", "rr-trace-f", "/b/ptfuzz", "replay",
                            "f.textproto", "--json"}));
  EXPECT_EQ(c.pack, (Argv{"/usr/bin/rr", "pack", "rr-trace-f"}));
  EXPECT_EQ(c.replay, (Argv{"/usr/bin/rr", "replay", "rr-trace-f"}));
}

TEST(RrCommandLinesTest, DropsOnlyTheRrFlags) {
  EXPECT_EQ(WithoutRrFlags({"f", "--rr", "--json", "--rr-dir=d", "--break-at-step=3"}),
            (Argv{"f", "--json", "--break-at-step=3"}));
  EXPECT_EQ(WithoutRrFlags({"-rr", "--rr-dir", "d", "f", "-rr-dry-run", "--html", "o.html"}),
            (Argv{"f", "--html", "o.html"}));
  EXPECT_EQ(WithoutRrFlags({"--rr-dry-run", "-", "--no-trace"}), (Argv{"-", "--no-trace"}));
  // Other flags that merely start with "rr" in their value are kept.
  EXPECT_EQ(WithoutRrFlags({"rr", "--html=rr"}), (Argv{"rr", "--html=rr"}));
}

TEST(RrCommandLinesTest, DefaultDirIsNamedAfterTheFile) {
  EXPECT_EQ(DefaultRrDir("corpus/gup_vs_zap/regression/x_y.textproto"), "rr-trace-x_y");
  EXPECT_EQ(DefaultRrDir("crash-0a1b"), "rr-trace-crash-0a1b");
}

TEST(RrCommandLinesTest, ShellJoinQuotesWhatTheShellWouldSplit) {
  EXPECT_EQ(ShellJoin({"rr", "record", "-o", "d", "/a b/ptfuzz", "it's", "--html=o.html", ""}),
            "rr record -o d '/a b/ptfuzz' 'it'\\''s' --html=o.html ''");
}

TEST(RrVerdictTest, SaysWhyRrCannotRecord) {
  RrFacts ok{"/usr/bin/rr", 0, "1"};
  EXPECT_TRUE(RrVerdict(ok).ok());

  RrFacts missing = ok;
  missing.rr_path = "";
  missing.perf_errno = ENOENT;  // rr's absence is named first
  EXPECT_NE(RrVerdict(missing).message().find("rr is not on PATH"), std::string::npos);

  for (int err : {ENOENT, ENODEV, EOPNOTSUPP}) {
    RrFacts no_pmu = ok;
    no_pmu.perf_errno = err;
    const absl::Status st = RrVerdict(no_pmu);
    EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(st.message().find("no hardware performance counters"), std::string::npos) << st;
  }
  RrFacts enoent = ok;
  enoent.perf_errno = ENOENT;
  EXPECT_NE(RrVerdict(enoent).message().find("fails with ENOENT"), std::string::npos);

  for (int err : {EACCES, EPERM}) {
    RrFacts strict{"/usr/bin/rr", err, "3"};
    const absl::Status st = RrVerdict(strict);
    EXPECT_NE(st.message().find("perf_event_paranoid is 3 "), std::string::npos) << st;
    EXPECT_NE(st.message().find("rr needs it <= 1"), std::string::npos) << st;
  }
  RrFacts other{"/usr/bin/rr", EINVAL, "1"};
  EXPECT_NE(RrVerdict(other).message().find(std::strerror(EINVAL)), std::string::npos);
}

// The break hook: called once, with its step, after step N-1 and before step N; the run is
// unchanged. The observer logs every step, the hook its own call, in one sequence.
std::vector<std::string>* g_log = nullptr;
void LogBreak(uint32_t step) { g_log->push_back(absl::StrCat("break ", step)); }
class StepLog : public StepObserver {
 public:
  void OnStep(const TraceEvent& event, uint64_t) override {
    g_log->push_back(absl::StrCat("step ", event.step));
  }
};

TEST(BreakAtStepTest, CalledOnceBeforeTheStepAndChangesNothing) {
  absl::StatusOr<proto::Schedule> s = LoadScheduleFile(absl::StrCat(
      PTFUZZ_SOURCE_DIR, "/corpus/gup_vs_zap/regression/no_pte_recheck_ipi_held_off.textproto"));
  ASSERT_TRUE(s.ok()) << s.status();
  const RunResult base = RunSchedule(*s, SimOptions{});
  ASSERT_GT(base.steps, 6u);

  std::vector<std::string> log;
  g_log = &log;
  StepLog observer;
  SimOptions hooked;
  hooked.observer = &observer;
  hooked.break_at_step = 5;
  hooked.on_break = &LogBreak;
  const RunResult r = RunSchedule(*s, hooked);
  const auto at = std::find(log.begin(), log.end(), "break 5");
  ASSERT_NE(at, log.end());
  ASSERT_NE(at, log.begin());
  ASSERT_NE(at + 1, log.end());
  EXPECT_EQ(*(at - 1), "step 4");
  EXPECT_EQ(*(at + 1), "step 5");
  int breaks = 0;
  for (const std::string& line : log) breaks += line.rfind("break", 0) == 0;
  EXPECT_EQ(breaks, 1);
  EXPECT_EQ(r.trace_hash, base.trace_hash);
  EXPECT_EQ(r.state_digest, base.state_digest);
  EXPECT_EQ(r.steps, base.steps);

  // At or beyond the end of the run: never called.
  log.clear();
  hooked.break_at_step = base.steps;
  RunSchedule(*s, hooked);
  EXPECT_FALSE(log.empty());
  for (const std::string& line : log) EXPECT_EQ(line.rfind("break", 0), std::string::npos);
  g_log = nullptr;
}

}  // namespace
}  // namespace ptfuzz

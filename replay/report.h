// Human- and machine-readable reports of a run: the timeline, the violation, the verdict.
//
// Output is a pure function of the schedule and the run result (no times, no paths, no pointer
// values), so replaying a file twice, in two processes, prints byte-identical output.
#ifndef PTFUZZ_REPLAY_REPORT_H_
#define PTFUZZ_REPLAY_REPORT_H_

#include <string>

#include "core/world.h"
#include "proto/schedule.pb.h"

namespace ptfuzz {

// "clean", a violation kind, "step_bound" or "divergence".
std::string Verdict(const RunResult& result);

// The scenario header, the timeline (when recorded), the violation and the summary lines.
std::string FormatTextReport(const proto::Schedule& schedule, const RunResult& result);
std::string FormatJsonReport(const proto::Schedule& schedule, const RunResult& result);

// `s` as the contents of a JSON string literal.
std::string JsonEscape(absl::string_view s);

// What ended a run that neither finished clean nor violated an invariant, one line without a
// newline ("STEP BOUND reached ...", "DIVERGENCE: ..."); "" otherwise. Text and HTML reports share
// it.
std::string OutcomeNote(const RunResult& result);

// The violation block alone (what the fuzz target prints before trapping).
std::string FormatViolation(const Violation& v);

}  // namespace ptfuzz

#endif  // PTFUZZ_REPLAY_REPORT_H_

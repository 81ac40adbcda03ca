// The replay as one self-contained HTML page (`ptfuzz replay FILE --html OUT.html`): a swimlane
// per CPU, and one per agent (core/agent.h) that took a step, one row per step, the violating
// step highlighted with the oracle's explanation.
//
// The page needs no network: its CSS and script are inline and it names no external resource,
// so it can be attached to a bug report or opened from a mail. Its content is a pure function of
// the schedule and the run result, like the text report (replay/report.h), with the same names:
// a cell shows the kernel function and DescribeOp()'s text; the raw values (address, old and new
// value, outcome, access kind) are in the cell's `title`, shown on hover.
//
// Not guaranteed: a stable markup for scraping (use `--json`), or a timeline when the run was
// replayed with `--no-trace` (the page then says so and shows only the header and the verdict).
#ifndef PTFUZZ_REPLAY_HTML_REPORT_H_
#define PTFUZZ_REPLAY_HTML_REPORT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "core/world.h"
#include "proto/schedule.pb.h"

namespace ptfuzz {

// The whole page. Lanes: CPU 0..num_cpus-1 of the scenario as it ran (background actors'
// CPUs included), each followed by the lanes of the agents it owns that appear in the trace.
std::string FormatHtmlReport(const proto::Schedule& schedule, const RunResult& result);

// `s` with &, <, >, " and ' replaced by character references: safe in element content and in
// quoted attribute values.
std::string HtmlEscape(absl::string_view s);

}  // namespace ptfuzz

#endif  // PTFUZZ_REPLAY_HTML_REPORT_H_

// FormatHtmlReport (replay/html_report.h): lanes, the violating row, the explanation, escaping,
// and that the page needs nothing from outside.
#include "replay/html_report.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/run.h"
#include "core/schedule_io.h"
#include "core/violation.h"
#include "gtest/gtest.h"
#include "replay/report.h"

namespace ptfuzz {
namespace {

std::string CorpusPath(const std::string& rel) {
  return absl::StrCat(PTFUZZ_SOURCE_DIR, "/corpus/", rel);
}

struct Replayed {
  proto::Schedule schedule;
  RunResult result;
  std::string html;
};

Replayed Replay(const std::string& rel) {
  Replayed r;
  absl::StatusOr<proto::Schedule> s = LoadScheduleFile(CorpusPath(rel));
  EXPECT_TRUE(s.ok()) << s.status();
  r.schedule = *s;
  SimOptions options;
  options.record_trace = true;
  r.result = RunSchedule(r.schedule, options);
  r.html = FormatHtmlReport(r.schedule, r.result);
  return r;
}

int Count(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

// The timeline rows, one string per step row (not the explanation row).
std::vector<std::string> StepRows(const std::string& html) {
  std::vector<std::string> rows;
  for (absl::string_view line : absl::StrSplit(html, '\n')) {
    if (absl::StartsWith(line, "<tr data-step=")) rows.emplace_back(line);
  }
  return rows;
}

// The column (0 = the step number) of a row's operation cell.
int OpColumn(const std::string& row) {
  const std::vector<std::string> cells = absl::StrSplit(row, "<td");
  for (size_t i = 1; i < cells.size(); ++i) {
    if (absl::StartsWith(cells[i], " class=\"op")) return static_cast<int>(i) - 1;
  }
  return -1;
}

constexpr char kIpiHeldOff[] = "gup_vs_zap/regression/no_pte_recheck_ipi_held_off.textproto";

TEST(HtmlReportTest, OneLanePerCpuAndEachStepInItsCpusLane) {
  const Replayed r = Replay(kIpiHeldOff);
  ASSERT_TRUE(r.result.violation.has_value());
  const int cpus = static_cast<int>(r.schedule.scenario().num_cpus());
  ASSERT_GE(cpus, 2);
  EXPECT_EQ(Count(r.html, "<th class=\"lane cpu\">"), cpus);
  EXPECT_EQ(Count(r.html, "<th class=\"lane agent\">"), 0);  // SC: no store buffers
  for (int cpu = 0; cpu < cpus; ++cpu) {
    EXPECT_NE(r.html.find(absl::StrCat("<th class=\"lane cpu\">cpu ", cpu, "<small>")),
              std::string::npos)
        << cpu;
  }
  const std::vector<std::string> rows = StepRows(r.html);
  ASSERT_EQ(rows.size(), r.result.trace.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const TraceEvent& e = r.result.trace[i];
    EXPECT_EQ(OpColumn(rows[i]), static_cast<int>(e.cpu) + 1) << rows[i];
    // The cell shows the same function and operation as the text report.
    EXPECT_NE(rows[i].find(absl::StrCat("<span class=\"fn\">", e.func->name, "</span> ",
                                        HtmlEscape(DescribeOp(e)))),
              std::string::npos)
        << rows[i];
  }
}

TEST(HtmlReportTest, MarksTheViolatingRowAndShowsTheExplanationTwice) {
  const Replayed r = Replay(kIpiHeldOff);
  ASSERT_TRUE(r.result.violation.has_value());
  const uint32_t step = r.result.violation->step;
  // Every row of the violating step (a step may record several events), and only those.
  const std::vector<std::string> rows = StepRows(r.html);
  ASSERT_EQ(rows.size(), r.result.trace.size());
  int marked = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const bool violating = rows[i].find("violation\"") != std::string::npos;
    EXPECT_EQ(violating, r.result.trace[i].step == step) << rows[i];
    EXPECT_TRUE(
        absl::StartsWith(rows[i], absl::StrCat("<tr data-step=\"", r.result.trace[i].step, "\"")));
    marked += violating;
  }
  EXPECT_GE(marked, 1);
  const std::string explanation = HtmlEscape(FormatViolation(*r.result.violation));
  ASSERT_FALSE(r.result.violation->explanation.empty());
  // At the top and in the row after the violating step.
  EXPECT_EQ(Count(r.html, explanation), 2);
  // The explanation row follows the violating step's last row, which is the run's last.
  const size_t row = r.html.rfind(rows.back());
  const size_t why = r.html.find("<tr class=\"why\">");
  ASSERT_NE(why, std::string::npos);
  EXPECT_EQ(why, row + rows.back().size() + 1);
  EXPECT_NE(r.html.find(absl::StrCat(" id=\"step-", step, "\"")), std::string::npos);
  EXPECT_NE(r.html.find(absl::StrCat("<a href=\"#step-", step, "\">")), std::string::npos);
  // The header.
  for (const char* field :
       {"scenario", "variant", "memory model", "TLB flush", "arch", "verdict", "trace hash"}) {
    EXPECT_NE(r.html.find(absl::StrCat("<th>", field, "</th>")), std::string::npos) << field;
  }
  EXPECT_NE(r.html.find(absl::StrFormat("%016x", r.result.trace_hash)), std::string::npos);
  EXPECT_NE(r.html.find(absl::StrCat(">", Verdict(r.result), "</span>")), std::string::npos);
}

TEST(HtmlReportTest, CleanRunHasNoViolationRow) {
  const Replayed r = Replay("gup_vs_zap/seed/refault_same_page.textproto");
  ASSERT_FALSE(r.result.violation.has_value());
  EXPECT_EQ(Count(r.html, "violation\""), 0);
  EXPECT_EQ(r.html.find("id=\"explanation\""), std::string::npos);
  EXPECT_NE(r.html.find("<span class=\"v-clean\" id=\"verdict\">clean</span>"), std::string::npos);
  EXPECT_EQ(StepRows(r.html).size(), r.result.trace.size());
}

TEST(HtmlReportTest, StoreBuffersGetTheirOwnLanesAfterTheirCpu) {
  const Replayed r =
      Replay("gup_vs_zap/regression/no_pte_recheck_broadcast_tso_reused_page.textproto");
  int agent_steps = 0;
  for (const TraceEvent& e : r.result.trace) agent_steps += e.agent >= 0;
  ASSERT_GT(agent_steps, 0) << "the TSO reproducer no longer drains a store buffer";
  EXPECT_GE(Count(r.html, "<th class=\"lane agent\">store_buffer@cpu"), 1);
  // Each agent step is in an agent lane: the header of its column is an agent's.
  std::vector<bool> agent_column = {false};
  const size_t thead = r.html.find("<thead>");
  const size_t thead_end = r.html.find("</thead>");
  const std::string head = r.html.substr(thead, thead_end - thead);
  for (absl::string_view th : absl::StrSplit(head, "<th class=\"lane ")) {
    if (absl::StartsWith(th, "cpu")) agent_column.push_back(false);
    if (absl::StartsWith(th, "agent")) agent_column.push_back(true);
  }
  const std::vector<std::string> rows = StepRows(r.html);
  ASSERT_EQ(rows.size(), r.result.trace.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const int col = OpColumn(rows[i]);
    ASSERT_GT(col, 0);
    ASSERT_LT(col, static_cast<int>(agent_column.size()));
    EXPECT_EQ(agent_column[col], r.result.trace[i].agent >= 0) << rows[i];
  }
}

TEST(HtmlReportTest, EscapesEveryText) {
  EXPECT_EQ(HtmlEscape("a<b & c>\"d\" 'e'"), "a&lt;b &amp; c&gt;&quot;d&quot; &#39;e&#39;");
  proto::Schedule schedule;
  schedule.mutable_scenario()->set_name("evil<name>&");
  schedule.mutable_scenario()->set_variant("v<1>");
  schedule.mutable_scenario()->set_num_cpus(1);
  RunResult result;
  result.outcome = Outcome::kViolation;
  Violation v;
  v.kind = ViolationKind::kDeadlock;
  v.step = 1;
  v.actor = "a<b>@cpu0";
  v.site = "f&g";
  v.explanation = "x < y && <script>alert(1)</script>";
  result.violation = v;
  static constexpr FuncInfo kFunc{"fn<&>", "mm/x.c", 0};
  TraceEvent e;
  e.func = &kFunc;
  result.trace.push_back(e);
  const std::string html = FormatHtmlReport(schedule, result);
  EXPECT_NE(html.find("x &lt; y &amp;&amp; &lt;script&gt;alert(1)&lt;/script&gt;"),
            std::string::npos);
  EXPECT_NE(html.find("evil&lt;name&gt;&amp;"), std::string::npos);
  EXPECT_NE(html.find("fn&lt;&amp;&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(html.find("evil<"), std::string::npos);
  EXPECT_EQ(html.find("x < y"), std::string::npos);
  EXPECT_EQ(html.find("fn<&"), std::string::npos);
  EXPECT_EQ(html.find("a<b>"), std::string::npos);
  // The violation was found after the last step (as a deadlock is): an end-of-run row.
  EXPECT_NE(
      html.find("<tr data-step=\"1\" id=\"step-1\" class=\"violation\"><td class=\"step\">1</td>"
                "<td colspan=\"1\">end of run</td>"),
      std::string::npos);
}

TEST(HtmlReportTest, SelfContained) {
  const Replayed r = Replay(kIpiHeldOff);
  EXPECT_EQ(r.html.find("http"), std::string::npos);
  EXPECT_EQ(r.html.find("src="), std::string::npos);
  EXPECT_EQ(r.html.find("<link"), std::string::npos);
  EXPECT_EQ(r.html.find("@import"), std::string::npos);
  EXPECT_EQ(r.html.find("url("), std::string::npos);
  EXPECT_EQ(Count(r.html, "<style>"), 1);
  EXPECT_EQ(Count(r.html, "<script>"), 1);
  EXPECT_TRUE(absl::StartsWith(r.html, "<!DOCTYPE html>"));
  EXPECT_TRUE(absl::EndsWith(r.html, "</html>\n"));
}

// A run at the step bound (10000 steps) stays one row per step, with no per-row cost that grows
// with the run (the explanation, the lanes' headers) beyond the row itself.
TEST(HtmlReportTest, StepBoundRunIsOneRowPerStep) {
  proto::Schedule schedule;
  schedule.mutable_scenario()->set_name("big");
  schedule.mutable_scenario()->set_num_cpus(4);
  static constexpr FuncInfo kFunc{"gup_fast_pte_range", "mm/gup.c", 0};
  RunResult result;
  result.outcome = Outcome::kStepBound;
  const uint32_t steps = SimOptions{}.max_steps;
  for (uint32_t i = 0; i < steps; ++i) {
    TraceEvent e;
    e.step = i;
    e.cpu = (i / 3) % 4;
    e.func = &kFunc;
    e.addr = 0x1000 + 8 * (i % 7);
    e.new_value = 0x4067;
    result.trace.push_back(e);
  }
  result.steps = steps;
  const std::string html = FormatHtmlReport(schedule, result);
  const std::vector<std::string> rows = StepRows(html);
  ASSERT_EQ(rows.size(), steps);
  for (uint32_t i = 0; i < steps; i += 997) {
    EXPECT_EQ(OpColumn(rows[i]), static_cast<int>(result.trace[i].cpu) + 1) << rows[i];
  }
  size_t row_bytes = 0;
  for (const std::string& row : rows) row_bytes += row.size() + 1;
  EXPECT_LT(html.size() - row_bytes, 8000u);  // the header, style and script: once
  EXPECT_LT(row_bytes / steps, 600u);
  EXPECT_NE(html.find("STEP BOUND reached after 10000 steps"), std::string::npos);
}

TEST(HtmlReportTest, DeterministicAndWithoutTraceSaysSo) {
  const Replayed a = Replay(kIpiHeldOff);
  const Replayed b = Replay(kIpiHeldOff);
  EXPECT_EQ(a.html, b.html);
  RunResult untraced = a.result;
  untraced.trace.clear();
  const std::string html = FormatHtmlReport(a.schedule, untraced);
  EXPECT_NE(html.find("No timeline"), std::string::npos);
  EXPECT_EQ(html.find("<table class=\"timeline\">"), std::string::npos);
  EXPECT_NE(html.find("id=\"explanation\""), std::string::npos);
}

}  // namespace
}  // namespace ptfuzz

#include "replay/html_report.h"

#include <algorithm>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "core/run.h"
#include "core/scenarios/background.h"
#include "core/trace.h"
#include "core/violation.h"
#include "replay/report.h"

namespace ptfuzz {

namespace {

// The colours the screenshot test (tests/e2e/html_screenshot_test.sh) looks for: a CPU lane's
// header and the violating row are solid blocks of colours used nowhere else on the page.
// Change them together with the test.
constexpr char kCss[] = R"css(
body{font:13px/1.35 system-ui,sans-serif;margin:12px;color:#111;background:#fff}
h1{font-size:18px;margin:0 0 6px}
table.meta{border-collapse:collapse;margin:0 0 6px}
.meta th{text-align:left;font-weight:600;padding:1px 8px 1px 0;color:#444}
.meta td{padding:1px 18px 1px 0;font-family:monospace}
.v-violation{background:#b91c1c;color:#fff;padding:0 4px}
.v-clean{background:#15803d;color:#fff;padding:0 4px}
.v-other{background:#a16207;color:#fff;padding:0 4px}
.explanation{border:2px solid #b91c1c;background:#fff1f0;padding:4px 8px;margin:6px 0;
  white-space:pre-wrap;font-family:monospace;font-size:12px}
.note{border:2px solid #a16207;background:#fefce8;padding:4px 8px;margin:6px 0;
  white-space:pre-wrap;font-family:monospace;font-size:12px}
#status{color:#444;min-height:1.3em;font-size:12px}
table.timeline{border-collapse:separate;border-spacing:0;table-layout:fixed;width:100%}
.timeline th{position:sticky;top:0;z-index:1;background:#1d4ed8;color:#fff;text-align:left;
  padding:3px 5px;border-left:2px solid #fff;font-weight:600;overflow:hidden}
.timeline th.agent{background:#7c3aed}
.timeline th.steph{background:#334155;width:3.5em;text-align:right}
.timeline th small{font-weight:400;display:block}
.timeline td{border-left:2px solid #fff;border-bottom:1px solid #e5e7eb;padding:1px 5px;
  font-family:monospace;font-size:12px;overflow-wrap:anywhere;vertical-align:top}
.timeline td.step{text-align:right;color:#555}
.timeline td.op{background:#eef2ff;cursor:pointer}
.timeline td.op.agentop{background:#f5f3ff}
.timeline tr.switch td{border-top:2px solid #94a3b8}
.fn{font-weight:700;color:#1e3a8a}
.timeline tr.violation td{background:#dc2626;color:#fff}
.timeline tr.violation .fn{color:#fff}
.timeline tr.why td{background:#fff1f0;white-space:pre-wrap;border:2px solid #b91c1c}
.timeline tr.why td:first-child{background:#fff;border:none}
.timeline td.same-loc{outline:2px solid #f59e0b;outline-offset:-2px}
)css";

// Clicking an operation outlines every step on the same location (entry, lock, refcount).
constexpr char kScript[] = R"js(
(function () {
  var cells = document.querySelectorAll('td[data-loc]');
  var status = document.getElementById('status');
  var table = document.querySelector('table.timeline');
  if (table) {
    table.addEventListener('click', function (ev) {
      var td = ev.target.closest('td[data-loc]');
      if (!td) return;
      var loc = td.classList.contains('same-loc') ? null : td.dataset.loc;
      var n = 0;
      cells.forEach(function (c) {
        var on = loc !== null && c.dataset.loc === loc;
        c.classList.toggle('same-loc', on);
        if (on) n++;
      });
      status.textContent = loc === null ? '' :
          n + ' steps on the location of step ' + td.parentElement.dataset.step +
          ' (click it again to clear)';
    });
  }
  document.body.dataset.script = 'ready';
})();
)js";

struct Lane {
  bool agent = false;
  CpuId cpu = 0;
  int agent_index = -1;
  std::string title;
  std::string subtitle;
};

// Steps on the same location get the same key: entries, litmus variables and locks by their
// location, refcounts by their frame. Other operations have none.
std::string LocKey(const TraceEvent& e) {
  switch (e.op) {
    case OpKind::kLoad:
    case OpKind::kStore:
    case OpKind::kXchg:
    case OpKind::kRmw:
    case OpKind::kDrain:
    case OpKind::kWaitChange:
    case OpKind::kSpinLock:
    case OpKind::kSpinUnlock:
      return absl::StrFormat("m%x", e.addr);
    case OpKind::kRefTryAdd:
    case OpKind::kRefAdd:
    case OpKind::kRefPut:
      return absl::StrFormat("r%x", e.addr);
    default:
      return "";
  }
}

bool IsMemoryAccess(OpKind op) {
  return op == OpKind::kLoad || op == OpKind::kStore || op == OpKind::kXchg || op == OpKind::kRmw;
}

// The raw fields of a step, one per line, for the cell's tooltip.
std::string Tooltip(const TraceEvent& e, absl::string_view who) {
  std::string t = absl::StrFormat("step %u on cpu %u (%s)\nfunction %s (%s)\nop %s", e.step, e.cpu,
                                  who, e.func->name, e.func->file, OpKindName(e.op));
  if (IsMemoryAccess(e.op)) absl::StrAppend(&t, ", access ", MemOrderName(e.order));
  absl::StrAppendFormat(&t, "\naddress %#x\nold %#x\nnew %#x\noutcome %s", e.addr, e.old_value,
                        e.new_value, e.ok ? "ok" : "failed");
  return t;
}

std::string VerdictClass(const RunResult& result) {
  if (result.violation) return "v-violation";
  return result.outcome == Outcome::kClean ? "v-clean" : "v-other";
}

}  // namespace

std::string HtmlEscape(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string FormatHtmlReport(const proto::Schedule& schedule, const RunResult& result) {
  const proto::Scenario s = WithBackgroundActors(schedule.scenario());
  const int own_actors = schedule.scenario().actors_size();

  // Lanes: every CPU of the machine (idle ones too, so the page shows the machine's shape), each
  // followed by its agents in agent order, as the scheduler lists them (core/agent.h).
  uint32_t num_cpus = s.num_cpus();
  std::map<int, CpuId> agents;  // agent index -> owner, for agents that took a step
  std::map<int, std::string> agent_names;
  for (const TraceEvent& e : result.trace) {
    num_cpus = std::max<uint32_t>(num_cpus, e.cpu + 1);
    if (e.agent >= 0 && !agents.count(e.agent)) {
      agents[e.agent] = e.cpu;
      // World::AgentName(): today every agent belongs to a CPU.
      agent_names[e.agent] = absl::StrCat(e.func->name, "@cpu", e.cpu);
    }
  }
  std::vector<Lane> lanes;
  std::vector<int> cpu_lane(num_cpus, -1);
  std::map<int, int> agent_lane;
  for (CpuId cpu = 0; cpu < num_cpus; ++cpu) {
    Lane lane;
    lane.cpu = cpu;
    lane.title = absl::StrCat("cpu ", cpu);
    lane.subtitle = "idle";
    for (int i = 0; i < s.actors_size(); ++i) {
      if (s.actors(i).cpu() != cpu) continue;
      lane.subtitle = absl::StrFormat("%s at %#x%s", ActorKindName(s.actors(i).kind()),
                                      s.actors(i).vaddr(), i >= own_actors ? " (background)" : "");
    }
    cpu_lane[cpu] = static_cast<int>(lanes.size());
    lanes.push_back(lane);
    for (const auto& [index, owner] : agents) {
      if (owner != cpu) continue;
      Lane a;
      a.agent = true;
      a.cpu = cpu;
      a.agent_index = index;
      a.title = agent_names[index];
      a.subtitle = absl::StrCat("agent ", index);
      agent_lane[index] = static_cast<int>(lanes.size());
      lanes.push_back(a);
    }
  }

  const std::string verdict = Verdict(result);
  std::string out = absl::StrFormat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width\">\n"
      "<title>ptfuzz replay: %s / %s: %s</title>\n<style>%s</style>\n</head>\n<body>\n",
      HtmlEscape(s.name()), HtmlEscape(s.variant()), HtmlEscape(verdict), kCss);
  absl::StrAppendFormat(&out, "<h1>ptfuzz replay: %s / %s</h1>\n", HtmlEscape(s.name()),
                        HtmlEscape(s.variant()));
  // The header: what ran, under which machine, and what it found.
  std::vector<std::pair<std::string, std::string>> meta = {
      {"scenario", HtmlEscape(s.name())},
      {"variant", HtmlEscape(s.variant())},
      {"memory model", HtmlEscape(MemoryModelName(MemoryModelOf(s)))},
      {"TLB flush", TlbFlushName(s.tlb_flush())},
      {"arch", ArchFlagName(s.arch())},
      {"machine", absl::StrFormat("%u cpus, %u frames", s.num_cpus(), s.num_frames())},
      {"tape",
       absl::StrFormat("%s, %d answers", schedule.canonical() ? "canonical" : "raw",
                       schedule.canonical() ? schedule.tape_size() : schedule.raw_tape_size())},
      {"verdict", absl::StrFormat("<span class=\"%s\" id=\"verdict\">%s</span>",
                                  VerdictClass(result), HtmlEscape(verdict))},
      {"steps",
       absl::StrFormat("%u, context switches %u, preemptions %u, decisions %u", result.steps,
                       result.context_switches, result.preemptions, result.tape.size())},
      {"trace hash", absl::StrFormat("%016x", result.trace_hash)},
      {"state digest", absl::StrFormat("%016x", result.state_digest)},
  };
  if (MemoryModelOf(s) != MemoryModelKind::kSc) {
    meta.push_back({"weak memory", absl::StrFormat("%u stale loads, %u buffered stores",
                                                   result.stale_loads, result.buffered_stores)});
  }
  absl::StrAppend(&out, "<table class=\"meta\">\n");
  for (size_t i = 0; i < meta.size(); i += 2) {
    absl::StrAppend(&out, "<tr>");
    for (size_t j = i; j < std::min(i + 2, meta.size()); ++j) {
      absl::StrAppendFormat(&out, "<th>%s</th><td>%s</td>", meta[j].first, meta[j].second);
    }
    absl::StrAppend(&out, "</tr>\n");
  }
  absl::StrAppend(&out, "</table>\n");

  const std::string explanation =
      result.violation ? HtmlEscape(FormatViolation(*result.violation)) : "";
  if (result.violation) {
    absl::StrAppendFormat(&out,
                          "<div class=\"explanation\" id=\"explanation\">%s"
                          "<a href=\"#step-%u\">go to step %u</a></div>\n",
                          explanation, result.violation->step, result.violation->step);
  }
  if (const std::string note = OutcomeNote(result); !note.empty()) {
    absl::StrAppend(&out, "<div class=\"note\">", HtmlEscape(note), "</div>\n");
  }
  if (result.trace.empty()) {
    absl::StrAppend(&out,
                    "<p class=\"note\">No timeline: the trace was not recorded "
                    "(--no-trace) or the run took no step.</p>\n");
  } else {
    absl::StrAppend(&out,
                    "<div id=\"status\">Hover over a step for its values; click it to outline "
                    "every step on the same location.</div>\n");
    absl::StrAppend(&out, "<table class=\"timeline\">\n<thead><tr><th class=\"steph\">step</th>");
    for (const Lane& lane : lanes) {
      absl::StrAppendFormat(&out, "<th class=\"lane %s\">%s<small>%s</small></th>",
                            lane.agent ? "agent" : "cpu", HtmlEscape(lane.title),
                            HtmlEscape(lane.subtitle));
    }
    absl::StrAppend(&out, "</tr></thead>\n<tbody>\n");
    const uint32_t violation_step = result.violation ? result.violation->step : UINT32_MAX;
    bool violation_shown = false;
    int prev_lane = -1;
    // A step may record more than one event (a TLB fill and its access): each is a row, the
    // first of a step carries the step's anchor.
    for (size_t i = 0; i < result.trace.size(); ++i) {
      const TraceEvent& e = result.trace[i];
      const bool first_of_step = i == 0 || result.trace[i - 1].step != e.step;
      const bool last_of_step = i + 1 == result.trace.size() || result.trace[i + 1].step != e.step;
      const int lane = e.agent >= 0 ? agent_lane[e.agent] : cpu_lane[e.cpu];
      std::string cls;
      if (prev_lane >= 0 && lane != prev_lane) cls = "switch";
      const bool violating = e.step == violation_step;
      if (violating) absl::StrAppend(&cls, cls.empty() ? "" : " ", "violation");
      prev_lane = lane;
      absl::StrAppendFormat(&out, "<tr data-step=\"%u\"%s%s><td class=\"step\">%u</td>", e.step,
                            first_of_step ? absl::StrCat(" id=\"step-", e.step, "\"") : "",
                            cls.empty() ? "" : absl::StrCat(" class=\"", cls, "\""), e.step);
      const std::string who =
          e.agent >= 0 ? lanes[lane].title
          : (e.actor >= 0 && e.actor < s.actors_size())
              ? absl::StrCat(ActorKindName(s.actors(e.actor).kind()), "@cpu", e.cpu)
              : absl::StrCat("(irq)@cpu", e.cpu);
      const std::string loc = LocKey(e);
      for (int l = 0; l < static_cast<int>(lanes.size()); ++l) {
        if (l != lane) {
          absl::StrAppend(&out, "<td></td>");
          continue;
        }
        // One line per row in the file: the tooltip's line breaks as character references.
        absl::StrAppendFormat(
            &out, "<td class=\"op%s\"%s title=\"%s\"><span class=\"fn\">%s</span> %s</td>",
            e.agent >= 0 ? " agentop" : "",
            loc.empty() ? "" : absl::StrCat(" data-loc=\"", loc, "\""),
            absl::StrReplaceAll(HtmlEscape(Tooltip(e, who)), {{"\n", "&#10;"}}),
            HtmlEscape(e.func->name), HtmlEscape(DescribeOp(e)));
      }
      absl::StrAppend(&out, "</tr>\n");
      if (violating && last_of_step) {
        absl::StrAppendFormat(&out, "<tr class=\"why\"><td></td><td colspan=\"%u\">%s</td></tr>\n",
                              lanes.size(), explanation);
        violation_shown = true;
      }
    }
    if (result.violation && !violation_shown) {
      // Found by the end-of-run oracles (a leak) or the scheduler (a deadlock): after every step.
      absl::StrAppendFormat(&out,
                            "<tr data-step=\"%u\" id=\"step-%u\" class=\"violation\">"
                            "<td class=\"step\">%u</td>"
                            "<td colspan=\"%u\">end of run</td></tr>\n"
                            "<tr class=\"why\"><td></td><td colspan=\"%u\">%s</td></tr>\n",
                            violation_step, violation_step, violation_step, lanes.size(),
                            lanes.size(), explanation);
    }
    absl::StrAppend(&out, "</tbody>\n</table>\n");
  }
  absl::StrAppendFormat(&out, "<script>%s</script>\n</body>\n</html>\n", kScript);
  return out;
}

}  // namespace ptfuzz

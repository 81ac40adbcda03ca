#include "replay/report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/run.h"
#include "core/scenarios/background.h"
#include "core/violation.h"

namespace ptfuzz {

namespace {

const char* ModeName(proto::TlbFlushMode mode) {
  return TlbFlushName(mode);
}

// `s` is the scenario as it ran (background actors explicit).
const char* ActorLabel(const proto::Scenario& s, const TraceEvent& e) {
  if (e.agent >= 0) return e.func->name;  // an agent (core/agent.h): "store_buffer"
  if (e.actor < 0 || e.actor >= s.actors_size()) return "(irq)";
  return ActorKindName(s.actors(e.actor).kind());
}

}  // namespace

std::string OutcomeNote(const RunResult& result) {
  switch (result.outcome) {
    case Outcome::kStepBound:
      return absl::StrFormat(
          "STEP BOUND reached after %u steps: a retry loop may be starved (possible livelock); no "
          "invariant was violated",
          result.steps);
    case Outcome::kDivergence:
      return absl::StrCat("DIVERGENCE: ", result.divergence.message());
    default:
      return "";
  }
}

std::string JsonEscape(absl::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string Verdict(const RunResult& result) {
  if (result.violation) return std::string(ViolationKindName(result.violation->kind));
  return std::string(OutcomeName(result.outcome));
}

std::string FormatViolation(const Violation& v) {
  return absl::StrFormat(
      "VIOLATION %s at step %u on cpu %u (%s, in %s)\n  invariant: %s\n  what happened: %s\n",
      ViolationKindName(v.kind), v.step, v.cpu, v.actor, v.site, ViolationInvariant(v.kind),
      v.explanation);
}

std::string FormatTextReport(const proto::Schedule& schedule, const RunResult& result) {
  // Background actors are listed as they run, after the scenario's own.
  const proto::Scenario s = WithBackgroundActors(schedule.scenario());
  const int own_actors = schedule.scenario().actors_size();
  std::string out = absl::StrFormat(
      "scenario %s, variant %s: %u cpus, tlb flush %s, %u frames, %s, memory model %s\n",
      s.name(), s.variant(), s.num_cpus(), ModeName(s.tlb_flush()), s.num_frames(),
      ArchFlagName(s.arch()), MemoryModelName(MemoryModelOf(s)));
  if (schedule.scenario().background_actors() != 0) {
    absl::StrAppendFormat(&out, "  background: %u actors on cpus %u-%u (busy machine)\n",
                          schedule.scenario().background_actors(), schedule.scenario().num_cpus(),
                          s.num_cpus() - 1);
  }
  for (const proto::Mapping& m : s.mappings()) {
    absl::StrAppendFormat(&out, "  mapped  %#x (in the TLB of cpus %#x)\n", m.vaddr(),
                          m.tlb_cpus());
  }
  for (int i = 0; i < s.actors_size(); ++i) {
    const proto::Actor& a = s.actors(i);
    absl::StrAppendFormat(&out, "  cpu %u   %s at %#x%s\n", a.cpu(),
                          proto::ActorKind_Name(a.kind()), a.vaddr(),
                          i >= own_actors ? " (background)" : "");
  }
  absl::StrAppendFormat(&out, "  tape    %s, %d answers\n",
                        schedule.canonical() ? "canonical" : "raw",
                        schedule.canonical() ? schedule.tape_size() : schedule.raw_tape_size());
  if (!result.trace.empty()) {
    absl::StrAppend(&out, "\n step  cpu  actor        function                 operation\n");
    CpuId prev = result.trace.front().cpu;
    int prev_agent = result.trace.front().agent;
    for (const TraceEvent& e : result.trace) {
      const bool switched = e.cpu != prev || e.agent != prev_agent;
      absl::StrAppendFormat(&out, "%5u %c%3u  %-12s %-24s %s\n", e.step, switched ? '>' : ' ',
                            e.cpu, ActorLabel(s, e), e.func->name, DescribeOp(e));
      prev = e.cpu;
      prev_agent = e.agent;
    }
    absl::StrAppend(&out, "('>' marks a context switch)\n");
  }
  absl::StrAppend(&out, "\n");
  if (result.violation) absl::StrAppend(&out, FormatViolation(*result.violation));
  if (const std::string note = OutcomeNote(result); !note.empty()) {
    absl::StrAppend(&out, note, "\n");
  }
  absl::StrAppendFormat(&out, "steps %u, context switches %u, preemptions %u, decisions %u\n",
                        result.steps, result.context_switches, result.preemptions,
                        result.tape.size());
  if (MemoryModelOf(s) != MemoryModelKind::kSc) {
    absl::StrAppendFormat(&out, "weak memory: %u stale loads, %u buffered stores\n",
                          result.stale_loads, result.buffered_stores);
  }
  absl::StrAppendFormat(&out, "trace hash %016x, state digest %016x\n", result.trace_hash,
                        result.state_digest);
  absl::StrAppendFormat(&out, "verdict: %s\n", Verdict(result));
  return out;
}

std::string FormatJsonReport(const proto::Schedule& schedule, const RunResult& result) {
  // num_cpus counts the background actors' CPUs (background_actors of them), as the trace does.
  const proto::Scenario s = WithBackgroundActors(schedule.scenario());
  std::string out = absl::StrFormat(
      "{\"scenario\":\"%s\",\"variant\":\"%s\",\"num_cpus\":%u,\"tlb_flush\":\"%s\","
      "\"num_frames\":%u,\"memory_model\":\"%s\",\"verdict\":\"%s\",\"outcome\":\"%s\",\"steps\":%u,"
      "\"context_switches\":%u,\"preemptions\":%u,\"stale_loads\":%u,\"buffered_stores\":%u,"
      "\"decisions\":%u,"
      "\"trace_hash\":\"%016x\",\"state_digest\":\"%016x\"",
      JsonEscape(s.name()), JsonEscape(s.variant()), s.num_cpus(), ModeName(s.tlb_flush()),
      s.num_frames(), MemoryModelName(MemoryModelOf(s)), Verdict(result), OutcomeName(result.outcome), result.steps,
      result.context_switches, result.preemptions, result.stale_loads, result.buffered_stores,
      result.tape.size(), result.trace_hash,
      result.state_digest);
  if (schedule.scenario().background_actors() != 0) {
    absl::StrAppendFormat(&out, ",\"background_actors\":%u",
                          schedule.scenario().background_actors());
  }
  if (result.violation) {
    const Violation& v = *result.violation;
    absl::StrAppendFormat(&out,
                          ",\"violation\":{\"kind\":\"%s\",\"step\":%u,\"cpu\":%u,\"actor\":\"%s\","
                          "\"site\":\"%s\",\"invariant\":\"%s\",\"explanation\":\"%s\"}",
                          ViolationKindName(v.kind), v.step, v.cpu, JsonEscape(v.actor),
                          JsonEscape(v.site), JsonEscape(ViolationInvariant(v.kind)),
                          JsonEscape(v.explanation));
  }
  if (result.outcome == Outcome::kDivergence) {
    absl::StrAppendFormat(&out, ",\"divergence\":\"%s\"", JsonEscape(result.divergence.message()));
  }
  absl::StrAppend(&out, ",\"trace\":[");
  for (size_t i = 0; i < result.trace.size(); ++i) {
    const TraceEvent& e = result.trace[i];
    absl::StrAppendFormat(&out,
                          "%s{\"step\":%u,\"cpu\":%u,\"actor\":\"%s\",\"function\":\"%s\","
                          "\"op\":\"%s\",\"addr\":%u,\"old\":%u,\"new\":%u,\"text\":\"%s\"}",
                          i ? "," : "", e.step, e.cpu, ActorLabel(s, e), e.func->name,
                          OpKindName(e.op), e.addr, e.old_value, e.new_value,
                          JsonEscape(DescribeOp(e)));
  }
  absl::StrAppend(&out, "]}\n");
  return out;
}

}  // namespace ptfuzz

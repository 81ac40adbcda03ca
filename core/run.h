// Running a schedule: validate its scenario, build a fresh World, attach the actors, run.
//
// This is the one entry point the fuzz target, the CLI, the minimizer, the benchmarks and the
// tests share, so all of them execute a schedule identically. RunScenario() and RunSchedule()
// (run.cc) construct the protocol actors and are linked into ptfuzz_core / ptfuzz_core_cov;
// everything else here (scenario_check.cc) is in ptfuzz_scenarios.
#ifndef PTFUZZ_CORE_RUN_H_
#define PTFUZZ_CORE_RUN_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "core/decider.h"
#include "core/strict_decider.h"
#include "core/world.h"
#include "proto/schedule.pb.h"

namespace ptfuzz {

// kInvalidArgument naming the field and what is wrong, or OK. Checks the scenario is built in,
// the variant exists, and every count, CPU, address and actor kind is within limits.
absl::Status ValidateScenario(const proto::Scenario& scenario);

// REQUIRES: ValidateScenario(scenario).ok(). Builds and runs a World.
RunResult RunScenario(const proto::Scenario& scenario, Decider& decider,
                      const SimOptions& options);

// Runs `schedule` the way its tape asks: a canonical tape under a StrictDecider, a raw one under
// a TapeDecider. REQUIRES: ValidateScenario(schedule.scenario()).ok().
RunResult RunSchedule(const proto::Schedule& schedule, const SimOptions& options);
// A canonical schedule replayed with a RebaseDecider (core/strict_decider.h) instead of strictly.
RunResult RunScheduleRebased(const proto::Schedule& schedule, const SimOptions& options);

// Raw interpretation of any tape (the fuzzer's view): `raw_tape`, or the canonical answers
// without their kinds.
std::vector<uint32_t> RawTape(const proto::Schedule& schedule);
// Replaces the tape of `schedule` by the raw answers `tape` and marks it not canonical.
void SetRawTape(const std::vector<uint32_t>& tape, proto::Schedule* schedule);
// The canonical entries; kInvalidArgument when an entry lacks its kind or option count.
absl::Status CanonicalTape(const proto::Schedule& schedule, std::vector<CanonicalDecision>* out);
// Replaces the tape of `schedule` with `tape` and marks it canonical.
void SetCanonicalTape(const std::vector<CanonicalDecision>& tape, proto::Schedule* schedule);

// Keeps the first `size` answers of a raw tape.
inline void TruncateTape(google::protobuf::RepeatedField<uint32_t>* tape, int size) {
  if (size < tape->size()) tape->Truncate(size);
}

// "gup_fast", "zap", "anon_fault": how traces and reports name an actor kind.
const char* ActorKindName(proto::ActorKind kind);
// The names flags and reports use: "ipi", "broadcast", "paravirt"; "x86_64", "x86_pae",
// "arm64". The parsers return false for any other name.
const char* TlbFlushName(proto::TlbFlushMode mode);
bool TlbFlushFromName(absl::string_view name, proto::TlbFlushMode* mode);
const char* ArchFlagName(proto::Arch arch);
bool ArchFromName(absl::string_view name, proto::Arch* arch);

// The memory model a validated scenario runs under (its own, or its architecture's).
MemoryModelKind MemoryModelOf(const proto::Scenario& scenario);

// Machine configuration of a validated scenario.
MachineConfig MachineConfigOf(const proto::Scenario& scenario);
// The page-table geometry of a scenario (Scenario.geometry, the arch's folding style).
PtGeometry GeometryOf(const proto::Scenario& scenario);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_RUN_H_

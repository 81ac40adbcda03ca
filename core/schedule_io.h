// Reading and writing schedules (proto/schedule.proto) in binary and text form.
//
// Inputs may be binary (what libFuzzer writes) or text (.textproto, what corpus/ stores and people
// edit). ParseSchedule() decides by content, the same way in the fuzz target and the CLI, so any
// file replays exactly as the fuzzer ran it: a first byte that can start a text-format field
// (a letter, '#', whitespace) means text, anything else binary. A binary Schedule always starts
// with a field tag byte (0x08 for format_version, 0x12 for scenario, ...), never a letter.
//
// LoadScheduleFile() is for people: errors name the file and what is wrong (line and column for
// text, "truncated or not a Schedule" for binary), a format_version mismatch is
// kFailedPrecondition, and the scenario is validated.
#ifndef PTFUZZ_CORE_SCHEDULE_IO_H_
#define PTFUZZ_CORE_SCHEDULE_IO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/schedule.pb.h"

namespace ptfuzz {

// True when `bytes` would be parsed as text.
bool LooksLikeText(absl::string_view bytes);

// Parses binary or text by content. kInvalidArgument with a description on failure; no file name.
absl::Status ParseSchedule(absl::string_view bytes, proto::Schedule* schedule);

// Reads an older schedule as the current version it means; ParseSchedule() calls it. Version 1
// (no memory model, no architecture) becomes version 2 with ARCH_X86_64 and MEMORY_MODEL_SC;
// version 2 becomes 3 unless it is a canonical arm64 tape (docs/schedule-format.md, Upgrading).
void UpgradeSchedule(proto::Schedule* schedule);

// Checks format_version and the scenario.
absl::Status CheckSchedule(const proto::Schedule& schedule);

// Reads, parses and checks `path`; every error message starts with the path. `rebase`: accept a
// version-2 canonical arm64 tape, for `ptfuzz replay --rebase` to re-record.
absl::StatusOr<proto::Schedule> LoadScheduleFile(const std::string& path, bool rebase = false);

std::string ScheduleToText(const proto::Schedule& schedule);
// Writes text when `path` ends in .textproto / .txtpb / .pbtxt, binary otherwise.
absl::Status SaveScheduleFile(const proto::Schedule& schedule, const std::string& path);

}  // namespace ptfuzz

#endif  // PTFUZZ_CORE_SCHEDULE_IO_H_

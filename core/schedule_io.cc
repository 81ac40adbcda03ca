#include "core/schedule_io.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/format_version.h"
#include "core/run.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace ptfuzz {

namespace {

class TextErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (first_.empty()) first_ = absl::StrCat("line ", line + 1, ", column ", column + 1, ": ", message);
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

bool HasTextExtension(absl::string_view path) {
  return absl::EndsWith(path, ".textproto") || absl::EndsWith(path, ".txtpb") ||
         absl::EndsWith(path, ".pbtxt");
}

}  // namespace

bool LooksLikeText(absl::string_view bytes) {
  if (bytes.empty()) return false;
  const unsigned char c = static_cast<unsigned char>(bytes[0]);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '#' || c == ' ' ||
         c == '\n' || c == '\t' || c == '\r';
}

absl::Status ParseSchedule(absl::string_view bytes, proto::Schedule* schedule) {
  schedule->Clear();
  if (LooksLikeText(bytes)) {
    google::protobuf::TextFormat::Parser parser;
    TextErrors errors;
    parser.RecordErrorsTo(&errors);
    if (!parser.ParseFromString(std::string(bytes), schedule)) {
      return absl::InvalidArgumentError(absl::StrCat("text format: ", errors.first()));
    }
    UpgradeSchedule(schedule);
    return absl::OkStatus();
  }
  if (!schedule->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError(
        "binary format: truncated or not a Schedule message (protobuf parse failed)");
  }
  UpgradeSchedule(schedule);
  return absl::OkStatus();
}

void UpgradeSchedule(proto::Schedule* schedule) {
  if (schedule->format_version() == 1) {
    // Version 1 had no memory model and no architecture: it ran x86-64 primitives under SC. Its
    // tapes mean the same under MEMORY_MODEL_SC (no yield point or option changed there).
    schedule->set_format_version(2);
    if (schedule->has_scenario()) {
      schedule->mutable_scenario()->set_arch(proto::ARCH_X86_64);
      schedule->mutable_scenario()->set_memory_model(proto::MEMORY_MODEL_SC);
    }
  }
  if (schedule->format_version() == 2) {
    // Version 3: arm64 GUP-fast reloads the pgd entry for the statically folded p4d through the
    // live pointer (36639013b346), one more step. Every other version-2 tape, and every raw tape
    // (any raw tape is a valid input), means the same; a canonical arm64 tape does not and stays
    // version 2, which CheckSchedule() refuses with the way to re-record it.
    const bool arm64 = schedule->has_scenario() && schedule->scenario().arch() == proto::ARCH_ARM64;
    if (!arm64 || !schedule->canonical()) schedule->set_format_version(3);
  }
}

absl::Status CheckSchedule(const proto::Schedule& schedule) {
  if (schedule.format_version() == 2) {
    return absl::FailedPreconditionError(
        "format_version is 2 and the canonical tape is arm64's: it was recorded before arm64 "
        "GUP-fast reloaded the folded p4d (version 3); re-record it with `ptfuzz replay FILE "
        "--rebase --save-canonical=OUT` and check the verdict");
  }
  if (schedule.format_version() != kFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("format_version is ", schedule.format_version(), ", this ptfuzz reads ",
                     kFormatVersion, " (a tape's meaning depends on it; re-minimize the file "
                     "with the ptfuzz that wrote it)"));
  }
  if (!schedule.has_scenario()) return absl::InvalidArgumentError("no scenario");
  if (!schedule.canonical() && schedule.tape_size() > 0) {
    return absl::InvalidArgumentError(
        "`tape` entries are canonical (kind, num_options, value) and need `canonical: true`; "
        "write raw answers as `raw_tape: [...]`");
  }
  if (schedule.canonical() && schedule.raw_tape_size() > 0) {
    return absl::InvalidArgumentError("a canonical schedule cannot also have a `raw_tape`");
  }
  return ValidateScenario(schedule.scenario());
}

absl::StatusOr<proto::Schedule> LoadScheduleFile(const std::string& path, bool rebase) {
  // A directory opens as a stream that reads nothing; say what it is rather than "empty file".
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory"));
  }
  // Refused before reading: protobuf takes an int size, and no schedule comes near this (a
  // corpus file is a few kilobytes; a million-answer tape is a few megabytes).
  constexpr uintmax_t kMaxScheduleBytes = uintmax_t{1} << 30;
  if (const uintmax_t size = std::filesystem::file_size(path, ec);
      !ec && size > kMaxScheduleBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", size, " bytes, more than a schedule may have (1 GiB)"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open file"));
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return absl::InvalidArgumentError(absl::StrCat(path, ": read error"));
  const std::string bytes = buf.str();
  if (bytes.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": empty file"));
  proto::Schedule schedule;
  absl::Status st = ParseSchedule(bytes, &schedule);
  // A tape of an older model version, to be replayed by a RebaseDecider and re-recorded.
  if (st.ok() && rebase && schedule.format_version() == 2) schedule.set_format_version(3);
  if (st.ok()) st = CheckSchedule(schedule);
  if (!st.ok()) return absl::Status(st.code(), absl::StrCat(path, ": ", st.message()));
  return schedule;
}

std::string ScheduleToText(const proto::Schedule& schedule) {
  // Everything but the tape in the usual layout, then one canonical tape entry per line and the
  // raw answers as one list: a tape is read as a sequence, not as nested blocks.
  proto::Schedule head = schedule;
  head.clear_tape();
  head.clear_raw_tape();
  std::string text;
  google::protobuf::TextFormat::Printer printer;
  printer.PrintToString(head, &text);
  google::protobuf::TextFormat::Printer one_line;
  one_line.SetSingleLineMode(true);
  for (const proto::Decision& d : schedule.tape()) {
    std::string entry;
    one_line.PrintToString(d, &entry);
    while (!entry.empty() && entry.back() == ' ') entry.pop_back();
    absl::StrAppend(&text, "tape { ", entry, " }\n");
  }
  if (schedule.raw_tape_size() > 0) {
    absl::StrAppend(&text, "raw_tape: [", absl::StrJoin(schedule.raw_tape(), ", "), "]\n");
  }
  // Addresses read better in hex, as the kernel prints them; the parser accepts both.
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    const size_t colon = line.find("vaddr: ");
    uint64_t value = 0;
    if (colon != absl::string_view::npos &&
        absl::SimpleAtoi(line.substr(colon + 7), &value)) {
      absl::StrAppend(&out, line.substr(0, colon + 7), "0x", absl::Hex(value), "\n");
    } else if (!line.empty()) {
      absl::StrAppend(&out, line, "\n");
    }
  }
  return out;
}

absl::Status SaveScheduleFile(const proto::Schedule& schedule, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::InternalError(absl::StrCat(path, ": cannot write file"));
  if (HasTextExtension(path)) {
    out << ScheduleToText(schedule);
  } else {
    out << schedule.SerializeAsString();
  }
  out.close();
  if (!out) return absl::InternalError(absl::StrCat(path, ": write failed"));
  return absl::OkStatus();
}

}  // namespace ptfuzz

#include "core/schedule_io.h"

#include <cstdio>
#include <fstream>
#include <string>

#include "core/format_version.h"
#include "core/run.h"
#include "core/scenarios/registry.h"
#include "gtest/gtest.h"

namespace ptfuzz {
namespace {

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/" + name;
}

void Write(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

proto::Schedule Default() {
  proto::Schedule s;
  s.set_format_version(kFormatVersion);
  *s.mutable_scenario() = FindScenario("gup_vs_zap")->default_scenario();
  s.add_raw_tape(1);
  return s;
}

TEST(ScheduleIoTest, TextAndBinaryRoundTrip) {
  const proto::Schedule s = Default();
  for (const char* name : {"a.textproto", "a.bin"}) {
    const std::string path = TempPath(name);
    ASSERT_TRUE(SaveScheduleFile(s, path).ok());
    absl::StatusOr<proto::Schedule> loaded = LoadScheduleFile(path);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_EQ(loaded->SerializeAsString(), s.SerializeAsString());
  }
}

TEST(ScheduleIoTest, TextIsDetectedByContentNotName) {
  const std::string path = TempPath("text_without_extension");
  Write(path, ScheduleToText(Default()));
  EXPECT_TRUE(LoadScheduleFile(path).ok());
}

TEST(ScheduleIoTest, MissingFileNamesThePath) {
  const absl::StatusOr<proto::Schedule> r = LoadScheduleFile("/nonexistent/x.textproto");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/nonexistent/x.textproto: cannot open"),
            absl::string_view::npos);
}

TEST(ScheduleIoTest, TruncatedBinaryIsAnError) {
  const std::string bytes = Default().SerializeAsString();
  const std::string path = TempPath("truncated.bin");
  Write(path, bytes.substr(0, bytes.size() / 2));
  const absl::StatusOr<proto::Schedule> r = LoadScheduleFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("truncated"), absl::string_view::npos) << r.status();
}

TEST(ScheduleIoTest, TextSyntaxErrorGivesLineAndColumn) {
  const std::string path = TempPath("bad.textproto");
  Write(path, "format_version: 1\nscenario {\n  name: \"gup_vs_zap\"\n  num_cpus: three\n}\n");
  const absl::StatusOr<proto::Schedule> r = LoadScheduleFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line 4"), absl::string_view::npos) << r.status();
}

TEST(ScheduleIoTest, UnknownScenarioAndVariantAreNamed) {
  proto::Schedule s = Default();
  s.mutable_scenario()->set_name("gup_vs_nothing");
  EXPECT_NE(CheckSchedule(s).message().find("unknown scenario \"gup_vs_nothing\""),
            absl::string_view::npos);
  s = Default();
  s.mutable_scenario()->set_variant("wrong");
  EXPECT_NE(CheckSchedule(s).message().find("unknown variant \"wrong\""), absl::string_view::npos);
}

TEST(ScheduleIoTest, FormatVersionMismatchIsFailedPrecondition) {
  proto::Schedule s = Default();
  s.set_format_version(kFormatVersion + 1);
  EXPECT_EQ(CheckSchedule(s).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ScheduleIoTest, ScenarioLimitsAreChecked) {
  proto::Schedule s = Default();
  s.mutable_scenario()->set_num_cpus(0);
  EXPECT_FALSE(CheckSchedule(s).ok());
  s = Default();
  s.mutable_scenario()->mutable_actors(0)->set_vaddr(0x1234);
  EXPECT_NE(CheckSchedule(s).message().find("not page-aligned"), absl::string_view::npos);
  s = Default();
  s.mutable_scenario()->mutable_actors(1)->set_cpu(0);
  EXPECT_NE(CheckSchedule(s).message().find("already has an actor"), absl::string_view::npos);
  s = Default();
  s.mutable_scenario()->set_num_frames(1000);
  EXPECT_FALSE(CheckSchedule(s).ok());
}

TEST(ScheduleIoTest, VersionOneIsReadAsScOnX86) {
  // A version-1 file has no arch or memory model; it ran x86-64 primitives under SC.
  const std::string v1 =
      "format_version: 1\n"
      "scenario { name: \"gup_vs_zap\" variant: \"fixed\" num_cpus: 2 num_frames: 8\n"
      "  mappings { vaddr: 0x7f0000000000 }\n"
      "  actors { kind: ACTOR_GUP_FAST vaddr: 0x7f0000000000 }\n"
      "  actors { kind: ACTOR_ZAP cpu: 1 vaddr: 0x7f0000000000 } }\n"
      "raw_tape: [0, 1]\n";
  proto::Schedule s;
  ASSERT_TRUE(ParseSchedule(v1, &s).ok());
  EXPECT_EQ(s.format_version(), kFormatVersion);
  EXPECT_EQ(s.scenario().memory_model(), proto::MEMORY_MODEL_SC);
  EXPECT_EQ(s.scenario().arch(), proto::ARCH_X86_64);
  EXPECT_TRUE(CheckSchedule(s).ok());
  // Binary too.
  proto::Schedule binary_v1 = s;
  binary_v1.set_format_version(1);
  binary_v1.mutable_scenario()->clear_memory_model();
  binary_v1.mutable_scenario()->clear_arch();
  proto::Schedule from_binary;
  ASSERT_TRUE(ParseSchedule(binary_v1.SerializeAsString(), &from_binary).ok());
  EXPECT_EQ(from_binary.SerializeAsString(), s.SerializeAsString());
}

// Version 3 added a step to arm64 GUP-fast (the folded p4d's reload). Version-2 tapes of every
// other configuration, and raw tapes, are read as version 3; a canonical arm64 tape is refused
// with the way to re-record it, which --rebase (LoadScheduleFile(path, true)) takes.
TEST(ScheduleIoTest, VersionTwoUpgradesExceptCanonicalArm64Tapes) {
  proto::Schedule x86 = Default();
  x86.set_format_version(2);
  x86.set_canonical(true);
  UpgradeSchedule(&x86);
  EXPECT_EQ(x86.format_version(), 3u);

  const std::string golden = std::string(PTFUZZ_GOLDEN_DIR) + "/v2_arm64_canonical.textproto";
  const absl::StatusOr<proto::Schedule> refused = LoadScheduleFile(golden);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("--rebase"), absl::string_view::npos)
      << refused.status();
  const absl::StatusOr<proto::Schedule> rebased = LoadScheduleFile(golden, /*rebase=*/true);
  ASSERT_TRUE(rebased.ok()) << rebased.status();
  EXPECT_EQ(rebased->format_version(), kFormatVersion);

  proto::Schedule raw_arm64;
  ASSERT_TRUE(ParseSchedule(ScheduleToText(*rebased), &raw_arm64).ok());
  raw_arm64.set_format_version(2);
  SetRawTape(RawTape(raw_arm64), &raw_arm64);
  UpgradeSchedule(&raw_arm64);
  EXPECT_EQ(raw_arm64.format_version(), 3u);
}

TEST(ScheduleIoTest, ArchAndMemoryModelAreValidated) {
  proto::Schedule s = Default();
  s.mutable_scenario()->set_arch(proto::ARCH_X86_PAE);
  s.mutable_scenario()->set_tlb_flush(proto::TLB_FLUSH_PARAVIRT);
  EXPECT_TRUE(CheckSchedule(s).ok());
  s = Default();
  s.mutable_scenario()->set_arch(proto::ARCH_ARM64);
  s.mutable_scenario()->set_tlb_flush(proto::TLB_FLUSH_IPI);
  EXPECT_NE(CheckSchedule(s).message().find("never by IPI"), absl::string_view::npos);
  s.mutable_scenario()->set_tlb_flush(proto::TLB_FLUSH_PARAVIRT);
  EXPECT_NE(CheckSchedule(s).message().find("TLB_FLUSH_PARAVIRT with arch ARCH_ARM64"),
            absl::string_view::npos);
  s.mutable_scenario()->set_tlb_flush(proto::TLB_FLUSH_BROADCAST);
  EXPECT_TRUE(CheckSchedule(s).ok());
  s.mutable_scenario()->set_memory_model(static_cast<proto::MemoryModel>(9));
  EXPECT_NE(CheckSchedule(s).message().find("not a MemoryModel"), absl::string_view::npos);
}

TEST(ScheduleIoTest, MixedTapeFlavoursAreRejected) {
  proto::Schedule s = Default();
  s.add_tape()->set_value(1);  // canonical entries without canonical: true
  EXPECT_NE(CheckSchedule(s).message().find("canonical: true"), absl::string_view::npos);
}

}  // namespace
}  // namespace ptfuzz

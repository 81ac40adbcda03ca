// Schema evolution gate: the frozen schedules in tests/replay/golden, one or more per format
// version that ever existed (text and binary), keep loading and replay to the verdict, trace hash
// and state digest their MANIFEST records. A version-1 or version-2 file is read through
// UpgradeSchedule() (core/schedule_io.cc); the version-2 canonical arm64 tape, which plain replay
// refuses, through the rebase path of `ptfuzz replay --rebase`.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "core/format_version.h"
#include "core/run.h"
#include "core/schedule_io.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "replay/report.h"

namespace ptfuzz {
namespace {

struct Golden {
  std::string file;
  std::string mode;  // "replay" or "rebase"
  std::string verdict;
  std::string trace_hash;
  std::string state_digest;
};

std::string GoldenDir() { return PTFUZZ_GOLDEN_DIR; }

std::vector<Golden> ReadManifest() {
  std::ifstream in(GoldenDir() + "/MANIFEST");
  std::vector<Golden> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    Golden g;
    fields >> g.file >> g.mode >> g.verdict >> g.trace_hash >> g.state_digest;
    out.push_back(g);
  }
  return out;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// The format_version the file was written with, before any upgrade.
uint32_t WrittenVersion(const std::string& path) {
  const std::string bytes = ReadBytes(path);
  proto::Schedule s;
  const bool ok = LooksLikeText(bytes) ? google::protobuf::TextFormat::ParseFromString(bytes, &s)
                                       : s.ParseFromString(bytes);
  EXPECT_TRUE(ok) << path;
  return s.format_version();
}

TEST(GoldenVersionsTest, ManifestListsEveryGoldenFile) {
  const std::vector<Golden> manifest = ReadManifest();
  ASSERT_GE(manifest.size(), 3u);
  std::set<std::string> listed;
  for (const Golden& g : manifest) listed.insert(g.file);
  for (const auto& entry : std::filesystem::directory_iterator(GoldenDir())) {
    const std::string name = entry.path().filename().string();
    if (name == "MANIFEST") continue;
    EXPECT_TRUE(listed.count(name)) << name << " is not in tests/replay/golden/MANIFEST";
  }
}

TEST(GoldenVersionsTest, EveryFormatVersionHasAGolden) {
  std::set<uint32_t> versions;
  for (const Golden& g : ReadManifest())
    versions.insert(WrittenVersion(GoldenDir() + "/" + g.file));
  for (uint32_t v = 1; v <= kFormatVersion; ++v) {
    EXPECT_TRUE(versions.count(v))
        << "no golden schedule of format_version " << v << " in tests/replay/golden";
  }
  EXPECT_FALSE(versions.count(kFormatVersion + 1)) << "a golden newer than this ptfuzz";
}

TEST(GoldenVersionsTest, EachGoldenReplaysToItsRecordedVerdictAndHashes) {
  for (const Golden& g : ReadManifest()) {
    SCOPED_TRACE(g.file);
    const std::string path = GoldenDir() + "/" + g.file;
    const bool rebase = g.mode == "rebase";
    ASSERT_TRUE(rebase || g.mode == "replay") << "mode " << g.mode;
    if (rebase) {
      // Plain replay must refuse it (with the way to re-record it), not reinterpret it.
      absl::StatusOr<proto::Schedule> plain = LoadScheduleFile(path);
      ASSERT_FALSE(plain.ok());
      EXPECT_EQ(plain.status().code(), absl::StatusCode::kFailedPrecondition);
      EXPECT_NE(plain.status().message().find("--rebase"), absl::string_view::npos);
    }
    absl::StatusOr<proto::Schedule> schedule = LoadScheduleFile(path, rebase);
    ASSERT_TRUE(schedule.ok()) << schedule.status();
    EXPECT_EQ(schedule->format_version(), kFormatVersion);
    SimOptions options;
    options.record_trace = false;
    const RunResult result =
        rebase ? RunScheduleRebased(*schedule, options) : RunSchedule(*schedule, options);
    ASSERT_NE(result.outcome, Outcome::kDivergence) << result.divergence;
    EXPECT_EQ(Verdict(result), g.verdict);
    if (!schedule->expect().verdict().empty())
      EXPECT_EQ(Verdict(result), schedule->expect().verdict());
    EXPECT_EQ(absl::StrFormat("%016x", result.trace_hash), g.trace_hash);
    EXPECT_EQ(absl::StrFormat("%016x", result.state_digest), g.state_digest);
  }
}

}  // namespace
}  // namespace ptfuzz

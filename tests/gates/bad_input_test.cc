// Bad-input gate: thousands of deterministic mutants of the real corpus and litmus files go
// through the path `ptfuzz replay` and `ptfuzz litmus` take (LoadScheduleFile(), RunSchedule(),
// the reports; LoadLitmusFile(), ExploreLitmus()). Each must end as the CLI's exit 2 with a
// message that starts with the file's path and says what is wrong, or, for a mutant that is still
// a valid input, as a normal run; never a crash (ASan/UBSan builds catch the quiet ones) or a hang
// (ctest's timeout). tests/gates/bad_input_cli_test.py sends a few hundred mutants through the
// binary itself.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "core/format_version.h"
#include "core/litmus/explore.h"
#include "core/litmus/litmus.h"
#include "core/run.h"
#include "core/schedule_io.h"
#include "core/splitmix.h"
#include "gtest/gtest.h"
#include "replay/litmus_command.h"
#include "replay/report.h"

namespace ptfuzz {
namespace {

namespace fs = std::filesystem;

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

void Write(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::vector<std::string> FilesUnder(const std::string& dir, absl::string_view suffix) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && absl::EndsWith(e.path().string(), suffix)) {
      out.push_back(e.path().string());
    }
  }
  std::sort(out.begin(), out.end());  // directory order is not deterministic
  return out;
}

// What `ptfuzz replay PATH` would exit with, through the same calls; the message of an exit 2.
struct Replayed {
  int exit_code = 0;
  std::string message;
};

Replayed ReplayLikeTheCli(const std::string& path) {
  absl::StatusOr<proto::Schedule> schedule = LoadScheduleFile(path);
  if (!schedule.ok()) return {2, std::string(schedule.status().message())};
  const RunResult result = RunSchedule(*schedule, SimOptions{});
  // The reports read every part of the result; they must not trip over an odd one.
  EXPECT_FALSE(FormatTextReport(*schedule, result).empty());
  EXPECT_FALSE(FormatJsonReport(*schedule, result).empty());
  if (result.outcome == Outcome::kDivergence) {
    return {2, absl::StrCat(path, ": ", result.divergence.message())};
  }
  return {result.violation ? 1 : 0, ""};
}

// --- Mutators: each a pure function of its input and the generator. ---

std::string Truncate(const std::string& b, SplitMix64& rng) {
  return b.substr(0, b.empty() ? 0 : rng.Below(static_cast<uint32_t>(b.size())));
}

std::string FlipBits(std::string b, SplitMix64& rng) {
  const uint32_t flips = 1 + rng.Below(4);
  for (uint32_t i = 0; i < flips && !b.empty(); ++i) {
    b[rng.Below(static_cast<uint32_t>(b.size()))] ^= static_cast<char>(1u << rng.Below(8));
  }
  return b;
}

std::string InsertBytes(std::string b, SplitMix64& rng) {
  const uint32_t at = rng.Below(static_cast<uint32_t>(b.size()) + 1);
  std::string junk;
  for (uint32_t n = 1 + rng.Below(8); n > 0; --n) junk.push_back(static_cast<char>(rng.Below(256)));
  return b.insert(at, junk);
}

// Values a field can be given that no sane file has.
constexpr const char* kOddValues[] = {"0",
                                      "1",
                                      "7",
                                      "9",
                                      "64",
                                      "65535",
                                      "4294967295",
                                      "4294967296",
                                      "-1",
                                      "2147483648",
                                      "1000000000",
                                      "18446744073709551615",
                                      "0x7fffffffffff000",
                                      "0xffffffffffffffff",
                                      "1e9",
                                      "\"x\"",
                                      "TLB_FLUSH_BOGUS",
                                      "ACTOR_NONE",
                                      "DECISION_NOPE",
                                      "MEMORY_MODEL_RELAXED",
                                      "ARCH_S390",
                                      "ARCH_X86_PAE",
                                      "99",
                                      "true"};

// Replaces the value of one `key: value` field (numbers, enums, strings) by an odd one.
std::string ChangeFieldValue(const std::string& text, SplitMix64& rng) {
  std::vector<size_t> colons;
  for (size_t i = text.find(": "); i != std::string::npos; i = text.find(": ", i + 1)) {
    colons.push_back(i);
  }
  if (colons.empty()) return text;
  const size_t colon = colons[rng.Below(static_cast<uint32_t>(colons.size()))];
  const size_t start = colon + 2;
  size_t end = start;
  while (end < text.size() && text[end] != ' ' && text[end] != '\n' && text[end] != '}' &&
         text[end] != ',' && text[end] != ']') {
    ++end;
  }
  const std::string value = kOddValues[rng.Below(std::size(kOddValues))];
  return absl::StrCat(text.substr(0, start), value, text.substr(end));
}

// Deletes, duplicates or swaps whole lines: unbalanced braces, repeated fields.
std::string ShuffleLines(const std::string& text, SplitMix64& rng) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (lines.size() < 2) return text;
  const uint32_t i = rng.Below(static_cast<uint32_t>(lines.size()));
  const uint32_t j = rng.Below(static_cast<uint32_t>(lines.size()));
  switch (rng.Below(3)) {
    case 0:
      lines.erase(lines.begin() + i);
      break;
    case 1:
      lines.insert(lines.begin() + i, lines[j]);
      break;
    default:
      std::swap(lines[i], lines[j]);
  }
  return absl::StrJoin(lines, "\n");
}

// A valid schedule with a tape far longer than any run, or answers and option counts that no
// decision point has.
std::string OddTape(const proto::Schedule& base, SplitMix64& rng, bool binary) {
  proto::Schedule s = base;
  const uint32_t n = 1000 + rng.Below(50000);
  switch (rng.Below(3)) {
    case 0:
      s.clear_tape();
      s.set_canonical(false);
      for (uint32_t i = 0; i < n; ++i) s.add_raw_tape(static_cast<uint32_t>(rng.Next()));
      break;
    case 1:
      s.clear_raw_tape();
      s.set_canonical(true);
      for (uint32_t i = 0; i < n; ++i) {
        proto::Decision* d = s.add_tape();
        d->set_kind(static_cast<proto::DecisionKind>(rng.Below(8)));
        d->set_num_options(static_cast<uint32_t>(rng.Next()));
        d->set_value(static_cast<uint32_t>(rng.Next()));
      }
      break;
    default:
      for (proto::Decision& d : *s.mutable_tape()) {
        if (rng.OneIn(3)) d.set_value(d.num_options() + rng.Below(3));
        if (rng.OneIn(5)) d.set_num_options(rng.Below(2));
      }
  }
  return binary ? s.SerializeAsString() : ScheduleToText(s);
}

class BadInputTest : public ::testing::Test {
 protected:
  std::string Tmp(const std::string& name) { return ::testing::TempDir() + "/bad_input_" + name; }

  // Checks one mutant; counts what it became.
  void Check(const std::string& path, const std::string& how) {
    const Replayed r = ReplayLikeTheCli(path);
    ++exits_[r.exit_code];
    if (r.exit_code == 2) {
      EXPECT_TRUE(absl::StartsWith(r.message, path + ": ")) << how << ": " << r.message;
      EXPECT_GT(r.message.size(), path.size() + 4) << how << ": no problem named";
    } else {
      EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << how;
    }
  }

  std::map<int, int> exits_;
};

TEST_F(BadInputTest, ThousandsOfMutatedSchedulesExitTwoOrRun) {
  const std::vector<std::string> seeds = FilesUnder(PTFUZZ_CORPUS_DIR, ".textproto");
  ASSERT_GE(seeds.size(), 100u);
  SplitMix64 rng(0x5eed0bad1);
  int mutants = 0;
  for (const std::string& seed : seeds) {
    const std::string text = ReadBytes(seed);
    proto::Schedule parsed;
    ASSERT_TRUE(ParseSchedule(text, &parsed).ok()) << seed;
    const std::string binary = parsed.SerializeAsString();
    for (int round = 0; round < 8; ++round) {
      const std::string text_path = Tmp("m.textproto");
      const std::string bin_path = Tmp("m.bin");
      struct Mutant {
        const std::string* path;
        std::string bytes;
        const char* how;
      };
      const Mutant list[] = {
          {&bin_path, Truncate(binary, rng), "truncated binary"},
          {&bin_path, FlipBits(binary, rng), "bit flips in binary"},
          {&bin_path, InsertBytes(binary, rng), "bytes inserted in binary"},
          {&text_path, Truncate(text, rng), "truncated text"},
          {&text_path, FlipBits(text, rng), "bit flips in text"},
          {&text_path, InsertBytes(text, rng), "bytes inserted in text"},
          {&text_path, ChangeFieldValue(text, rng), "field value changed"},
          {&text_path, ChangeFieldValue(ChangeFieldValue(text, rng), rng), "two values changed"},
          {&text_path, ShuffleLines(text, rng), "lines shuffled"},
      };
      for (const Mutant& m : list) {
        Write(*m.path, m.bytes);
        Check(*m.path, absl::StrCat(m.how, " of ", seed, ", round ", round));
        ++mutants;
      }
      if (round < 2) {
        const bool as_binary = round == 0;
        Write(as_binary ? bin_path : text_path, OddTape(parsed, rng, as_binary));
        Check(as_binary ? bin_path : text_path, absl::StrCat("odd tape of ", seed));
        ++mutants;
      }
    }
  }
  // The mutants must exercise both sides: most are refused, and some still run.
  EXPECT_GE(mutants, 5000);
  EXPECT_GT(exits_[2], mutants / 4);
  EXPECT_GT(exits_[0] + exits_[1], mutants / 20);
  std::printf("%d mutants: %d exit 0, %d exit 1, %d exit 2\n", mutants, exits_[0], exits_[1],
              exits_[2]);
}

TEST_F(BadInputTest, GarbageBinariesExitTwo) {
  SplitMix64 rng(0x9a7ba9e);
  const std::string path = Tmp("garbage.bin");
  for (int i = 0; i < 2000; ++i) {
    std::string bytes;
    for (uint32_t n = 1 + rng.Below(300); n > 0; --n)
      bytes.push_back(static_cast<char>(rng.Below(256)));
    Write(path, bytes);
    Check(path, absl::StrCat("garbage ", i));
  }
  // Random bytes are almost never a Schedule with a valid scenario.
  EXPECT_GE(exits_[2], 1990);
}

TEST_F(BadInputTest, UnreadablePathsAreNamed) {
  const std::string dir = Tmp("a_directory");
  fs::create_directories(dir);
  Replayed r = ReplayLikeTheCli(dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.message, dir + ": is a directory");

  const std::string missing = Tmp("missing.textproto");
  fs::remove(missing);
  r = ReplayLikeTheCli(missing);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.message, missing + ": cannot open file");

  const std::string empty = Tmp("empty.textproto");
  Write(empty, "");
  r = ReplayLikeTheCli(empty);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.message, empty + ": empty file");

  // A sparse file past the size limit is refused before a byte of it is read.
  const std::string huge = Tmp("huge.bin");
  Write(huge, "");
  fs::resize_file(huge, (uintmax_t{1} << 30) + 1);
  r = ReplayLikeTheCli(huge);
  fs::remove(huge);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.message, huge + ": 1073741825 bytes, more than a schedule may have (1 GiB)");
}

TEST_F(BadInputTest, UnreadableFileIsNamed) {
  const std::string locked = Tmp("locked.textproto");
  Write(locked,
        ReadBytes(std::string(PTFUZZ_CORPUS_DIR) + "/gup_vs_zap/seed/default_ipi.textproto"));
  ASSERT_EQ(chmod(locked.c_str(), 0), 0);
  if (access(locked.c_str(), R_OK) == 0) {
    // Root (CAP_DAC_OVERRIDE) reads a mode-000 file: there is no unreadable file to test with.
    GTEST_SKIP() << "running as uid " << geteuid()
                 << ", which reads mode-000 files: the unreadable-file case is not tested";
  }
  const Replayed r = ReplayLikeTheCli(locked);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.message, locked + ": cannot open file");
}

TEST_F(BadInputTest, AbsurdCountsAreRefusedByName) {
  const std::string base =
      ReadBytes(std::string(PTFUZZ_CORPUS_DIR) + "/gup_vs_zap/seed/default_ipi.textproto");
  const std::string path = Tmp("absurd.textproto");
  const struct {
    std::string from, to, named;
  } cases[] = {
      {"num_cpus: 3", "num_cpus: 4000000000", "num_cpus"},
      {"num_cpus: 3", "num_cpus: 0", "num_cpus"},
      {"num_frames: 8", "num_frames: 4294967295", "num_frames"},
      {"tlb_flush: TLB_FLUSH_IPI", "tlb_flush: 77", "tlb_flush"},
      {"kind: ACTOR_ZAP", "kind: 1000", "kind"},
      {"format_version: 1", "format_version: 4294967295", "format_version"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.to);
    ASSERT_TRUE(absl::StrContains(base, c.from)) << "the seed changed";
    Write(path, absl::StrReplaceAll(base, {{c.from, c.to}}));
    const Replayed r = ReplayLikeTheCli(path);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(absl::StartsWith(r.message, path + ": ")) << r.message;
    EXPECT_TRUE(absl::StrContains(r.message, c.named)) << r.message;
  }
}

TEST_F(BadInputTest, MutatedLitmusFilesExitTwoOrRun) {
  const std::vector<std::string> seeds = FilesUnder(PTFUZZ_LITMUS_DIR, ".litmus");
  ASSERT_GE(seeds.size(), 40u);
  SplitMix64 rng(0x11705);
  const std::string path = Tmp("m.litmus");
  int mutants = 0;
  for (const std::string& seed : seeds) {
    const std::string text = ReadBytes(seed);
    for (int round = 0; round < 24; ++round) {
      std::string bytes;
      switch (round % 6) {
        case 0:
          bytes = Truncate(text, rng);
          break;
        case 1:
          bytes = FlipBits(text, rng);
          break;
        case 2:
          bytes = InsertBytes(text, rng);
          break;
        case 3:
          bytes = ShuffleLines(text, rng);
          break;
        default: {
          // A number in the file (a value, a thread or register index) made absurd.
          bytes = text;
          std::vector<size_t> digits;
          for (size_t i = 0; i < bytes.size(); ++i) {
            if (bytes[i] >= '0' && bytes[i] <= '9') digits.push_back(i);
          }
          if (!digits.empty()) {
            const size_t at = digits[rng.Below(static_cast<uint32_t>(digits.size()))];
            bytes.replace(at, 1, kOddValues[rng.Below(12)]);
          }
        }
      }
      Write(path, bytes);
      ++mutants;
      absl::StatusOr<LitmusTest> test = LoadLitmusFile(path);
      if (!test.ok()) {
        ++exits_[2];
        const std::string message(test.status().message());
        EXPECT_TRUE(absl::StartsWith(message, path + ":")) << seed << ": " << message;
        EXPECT_GT(message.size(), path.size() + 4) << seed << ": no problem named";
        continue;
      }
      ++exits_[0];
      ExploreOptions options;
      options.budget = 3000;  // a mutant may have more threads or accesses than any real test
      absl::StatusOr<ExploreResult> r = ExploreLitmus(*test, options);
      EXPECT_TRUE(r.ok()) << seed << ": " << r.status();
    }
  }
  EXPECT_GT(exits_[2], mutants / 4);
  EXPECT_GT(exits_[0], mutants / 20);
  std::printf("%d litmus mutants: %d parsed and explored, %d refused\n", mutants, exits_[0],
              exits_[2]);
}

// Found by the mutants above: a spin_unlock() of a lock the thread does not hold reached the
// engine's CHECK (core/world.cc, kSpinUnlock) and aborted `ptfuzz litmus`.
TEST_F(BadInputTest, LitmusUnlockWithoutLockIsRefused) {
  const std::string path = Tmp("unlock.litmus");
  Write(path,
        "C unlock\n{}\nP0(int *x, spinlock_t *lk)\n{\n\tWRITE_ONCE(*x, 1);\n"
        "\tspin_unlock(lk);\n}\nP1(int *x, spinlock_t *lk)\n{\n\tint r0;\n\tif (1) {\n"
        "\t\tspin_lock(lk);\n\t}\n\tspin_unlock(lk);\n\tr0 = READ_ONCE(*x);\n}\n"
        "exists (1:r0=1)\n");
  absl::StatusOr<LitmusTest> test = LoadLitmusFile(path);
  ASSERT_FALSE(test.ok());
  EXPECT_EQ(test.status().message(),
            path + ":6: P0 calls spin_unlock(lk) on a path where it does not hold the lock");
  // Balanced in both branches of an if: accepted.
  Write(path,
        "C balanced\n{}\nP0(int *x, spinlock_t *lk)\n{\n\tint r0;\n\tr0 = READ_ONCE(*x);\n"
        "\tif (r0) {\n\t\tspin_lock(lk);\n\t} else {\n\t\tspin_lock(lk);\n\t}\n"
        "\tspin_unlock(lk);\n}\nexists (0:r0=0)\n");
  EXPECT_TRUE(LoadLitmusFile(path).ok()) << LoadLitmusFile(path).status();
}

}  // namespace
}  // namespace ptfuzz

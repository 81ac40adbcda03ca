#include "fuzz/mutator.h"

#include <set>
#include <string>
#include <vector>

#include "core/format_version.h"
#include "core/run.h"
#include "core/scenarios/registry.h"
#include "core/schedule_io.h"
#include "gtest/gtest.h"

namespace ptfuzz {
namespace {

std::string DefaultBytes() {
  proto::Schedule s;
  s.set_format_version(kFormatVersion);
  *s.mutable_scenario() = FindScenario("gup_vs_zap")->default_scenario();
  for (uint32_t v : {0, 0, 1, 0, 2, 0, 0, 1}) s.add_raw_tape(v);
  return s.SerializeAsString();
}

proto::Schedule Parse(const std::vector<uint8_t>& buf, size_t n) {
  proto::Schedule s;
  EXPECT_TRUE(ParseSchedule(absl::string_view(reinterpret_cast<const char*>(buf.data()), n), &s).ok());
  return s;
}

TEST(MutatorTest, OutputsAreValidSchedulesAndMutationsVary) {
  const std::string bytes = DefaultBytes();
  std::set<std::string> distinct;
  bool scenario_changed = false;
  for (uint32_t seed = 0; seed < 2000; ++seed) {
    std::vector<uint8_t> buf(bytes.begin(), bytes.end());
    buf.resize(4096);
    const size_t n = MutateSchedule(buf.data(), bytes.size(), buf.size(), seed, Pins{});
    ASSERT_GT(n, 0u);
    ASSERT_LE(n, buf.size());
    const proto::Schedule s = Parse(buf, n);
    ASSERT_TRUE(CheckSchedule(s).ok()) << CheckSchedule(s) << "\nseed " << seed;
    EXPECT_FALSE(s.canonical());
    distinct.insert(std::string(buf.begin(), buf.begin() + n));
    scenario_changed |= s.scenario().SerializeAsString() !=
                        FindScenario("gup_vs_zap")->default_scenario().SerializeAsString();
  }
  EXPECT_GT(distinct.size(), 500u);
  EXPECT_TRUE(scenario_changed);
}

// A seed's tape is empty; the mutator still places preemptions anywhere in the seed's run (which
// makes 30-odd decisions), padding with defaults.
TEST(MutatorTest, PlacesPreemptionsPastTheEndOfTheTape) {
  proto::Schedule seed;
  seed.set_format_version(kFormatVersion);
  *seed.mutable_scenario() = FindScenario("gup_vs_zap")->default_scenario();
  const std::string bytes = seed.SerializeAsString();
  const size_t decisions = RunSchedule(seed, SimOptions{}).tape.size();
  ASSERT_GT(decisions, 20u);
  int far = 0;
  for (uint32_t seed_value = 0; seed_value < 3000; ++seed_value) {
    std::vector<uint8_t> buf(bytes.begin(), bytes.end());
    buf.resize(4096);
    const size_t n = MutateSchedule(buf.data(), bytes.size(), buf.size(), seed_value, Pins{});
    const proto::Schedule s = Parse(buf, n);
    const int len = s.raw_tape_size();
    if (len <= 8 || s.raw_tape(len - 1) == 0) continue;
    // Zeros up to one non-default answer: a single preemption deep in the run.
    int nonzero = 0;
    for (uint32_t v : s.raw_tape()) nonzero += v != 0;
    // One placement (other stacked mutations may append a few answers after it).
    if (nonzero == 1) ++far;
    EXPECT_LE(static_cast<size_t>(len), decisions + 4 + 3 * 4);
  }
  EXPECT_GT(far, 50);
}

// A campaign that pins every dimension leaves the scenario alone unless shape mutations are on.
TEST(MutatorTest, ShapeMutationsOnlyWhenAsked) {
  const std::string bytes = DefaultBytes();
  Pins pins;
  ASSERT_TRUE(MakePins("gup_vs_zap", "fixed", "ipi", &pins, "sc", "x86_64").ok());
  proto::Scenario pinned = FindScenario("gup_vs_zap")->default_scenario();
  ApplyPins(pins, &pinned);
  for (bool shape : {false, true}) {
    pins.mutate_shape = shape;
    int changed = 0;
    for (uint32_t seed = 0; seed < 2000; ++seed) {
      std::vector<uint8_t> buf(bytes.begin(), bytes.end());
      buf.resize(4096);
      const size_t n = MutateSchedule(buf.data(), bytes.size(), buf.size(), seed, pins);
      const proto::Schedule s = Parse(buf, n);
      EXPECT_TRUE(MatchesPins(pins, s.scenario()));
      changed += s.scenario().SerializeAsString() != pinned.SerializeAsString();
    }
    if (shape) {
      EXPECT_GT(changed, 100);
    } else {
      EXPECT_EQ(changed, 0);
    }
  }
}

TEST(MutatorTest, SameSeedSameOutput) {
  const std::string bytes = DefaultBytes();
  std::vector<uint8_t> a(bytes.begin(), bytes.end()), b(bytes.begin(), bytes.end());
  a.resize(4096);
  b.resize(4096);
  const size_t na = MutateSchedule(a.data(), bytes.size(), a.size(), 42, Pins{});
  const size_t nb = MutateSchedule(b.data(), bytes.size(), b.size(), 42, Pins{});
  ASSERT_EQ(na, nb);
  EXPECT_EQ(std::string(a.begin(), a.begin() + na), std::string(b.begin(), b.begin() + nb));
}

// The fuzz target runs LastMutant() instead of parsing: it must be exactly what the bytes parse
// to, and valid. And the parse memo and the last-mutant shortcut are speed only: an input mutated
// again right after it was made (the shortcut), after something else (the memo) or under other
// pins in between (both dropped) gives the same output.
TEST(MutatorTest, LastMutantIsTheParsedOutputAndCachesNeverChangeResults) {
  Pins pins;
  ASSERT_TRUE(MakePins("gup_vs_zap", "no_pte_recheck", "", &pins).ok());
  std::string input = DefaultBytes();
  for (uint32_t seed = 0; seed < 300; ++seed) {
    std::vector<uint8_t> buf(input.begin(), input.end());
    buf.resize(4096);
    const size_t n = MutateSchedule(buf.data(), input.size(), buf.size(), seed, pins);
    ASSERT_GT(n, 0u);
    const std::string out(buf.begin(), buf.begin() + n);
    const proto::Schedule* mutant = LastMutant(out);
    ASSERT_NE(mutant, nullptr);
    EXPECT_EQ(LastMutant(input == out ? "" : input), nullptr);
    const proto::Schedule parsed = Parse(buf, n);
    ASSERT_EQ(mutant->SerializeAsString(), parsed.SerializeAsString()) << "seed " << seed;
    ASSERT_TRUE(CheckSchedule(*mutant).ok()) << CheckSchedule(*mutant);
    ASSERT_TRUE(MatchesPins(pins, mutant->scenario()));

    // Mutate `out` again: right away (it is the last mutant), after an unrelated mutation under
    // other pins (the memo and the shortcut are dropped), and once more (the memo).
    auto again = [&](uint32_t s) {
      std::vector<uint8_t> b(out.begin(), out.end());
      b.resize(4096);
      return std::string(b.begin(),
                         b.begin() + MutateSchedule(b.data(), out.size(), b.size(), s, pins));
    };
    const std::string first = again(seed + 1);
    std::vector<uint8_t> other(input.begin(), input.end());
    other.resize(4096);
    MutateSchedule(other.data(), input.size(), other.size(), seed, Pins{});
    EXPECT_EQ(again(seed + 1), first) << "seed " << seed;
    EXPECT_EQ(again(seed + 1), first) << "seed " << seed;
    input = out;
  }
}

TEST(MutatorTest, PinsAreWrittenIntoEveryOutput) {
  Pins pins;
  ASSERT_TRUE(MakePins("gup_vs_zap", "no_pte_recheck", "broadcast", &pins).ok());
  const std::string bytes = DefaultBytes();  // variant fixed, flush ipi
  for (uint32_t seed = 0; seed < 300; ++seed) {
    std::vector<uint8_t> buf(bytes.begin(), bytes.end());
    buf.resize(4096);
    const size_t n = MutateSchedule(buf.data(), bytes.size(), buf.size(), seed, pins);
    const proto::Schedule s = Parse(buf, n);
    ASSERT_EQ(s.scenario().variant(), "no_pte_recheck");
    ASSERT_EQ(s.scenario().tlb_flush(), proto::TLB_FLUSH_BROADCAST);
  }
}

TEST(MutatorTest, ShrinksToMaxSizeByCuttingTheTape) {
  proto::Schedule s;
  s.set_format_version(kFormatVersion);
  *s.mutable_scenario() = FindScenario("gup_vs_zap")->default_scenario();
  for (int i = 0; i < 200; ++i) s.add_raw_tape(i % 3);
  const std::string bytes = s.SerializeAsString();
  std::vector<uint8_t> buf(bytes.begin(), bytes.end());
  const size_t max_size = bytes.size() - 50;  // what -minimize_crash asks for
  const size_t n = MutateSchedule(buf.data(), bytes.size(), max_size, 7, Pins{});
  ASSERT_GT(n, 0u);
  ASSERT_LE(n, max_size);
  EXPECT_LT(Parse(buf, n).raw_tape_size(), 200);
}

TEST(MutatorTest, GarbageInputBecomesTheDefaultScenario) {
  std::vector<uint8_t> buf = {0xff, 0x00, 0x13, 0x37};
  buf.resize(4096);
  const size_t n = MutateSchedule(buf.data(), 4, buf.size(), 1, Pins{});
  const proto::Schedule s = Parse(buf, n);
  EXPECT_TRUE(CheckSchedule(s).ok());
  EXPECT_EQ(s.scenario().name(), "gup_vs_zap");
}

TEST(MutatorTest, CanonicalInputBecomesRaw) {
  proto::Schedule s;
  s.set_format_version(kFormatVersion);
  *s.mutable_scenario() = FindScenario("gup_vs_zap")->default_scenario();
  SetCanonicalTape({{DecisionKind::kSchedule, 3, 1}, {DecisionKind::kSchedule, 2, 1}}, &s);
  const std::string bytes = s.SerializeAsString();
  std::vector<uint8_t> buf(bytes.begin(), bytes.end());
  buf.resize(4096);
  const size_t n = MutateSchedule(buf.data(), bytes.size(), buf.size(), 3, Pins{});
  const proto::Schedule out = Parse(buf, n);
  EXPECT_FALSE(out.canonical());
  EXPECT_EQ(out.tape_size(), 0);
}

TEST(CrossOverTest, SplicesTapesIntoValidSchedules) {
  const std::string a = DefaultBytes();
  proto::Schedule sb;
  sb.set_format_version(kFormatVersion);
  *sb.mutable_scenario() = FindScenario("gup_vs_zap")->default_scenario();
  for (int i = 0; i < 10; ++i) sb.add_raw_tape(7);
  const std::string b = sb.SerializeAsString();
  bool spliced = false;
  for (uint32_t seed = 0; seed < 50; ++seed) {
    std::vector<uint8_t> out(4096);
    const size_t n = CrossOverSchedules(reinterpret_cast<const uint8_t*>(a.data()), a.size(),
                                        reinterpret_cast<const uint8_t*>(b.data()), b.size(),
                                        out.data(), out.size(), seed, Pins{});
    const proto::Schedule s = Parse(out, n);
    ASSERT_TRUE(CheckSchedule(s).ok());
    bool has_a = false, has_b = false;
    for (uint32_t v : s.raw_tape()) {
      has_a |= v == 1 || v == 2;
      has_b |= v == 7;
    }
    spliced |= has_a && has_b;
  }
  EXPECT_TRUE(spliced);
}

TEST(PinsTest, MatchesPinsComparesOnlyPinnedFields) {
  Pins pins;
  ASSERT_TRUE(MakePins("", "no_pte_recheck", "", &pins).ok());
  proto::Scenario s = FindScenario("gup_vs_zap")->default_scenario();
  EXPECT_FALSE(MatchesPins(pins, s));  // variant fixed
  s.set_variant("no_pte_recheck");
  EXPECT_TRUE(MatchesPins(pins, s));
  s.set_tlb_flush(proto::TLB_FLUSH_BROADCAST);
  EXPECT_TRUE(MatchesPins(pins, s));  // flush mode not pinned
}

TEST(PinsTest, UnknownNamesAreErrors) {
  Pins pins;
  EXPECT_FALSE(MakePins("nope", "", "", &pins).ok());
  EXPECT_FALSE(MakePins("gup_vs_zap", "nope", "", &pins).ok());
  EXPECT_FALSE(MakePins("gup_vs_zap", "fixed", "sometimes", &pins).ok());
  EXPECT_TRUE(MakePins("gup_vs_zap", "fixed", "ipi", &pins).ok());
}

}  // namespace
}  // namespace ptfuzz

// The scenario registry (core/scenarios/registry.h): every built-in scenario's default
// configuration is its own and valid, its verdicts name real violation kinds, and each bug-zoo id
// belongs to one scenario.
#include "core/scenarios/registry.h"

#include <set>
#include <string>

#include "core/run.h"
#include "core/violation.h"
#include "gtest/gtest.h"

namespace ptfuzz {
namespace {

bool KnownVerdict(absl::string_view v) {
  return v.empty() || v == "clean" || ViolationKindFromName(v).has_value();
}

TEST(RegistryTest, DefaultsAreTheirOwnAndValid) {
  for (const ScenarioSpec& spec : BuiltinScenarios()) {
    const proto::Scenario s = spec.default_scenario();
    EXPECT_EQ(s.name(), spec.name);
    EXPECT_EQ(s.variant(), "fixed") << spec.name;
    EXPECT_TRUE(ValidateScenario(s).ok()) << spec.name << ": " << ValidateScenario(s);
    ASSERT_NE(FindVariant(spec, "fixed"), nullptr) << spec.name;
  }
}

TEST(RegistryTest, VerdictsNameViolationKinds) {
  for (const ScenarioSpec& spec : BuiltinScenarios()) {
    for (const VariantSpec& v : spec.variants) {
      EXPECT_TRUE(KnownVerdict(v.expected_ipi)) << spec.name << "/" << v.name;
      EXPECT_TRUE(KnownVerdict(v.expected_broadcast)) << spec.name << "/" << v.name;
      EXPECT_TRUE(KnownVerdict(v.expected_relaxed)) << spec.name << "/" << v.name;
      EXPECT_TRUE(KnownVerdict(v.expected_relaxed_arm64)) << spec.name << "/" << v.name;
      EXPECT_TRUE(KnownVerdict(v.expected_relaxed_no_ipi)) << spec.name << "/" << v.name;
    }
  }
}

TEST(RegistryTest, EveryZooEntryHasOneScenario) {
  std::set<std::string> zoo;
  for (const ScenarioSpec& spec : BuiltinScenarios()) {
    if (spec.zoo.empty()) continue;
    EXPECT_TRUE(zoo.insert(std::string(spec.zoo)).second) << spec.zoo << " twice";
  }
  // Z01-Z20, all landed.
  EXPECT_EQ(zoo.size(), 20u);
}

}  // namespace
}  // namespace ptfuzz

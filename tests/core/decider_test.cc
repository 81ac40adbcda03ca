#include <vector>

#include "core/strict_decider.h"
#include "core/tape_decider.h"
#include "gtest/gtest.h"

namespace ptfuzz {
namespace {

TEST(TapeDeciderTest, AnswersModuloOptionsThenDefault) {
  const std::vector<uint32_t> tape = {7, 2, 5};
  TapeDecider d(tape);
  EXPECT_EQ(d.Decide(DecisionKind::kSchedule, 3), 1u);     // 7 % 3
  EXPECT_EQ(d.Decide(DecisionKind::kAllocFrame, 4), 2u);   // 2 % 4
  EXPECT_EQ(d.Decide(DecisionKind::kSchedule, 2), 1u);     // 5 % 2
  EXPECT_EQ(d.Decide(DecisionKind::kSchedule, 3), 0u);     // exhausted: default
  EXPECT_EQ(d.consumed(), 3u);
  EXPECT_TRUE(d.Finish().ok());
}

TEST(StrictDeciderTest, ReplaysMatchingTape) {
  StrictDecider d({{DecisionKind::kSchedule, 3, 2}, {DecisionKind::kAllocFrame, 5, 4}});
  EXPECT_EQ(d.Decide(DecisionKind::kSchedule, 3), 2u);
  EXPECT_EQ(d.Decide(DecisionKind::kAllocFrame, 5), 4u);
  EXPECT_TRUE(d.Finish().ok());
}

TEST(StrictDeciderTest, WrongKindIsDivergenceNamingStepAndExpectation) {
  StrictDecider d({{DecisionKind::kSchedule, 3, 1}, {DecisionKind::kSchedule, 3, 1}});
  d.Decide(DecisionKind::kSchedule, 3);
  EXPECT_EQ(d.Decide(DecisionKind::kAllocFrame, 3), 0u);
  ASSERT_FALSE(d.status().ok());
  EXPECT_NE(d.status().message().find("decision 1"), absl::string_view::npos);
  EXPECT_NE(d.status().message().find("expected schedule with 3 options, found alloc_frame"),
            absl::string_view::npos)
      << d.status();
}

TEST(StrictDeciderTest, WrongOptionCountIsDivergence) {
  StrictDecider d({{DecisionKind::kSchedule, 3, 1}});
  d.Decide(DecisionKind::kSchedule, 2);
  EXPECT_FALSE(d.status().ok());
}

TEST(StrictDeciderTest, OutOfRangeAnswerIsDivergence) {
  StrictDecider d({{DecisionKind::kSchedule, 2, 5}});
  d.Decide(DecisionKind::kSchedule, 2);
  EXPECT_NE(d.status().message().find("out of range"), absl::string_view::npos);
}

TEST(StrictDeciderTest, TooShortAndLeftoverAreDivergences) {
  StrictDecider short_tape({});
  short_tape.Decide(DecisionKind::kSchedule, 2);
  EXPECT_NE(short_tape.status().message().find("only 0 answers"), absl::string_view::npos);

  StrictDecider long_tape({{DecisionKind::kSchedule, 2, 0}, {DecisionKind::kSchedule, 2, 1}});
  long_tape.Decide(DecisionKind::kSchedule, 2);
  const absl::Status st = long_tape.Finish();
  EXPECT_NE(st.message().find("1 left over"), absl::string_view::npos) << st;
}

}  // namespace
}  // namespace ptfuzz

#include "replay/campaign.h"

#include "core/violation.h"
#include "gtest/gtest.h"

namespace ptfuzz {
namespace {

TEST(ParseFuzzerStatusTest, ForkModeLine) {
  FuzzerStatus s;
  ASSERT_TRUE(ParseFuzzerStatus(
      "#431891: cov: 137 ft: 751 corp: 477 exec/s 20281 oom/timeout/crash: 0/0/8 time: 14s job: "
      "10 dft_time: 0",
      &s));
  EXPECT_EQ(s.execs, 431891u);
  EXPECT_EQ(s.cov, 137u);
  EXPECT_EQ(s.features, 751u);
  EXPECT_EQ(s.corpus, 477u);
  EXPECT_EQ(s.execs_per_second, 20281u);
}

TEST(ParseFuzzerStatusTest, InProcessLine) {
  FuzzerStatus s;
  ASSERT_TRUE(ParseFuzzerStatus(
      "#131072\tpulse  cov: 47 ft: 186 corp: 64/6543b lim: 4096 exec/s: 65536 rss: 30Mb", &s));
  EXPECT_EQ(s.execs, 131072u);
  EXPECT_EQ(s.cov, 47u);
  EXPECT_EQ(s.features, 186u);
  EXPECT_EQ(s.corpus, 64u);
  EXPECT_EQ(s.execs_per_second, 65536u);
}

TEST(ParseFuzzerStatusTest, RejectsOtherLines) {
  FuzzerStatus s;
  EXPECT_FALSE(ParseFuzzerStatus("INFO: Seed: 1", &s));
  EXPECT_FALSE(ParseFuzzerStatus("", &s));
  EXPECT_FALSE(ParseFuzzerStatus("#x: cov: 1", &s));
  EXPECT_FALSE(ParseFuzzerStatus("#12 no fields here", &s));
}

TEST(SignatureSlugTest, KeepsReadableCharactersOnly) {
  Violation v{ViolationKind::kRefTakenAfterUnmap, 3, 0, "gup_fast@cpu0", "gup_fast", ""};
  const std::string sig = FindingSignature("gup_vs_zap", "no_pte_recheck", v);
  EXPECT_EQ(sig, "gup_vs_zap/no_pte_recheck ref_taken_after_unmap@gup_fast");
  EXPECT_EQ(SignatureSlug(sig), "gup_vs_zap-no_pte_recheck-ref_taken_after_unmap@gup_fast");
  EXPECT_EQ(SignatureSlug("a/b c\n../d"), "a-b-c-..-d");
}

}  // namespace
}  // namespace ptfuzz

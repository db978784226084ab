#include "queue/multifactor.h"

#include <gtest/gtest.h>

#include <cmath>

#include "queue/fair_share.h"

namespace drover::queue {
namespace {

constexpr int64_t kDayMs = 24 * 3600 * 1000;

TEST(FairShareTest, UsageHalvesEveryHalfLife) {
  FairShare fs(FairShareConfig{3600});
  fs.AddUsage("ann", "physics", 1000, 0);
  EXPECT_DOUBLE_EQ(fs.UserUsage("ann", 3600 * 1000), 500);
  EXPECT_DOUBLE_EQ(fs.AccountUsage("physics", 7200 * 1000), 250);
}

TEST(FairShareTest, HeavyUserGetsTheLowerFactor) {
  FairShare fs;
  EXPECT_DOUBLE_EQ(fs.Factor("carol", "a", 0), 1.0) << "nobody used anything yet";
  fs.AddUsage("ann", "a", 9000, 0);
  fs.AddUsage("bob", "b", 1000, 0);
  EXPECT_LT(fs.Factor("ann", "a", 0), fs.Factor("bob", "b", 0));
  EXPECT_LT(fs.Factor("bob", "b", 0), fs.Factor("carol", "c", 0)) << "an idle account ranks first";
}

// The classic formula by hand (Slurm's priority_multifactor documentation):
// one account of two users who used alike: U = 0.5, UE = 0.5 + (1 - 0.5) / 2,
// S = 1/2, F = 2^(-0.75 / 0.5).
TEST(FairShareTest, TwoEqualUsersOfOneAccountMatchSlurmsClassicFormula) {
  FairShare fs;
  fs.AddUsage("ann", "", 50, 0);
  fs.AddUsage("bob", "", 50, 0);
  EXPECT_DOUBLE_EQ(fs.Factor("ann", "", 0), std::exp2(-1.5));
  // Alone in the only account, a user's factor is 2^(-1): usage equals shares.
  FairShare alone;
  alone.AddUsage("ann", "physics", 10, 0);
  EXPECT_DOUBLE_EQ(alone.Factor("ann", "physics", 0), 0.5);
}

// Account usage weighs on every user of the account: bob used nothing, but
// his account used everything, so carol (idle, in an idle account) goes first.
TEST(FairShareTest, AnIdleUserOfABusyAccountRanksBelowOneOfAnIdleAccount) {
  FairShare fs;
  fs.AddUsage("ann", "physics", 1000, 0);
  fs.AddUsage("carol", "bio", 1, 0);
  const double bob = fs.Factor("bob", "physics", 0);
  const double dave = fs.Factor("dave", "bio", 0);
  EXPECT_LT(bob, dave);
  // UE_physics = 0.999 + 0.001 * 0.5; bob: U = 0, S = 1/2 * 1/2.
  const double ue_physics = 1000.0 / 1001 + (1 - 1000.0 / 1001) * 0.5;
  EXPECT_NEAR(bob, std::exp2(-(ue_physics * 0.5) / 0.25), 1e-12);
}

TEST(FairShareTest, SharesSkewTheFactor) {
  FairShare fs;
  fs.SetAccountShares("physics", 3);
  fs.AddUsage("ann", "physics", 50, 0);
  fs.AddUsage("bob", "bio", 50, 0);
  EXPECT_GT(fs.Factor("ann", "physics", 0), fs.Factor("bob", "bio", 0))
      << "the same usage is a smaller part of a bigger share";
}

TEST(FairShareTest, NonPositiveHalfLifeIsRejected) {
  Status s = ValidateFairShareConfig(FairShareConfig{0});
  EXPECT_EQ(s.field(), "fairShare.halfLife");
}

TEST(MultifactorTest, OlderJobsRankHigher) {
  FairShare fs;
  PriorityWeights w;
  JobPriorityInput young{.submit_time_ms = 6 * kDayMs, .cores = 1, .user = "ann"};
  JobPriorityInput old{.submit_time_ms = 0, .cores = 1, .user = "ann"};
  EXPECT_GT(MultifactorPriority(old, w, fs, 100, 7 * kDayMs),
            MultifactorPriority(young, w, fs, 100, 7 * kDayMs));
}

TEST(MultifactorTest, FairShareOutweighsAgeWithDefaultWeights) {
  FairShare fs;
  fs.AddAssociation("bob", "");
  fs.AddUsage("ann", "", 1e6, 0);
  PriorityWeights w;
  JobPriorityInput ann{.submit_time_ms = 0, .cores = 1, .user = "ann"};
  JobPriorityInput bob{.submit_time_ms = kDayMs, .cores = 1, .user = "bob"};
  EXPECT_GT(MultifactorPriority(bob, w, fs, 100, kDayMs),
            MultifactorPriority(ann, w, fs, 100, kDayMs));
}

TEST(MultifactorTest, JobPriorityAndQueueTierAdd) {
  FairShare fs;
  PriorityWeights w;
  w.age = w.job_size = w.fair_share = 0;
  JobPriorityInput j{.job_priority = 7, .queue_priority = 1, .max_queue_priority = 2, .user = ""};
  EXPECT_EQ(MultifactorPriority(j, w, fs, 100, 0), 7 + 500);
}

TEST(MultifactorTest, NegativeWeightIsRejectedByName) {
  PriorityWeights w;
  w.fair_share = -1;
  Status s = ValidatePriorityWeights(w);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.field(), "priority.weightFairShare");
}

}  // namespace
}  // namespace drover::queue

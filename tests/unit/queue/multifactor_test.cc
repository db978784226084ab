#include "queue/multifactor.h"

#include <gtest/gtest.h>

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
  fs.AddUsage("ann", "a", 9000, 0);
  fs.AddUsage("bob", "b", 1000, 0);
  EXPECT_LT(fs.Factor("ann", 0), fs.Factor("bob", 0));
  EXPECT_DOUBLE_EQ(fs.Factor("carol", 0), 1.0);  // no usage yet
}

TEST(FairShareTest, UsageEqualToSharesGivesOneHalf) {
  FairShare fs;
  fs.AddUsage("ann", "", 50, 0);
  fs.AddUsage("bob", "", 50, 0);
  EXPECT_DOUBLE_EQ(fs.Factor("ann", 0), 0.5);
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

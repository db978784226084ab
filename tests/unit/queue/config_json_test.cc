// PriorityWeightsFromJson / FairShareConfigFromJson: keys read, strict errors.
#include "queue/config_json.h"

#include <gtest/gtest.h>

namespace drover::queue {
namespace {

TEST(PriorityWeightsJsonTest, ReadsEveryKey) {
  auto w = PriorityWeightsFromJson(Json::parse(
      R"({"weightAge": 1, "weightJobSize": 2, "weightFairShare": 3, "weightQueue": 4,
          "maxAge": "1-00:00:00", "favorSmall": true})"));
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->age, 1);
  EXPECT_EQ(w->job_size, 2);
  EXPECT_EQ(w->fair_share, 3);
  EXPECT_EQ(w->queue, 4);
  EXPECT_EQ(w->max_age_s, 86400);
  EXPECT_TRUE(w->favor_small);
}

TEST(PriorityWeightsJsonTest, AbsentKeysKeepTheDefaults) {
  auto w = PriorityWeightsFromJson(Json::parse(R"({"weightAge": 7})"));
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->age, 7);
  EXPECT_EQ(w->fair_share, PriorityWeights{}.fair_share);
  EXPECT_TRUE(PriorityWeightsFromJson(nullptr).ok());
}

TEST(PriorityWeightsJsonTest, UnknownKeyIsNamed) {
  auto w = PriorityWeightsFromJson(Json::parse(R"({"weightAgee": 7})"));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().field(), "priority.weightAgee");
  EXPECT_NE(w.status().message().find("unknown field"), std::string::npos);
}

TEST(PriorityWeightsJsonTest, WeightOutOfRangeIsNamedWithTheRule) {
  auto w = PriorityWeightsFromJson(Json::parse(R"({"weightFairShare": -5})"));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().field(), "priority.weightFairShare");
  EXPECT_NE(w.status().message().find("[0, 100000000]"), std::string::npos);
  w = PriorityWeightsFromJson(Json::parse(R"({"maxAge": 0})"));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().field(), "priority.maxAge");
  w = PriorityWeightsFromJson(Json::parse(R"({"weightQueue": "high"})"));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().field(), "priority.weightQueue");
  EXPECT_NE(w.status().message().find("integer"), std::string::npos);
  w = PriorityWeightsFromJson(Json::parse(R"({"favorSmall": 1})"));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().field(), "priority.favorSmall");
}

TEST(FairShareJsonTest, ReadsHalfLifeAndRejectsZero) {
  auto c = FairShareConfigFromJson(Json::parse(R"({"halfLife": "12:00:00"})"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->half_life_s, 12 * 3600);
  c = FairShareConfigFromJson(Json::parse(R"({"halfLife": 0})"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().field(), "fairShare.halfLife");
  c = FairShareConfigFromJson(Json::parse(R"({"decay": 5})"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().field(), "fairShare.decay");
}

}  // namespace
}  // namespace drover::queue

#include "api/config_fields.h"

#include <gtest/gtest.h>

namespace drover::config {
namespace {

TEST(ConfigFieldsTest, AbsentOrNullFieldKeepsTheDefault) {
  Json object = {{"b", nullptr}};
  int32_t n = 7;
  std::string s = "keep";
  bool flag = true;
  int64_t seconds = 60;
  EXPECT_TRUE(ReadInt(object, "a", "x", &n).ok());
  EXPECT_TRUE(ReadInt(object, "b", "x", &n).ok());
  EXPECT_TRUE(ReadString(object, "a", "x", &s).ok());
  EXPECT_TRUE(ReadBool(object, "b", "x", &flag).ok());
  EXPECT_TRUE(ReadDuration(object, "a", "x", &seconds).ok());
  EXPECT_EQ(n, 7);
  EXPECT_EQ(s, "keep");
  EXPECT_TRUE(flag);
  EXPECT_EQ(seconds, 60);
}

TEST(ConfigFieldsTest, IntegerOutsideItsRangeIsNamedWithTheRange) {
  Json object = {{"depth", 0}, {"big", 5'000'000'000LL}, {"word", "ten"}};
  int32_t n = 1;
  Status st = ReadInt<int32_t>(object, "depth", "scheduler", &n, 1);
  EXPECT_EQ(st.field(), "scheduler.depth");
  EXPECT_NE(st.message().find("[1, 2147483647]"), std::string::npos) << st.message();
  st = ReadInt<int32_t>(object, "big", "scheduler", &n);
  EXPECT_EQ(st.field(), "scheduler.big");
  st = ReadInt<int32_t>(object, "word", "scheduler", &n);
  EXPECT_NE(st.message().find("must be an integer"), std::string::npos) << st.message();
  EXPECT_EQ(n, 1);
}

TEST(ConfigFieldsTest, UnboundedIntegerRejectsOnlyWhatDoesNotFitInt64) {
  Json object = {{"w", -5}, {"huge", 18'000'000'000'000'000'000ULL}};
  int64_t n = 0;
  ASSERT_TRUE(ReadInt(object, "w", "priority", &n).ok());
  EXPECT_EQ(n, -5);
  Status st = ReadInt(object, "huge", "priority", &n);
  EXPECT_EQ(st.field(), "priority.huge");
  EXPECT_NE(st.message().find("must be an integer"), std::string::npos) << st.message();
}

TEST(ConfigFieldsTest, UnknownKeyIsNamedWithTheKnownOnes) {
  Json object = {{"halfLife", "7-00:00:00"}, {"halflife", 3}};
  Status st = RejectUnknownKeys(object, "fairShare", {"halfLife"});
  EXPECT_EQ(st.field(), "fairShare.halflife");
  EXPECT_NE(st.message().find("known: halfLife"), std::string::npos) << st.message();
}

TEST(ConfigFieldsTest, DurationTakesSlurmForms) {
  Json object = {{"t", "1-02:00:00"}, {"bad", "soon"}};
  int64_t seconds = 0;
  ASSERT_TRUE(ReadDuration(object, "t", "queues[0]", &seconds).ok());
  EXPECT_EQ(seconds, 26 * 3600);
  EXPECT_EQ(ReadDuration(object, "bad", "queues[0]", &seconds).field(), "queues[0].bad");
}

TEST(ConfigFieldsTest, WrongTypesAreNamed) {
  Json object = {{"s", 3}, {"b", "yes"}};
  std::string s;
  bool b = false;
  EXPECT_EQ(ReadString(object, "s", "q", &s).field(), "q.s");
  EXPECT_EQ(ReadBool(object, "b", "q", &b).field(), "q.b");
  EXPECT_EQ(CheckObject(Json::array(), "scheduler").field(), "scheduler");
}

}  // namespace
}  // namespace drover::config

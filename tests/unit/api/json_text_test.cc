// Bounded JSON parsing, UTF-8 sanitizing, and the strict field and value
// readers (api/json_text.h, json_fields.h, quantities.h).
#include "api/json_text.h"

#include <gtest/gtest.h>

#include "api/json_fields.h"
#include "api/quantities.h"

namespace drover {
namespace {

TEST(ParseJsonTest, RefusesWhatUsedToCrashOrMislead) {
  const std::string cases[] = {
      std::string(100'000, '[') + std::string(100'000, ']'),  // would exhaust the stack later
      R"({"a": 1e400})",                                      // out_of_range in nlohmann
      "{\"a\": \"\xFF\"}",                                    // invalid UTF-8
      R"({"a": 1, "a": 2})",                                  // which one wins?
      R"({"o": {"k": 1, "k": 1}})",
      "{\"a\":",
  };
  for (const std::string& text : cases) {
    auto j = ParseJson(text);
    ASSERT_FALSE(j.ok()) << text.substr(0, 40);
    EXPECT_EQ(j.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(SanitizeUtf8(j.status().message()), j.status().message()) << "valid UTF-8";
  }
  EXPECT_EQ(ParseJson(R"({"o": {"k": 1}, "p": {"k": 2}})")->at("p").at("k"), 2)
      << "the same key in different objects is fine";
  std::string at_limit = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(ParseJson(at_limit).ok());
  EXPECT_TRUE(ParseJson(R"(["[[[[[[", "\"{"])").ok()) << "brackets inside strings do not nest";
}

TEST(ParseJsonTest, DocumentsAreBoundedInValues) {
  std::string many = "[";
  for (int i = 0; i < 1000; ++i) many += "{},";
  many += "{}]";
  EXPECT_TRUE(ParseJson(many, 1002).ok());
  auto refused = ParseJson(many, 1000);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("values"), std::string::npos);
}

TEST(SanitizeUtf8Test, ReplacesEveryInvalidSequenceAndKeepsValidText) {
  EXPECT_EQ(SanitizeUtf8("plain"), "plain");
  EXPECT_EQ(SanitizeUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  const std::string bad[] = {"\xFF", "\xC3", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                             "\x80"};
  for (const std::string& b : bad) {
    std::string out = SanitizeUtf8("a" + b + "z");
    EXPECT_EQ(out.front(), 'a');
    EXPECT_EQ(out.back(), 'z');
    EXPECT_NE(out.find("\xEF\xBF\xBD"), std::string::npos);
    EXPECT_NO_THROW((void)DumpJson(Json(out)));
  }
  EXPECT_NO_THROW((void)DumpJson(Json("\xFF")));
}

TEST(JsonFieldsTest, IntegersAreIntegersOnly) {
  using json_fields::GetInt;
  int64_t v = 7;
  Json obj = {{"s", "5"}, {"f", 2.0}, {"big", 9223372036854775808ULL}, {"ok", -3}};
  for (const char* key : {"s", "f", "big"}) {
    Status st = GetInt(obj, key, "spec", &v);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << key;
    EXPECT_EQ(st.field(), std::string("spec.") + key);
  }
  EXPECT_EQ(v, 7) << "a refusal leaves the value alone";
  ASSERT_TRUE(GetInt(obj, "ok", "spec", &v).ok());
  EXPECT_EQ(v, -3);
  int32_t small = 0;
  EXPECT_FALSE(json_fields::GetIntAs(Json{{"n", 3'000'000'000LL}}, "n", "", &small).ok());
  uint64_t id = 0;  // a job id: every int64 of 0 or more fits, a negative one does not
  ASSERT_TRUE(json_fields::GetIntAs(Json{{"n", 1}}, "n", "", &id).ok());
  EXPECT_EQ(id, 1u);
  EXPECT_FALSE(json_fields::GetIntAs(Json{{"n", -1}}, "n", "", &id).ok());
  int64_t rv = 0;
  ASSERT_TRUE(json_fields::GetIntOrDigits(Json{{"rv", "42"}}, "rv", "m", &rv).ok());
  EXPECT_EQ(rv, 42);
}

TEST(JsonFieldsTest, StringsWithNulBytesAreRefused) {
  std::string out;
  Json obj = {{"cmd", std::string("tr\0ue", 5)}};
  Status st = json_fields::GetString(obj, "cmd", "spec", &out);
  EXPECT_EQ(st.field(), "spec.cmd");
  std::vector<std::string> list;
  Json listed = {{"argv", {"ok", std::string("a\0b", 3)}}};
  EXPECT_EQ(json_fields::GetStringList(listed, "argv", "t", &list).field(), "t.argv[1]");
}

TEST(ParseTimeTest, ImpossibleDatesAreRefusedNotNormalised) {
  for (const char* bad : {"2026-13-45T99:99:99Z", "2027-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
                          "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z", "2026-1-01T00:00:00Z",
                          "2026-01-01T00:00:00", "2026-01-01T00:00:00.Z", "1969-12-31T23:59:59Z"}) {
    EXPECT_FALSE(ParseTime(bad).ok()) << bad;
  }
  EXPECT_TRUE(ParseTime("2028-02-29T23:59:59.5Z").ok()) << "a leap day";
  EXPECT_EQ(*ParseTime("1970-01-01T00:00:01Z"), 1000);
}

TEST(ParseDurationTest, OverflowingDurationsAreRefused) {
  EXPECT_FALSE(ParseSlurmDuration("999999999999999999-00").ok());
  EXPECT_FALSE(ParseSlurmDuration("99999999999:00:00").ok());
  EXPECT_FALSE(ParseDuration(Json(9223372036854775807LL)).ok());
  EXPECT_EQ(*ParseSlurmDuration("1-00:00:01"), 86401);
}

}  // namespace
}  // namespace drover

// Slurm hostlists (api/hostlist.h), against what Slurm's scontrol show
// hostnames / hostlist compress give for the same text.
#include "api/hostlist.h"

#include <gtest/gtest.h>

namespace drover {
namespace {

using Names = std::vector<std::string>;

TEST(HostlistTest, ExpandsAsSlurmDoes) {
  struct Case {
    std::string text;
    Names names;
  };
  const Case cases[] = {
      {"", {}},
      {"n1", {"n1"}},
      {"n[1-3]", {"n1", "n2", "n3"}},
      {"tux[0-3,5],linux[01-02]", {"tux0", "tux1", "tux2", "tux3", "tux5", "linux01", "linux02"}},
      {"n[08-11]", {"n08", "n09", "n10", "n11"}},  // the lower bound's width
      {"n[98-101]", {"n98", "n99", "n100", "n101"}},
      {"r[1-2]n[1-2]", {"r1n1", "r1n2", "r2n1", "r2n2"}},
      {"n[3],a,b", {"n3", "a", "b"}},
      {"[1-2]x", {"1x", "2x"}},
      {"n[1-2]-ib", {"n1-ib", "n2-ib"}},
      {"n2,n1,n2", {"n2", "n1", "n2"}},  // order and duplicates kept
  };
  for (const Case& c : cases) {
    auto names = ExpandHostlist(c.text);
    ASSERT_TRUE(names.ok()) << c.text << ": " << names.status().ToString();
    EXPECT_EQ(*names, c.names) << c.text;
  }
}

TEST(HostlistTest, MalformedListsAreRefusedNamingTheRule) {
  struct Case {
    std::string text;
    std::string rule;
  };
  const Case cases[] = {
      {"n[1-3", "'[' without ']'"},
      {"n1-3]", "']' without '['"},
      {"n[]", "empty brackets"},
      {"n[3-1]", "runs backwards"},
      {"n[a-b]", "is not N or N-M"},
      {"n[1-2-3]", "is not N or N-M"},
      {"n[1,,2]", "is not N or N-M"},
      {"n[[1]]", "inside brackets"},
      {"a,,b", "an empty name"},
      {"a,", "an empty name"},
      {"a b", "no spaces"},
      {"n[1-99999999999]", "more than 200000 names"},
      {"a[1-400]b[1-501]", "more than 200000 names"},
      {"n[1234567890123456789]", "more than 18 digits"},
  };
  for (const Case& c : cases) {
    auto names = ExpandHostlist(c.text);
    ASSERT_FALSE(names.ok()) << c.text;
    EXPECT_NE(names.status().message().find(c.rule), std::string::npos)
        << c.text << ": " << names.status().message();
  }
}

TEST(HostlistTest, CompressesToTheUsualForm) {
  struct Case {
    Names names;
    std::string text;
  };
  const Case cases[] = {
      {{}, ""},
      {{"n1"}, "n1"},
      {{"n1", "n2", "n3", "n5"}, "n[1-3,5]"},
      {{"n3", "n1", "n2", "n1"}, "n[1-3]"},
      {{"n07", "n08", "n09", "n10"}, "n[07-10]"},
      {{"n9", "n10"}, "n[9-10]"},
      {{"n01", "n1"}, "n01,n1"},  // different names
      {{"gpu", "n2", "n1"}, "gpu,n[1-2]"},
      {{"r1n1", "r1n2", "r2n1"}, "r1n[1-2],r2n1"},
  };
  for (const Case& c : cases) EXPECT_EQ(CompressHostlist(c.names), c.text);
}

TEST(HostlistTest, CompressedListsExpandBackToTheSameNames) {
  const Names names = {"node099", "node100", "node101", "a7", "a08", "a09",
                       "a10",     "x",       "node1",   "b",  "b1",  "b01"};
  auto back = ExpandHostlist(CompressHostlist(names));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  Names sorted_back = *back;
  std::sort(sorted_back.begin(), sorted_back.end());
  Names sorted = names;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted_back, sorted) << CompressHostlist(names);
}

TEST(HostlistTest, CountListsExpandAsSlurmWritesThem) {
  using Counts = std::vector<int32_t>;
  EXPECT_EQ(*ExpandCountList("4"), Counts({4}));
  EXPECT_EQ(*ExpandCountList("2(x3),1"), Counts({2, 2, 2, 1}));
  EXPECT_EQ(*ExpandCountList("1,2(x2),0"), Counts({1, 2, 2, 0}));
  for (const char* bad : {"", ",", "2,", "x", "2(x)", "2(x0)", "2(x3", "2;1", "-1", "9999999"}) {
    auto r = ExpandCountList(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find(std::string("\"") + bad + "\""), std::string::npos)
        << r.status().message();
  }
  EXPECT_FALSE(ExpandCountList("1(x300000)").ok());
}

}  // namespace
}  // namespace drover

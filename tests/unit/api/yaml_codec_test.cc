#include "api/yaml_codec.h"

#include <gtest/gtest.h>

namespace drover {
namespace {

TEST(YamlCodecTest, ManifestDecodesLikeItsJson) {
  auto docs = ParseYamlDocuments(R"(
apiVersion: drover.io/v1
kind: Job
metadata:
  name: render
spec:
  completions: 100
  parallelism: 8
  completionMode: Indexed
  template:
    command: ["/bin/sh", "-c", "echo $DROVER_TASK_INDEX"]
    resources: {cpus: 1, memory: 256Mi}
    env:
      - name: SHOT
        value: "007"
)");
  ASSERT_TRUE(docs.ok()) << docs.status().ToString();
  ASSERT_EQ(docs->size(), 1u);
  auto job = JobFromJson(docs->at(0));
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(job->spec.completions, 100);
  EXPECT_EQ(job->spec.task.env.at(0).second, "007");  // quoted stays a string
  EXPECT_EQ(job->spec.task.resources.memory_bytes, 256LL << 20);
}

TEST(YamlCodecTest, MultipleDocumentsAreReturnedInOrder) {
  auto docs = ParseYamlDocuments("a: 1\n---\nb: true\n---\n");
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ(docs->at(0)["a"], 1);
  EXPECT_EQ(docs->at(1)["b"], true);
}

TEST(YamlCodecTest, SyntaxErrorNamesTheLine) {
  auto docs = ParseYamlDocuments("a: 1\nb: [1, 2\nc: 3\n");
  ASSERT_FALSE(docs.ok());
  EXPECT_NE(docs.status().message().find("line"), std::string::npos);
}

TEST(YamlCodecTest, ToYamlRoundTrips) {
  Json j = {{"a", 1}, {"b", {"x", "y"}}, {"c", {{"d", "007"}}}};
  auto docs = ParseYamlDocuments(ToYaml(j));
  ASSERT_TRUE(docs.ok());
  EXPECT_EQ(docs->at(0), j);
}

}  // namespace
}  // namespace drover

namespace drover {
namespace {

// yaml-cpp 0.7 loops forever on these (found by tests/fuzz): refused first.
TEST(YamlCodecTest, ARootCommaIsRefusedBeforeYamlCppLoopsOnIt) {
  for (const char* bad :
       {",", " ,a", "[a],", "{a: b},", "'x',", "\"x\",", "[a]\n# c\n,", "--- ,", "a: b\n---\n,",
        "--- [a]\n--- ,", "'it''s', x", R"({"scheduler": {}},)", R"({"a": 0} "easy", "q)",
        // A tag or an anchor before the node changes nothing (found by tests/fuzz).
        "!t \"x\",", "&a [1],", "!t\n\"x\",", "{a: 0} !t \"b\",", "!!str 'x',", "!h,",
        "\"sc\"&(s\","}) {
    auto r = ParseYamlDocuments(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("','"), std::string::npos) << r.status().ToString();
  }
  for (const char* good :
       {"a, b", "x\n,y", "a: [1, 2]", "[a, b]", "{a: 1, b: 2}", "'it''s'", "!!str 'x'", "&a [1]",
        "!t {a: 1}", "a: |\n  ,b\n", "# a, comment\nk: v", "- [a, b]\n- {c: d}"}) {
    EXPECT_TRUE(ParseYamlDocuments(good).ok()) << good;
  }
  // Unterminated quotes ending in an escape must not read past the text (found by tests/fuzz).
  for (const char* cut : {"\"a\\", "[\"a\\", "'a", "{\"k\": \"v\\"}) {
    EXPECT_FALSE(ParseYamlDocuments(cut).ok()) << cut;
  }
}

}  // namespace
TEST(YamlCodecTest, ControlBytesAndInvalidUtf8AreRefusedNamingTheLine) {
  auto nul = ParseYamlDocuments(std::string("a: 1\nb: \0,", 11));
  ASSERT_FALSE(nul.ok());
  EXPECT_NE(nul.status().message().find("line 2: byte 0x00"), std::string::npos)
      << nul.status().ToString();
  EXPECT_FALSE(ParseYamlDocuments("a: \xff\xfe").ok());
  EXPECT_FALSE(ParseYamlDocuments("a: \x08").ok());
  EXPECT_TRUE(ParseYamlDocuments("a: caf\xc3\xa9\tb\r\n").ok()) << "UTF-8, tabs and CRLF are fine";
}

}  // namespace drover

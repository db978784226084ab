#include "db/mutation_check.h"

#include <gtest/gtest.h>

namespace drover::db {
namespace {

TEST(IsStorableTextTest, AcceptsWellFormedUtf8) {
  for (std::string_view text :
       {std::string_view(""), std::string_view("plain ascii, longer than one 8-byte word"),
        std::string_view("caf\xC3\xA9"), std::string_view("\xE2\x98\x95 coffee"),
        std::string_view("rocket \xF0\x9F\x9A\x80"), std::string_view("\xF4\x8F\xBF\xBF"),
        std::string_view("\x7F\x01\x1F")}) {
    EXPECT_TRUE(IsStorableText(text)) << text;
  }
}

TEST(IsStorableTextTest, RejectsNulAndMalformedUtf8) {
  const std::string_view cases[] = {
      std::string_view("\0", 1),
      std::string_view("0123456789abcdef\0tail", 21),  // NUL found by the word-at-a-time path
      std::string_view("\xC3"),                        // truncated
      std::string_view("\xC3\x28"),                    // bad continuation
      std::string_view("\xC0\x80"),                    // overlong NUL
      std::string_view("\xE0\x80\xAF"),                // overlong '/'
      std::string_view("\xED\xA0\x80"),                // UTF-16 surrogate
      std::string_view("\xF4\x90\x80\x80"),            // above U+10FFFF
      std::string_view("\xFF"),
      std::string_view("\x80"),  // lone continuation byte
  };
  for (std::string_view text : cases)
    EXPECT_FALSE(IsStorableText(text)) << testing::PrintToString(text);
}

TEST(CheckBatchTest, NamesTheFirstOffendingMutationAndField) {
  std::vector<Mutation> batch = {Mutation::Put("job", "1", "{}"), Mutation::Delete("job", "2"),
                                 Mutation::Put("job", "3", "\xFF"), Mutation::Put("", "4", "{}")};
  Status st = CheckBatch(batch);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.field(), "batch[2].data");
  EXPECT_NE(st.message().find("job/3"), std::string::npos) << st.message();
}

TEST(CheckBatchTest, DeleteDataIsNotChecked) {
  Mutation m = Mutation::Delete("job", "1");
  m.data = std::string("\0", 1);
  EXPECT_TRUE(CheckBatch({m}).ok());
}

}  // namespace
}  // namespace drover::db

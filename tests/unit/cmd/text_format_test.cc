#include "cmd/drover/text_format.h"

#include <gtest/gtest.h>

#include "cmd/drover/table.h"

namespace drover::cli {
namespace {

TEST(FormatElapsedTest, UsesSlurmForms) {
  EXPECT_EQ(FormatElapsed(0), "0:00");
  EXPECT_EQ(FormatElapsed(5), "0:05");
  EXPECT_EQ(FormatElapsed(754), "12:34");
  EXPECT_EQ(FormatElapsed(3723), "1:02:03");
  EXPECT_EQ(FormatElapsed(2 * 86400 + 3 * 3600 + 4 * 60 + 5), "2-03:04:05");
  EXPECT_EQ(FormatElapsed(-7), "0:00");
  EXPECT_EQ(FormatTimeLimit(0), "UNLIMITED");
}

TEST(FormatBytesTest, UsesBinaryUnits) {
  EXPECT_EQ(FormatBytes(0), "0");
  EXPECT_EQ(FormatBytes(800), "800");
  EXPECT_EQ(FormatBytes(512LL << 20), "512Mi");
  EXPECT_EQ(FormatBytes(3LL << 29), "1.5Gi");
  EXPECT_EQ(FormatBytes(16LL << 30), "16Gi");
}

TEST(TableTest, AlignsColumnsAndTrimsTrailingSpace) {
  Table t({"ID", "NAME", "STATE"});
  t.AddRow({"7", "render", "Running"});
  t.AddRow({"1234", "x"});
  EXPECT_EQ(t.Render(),
            "ID     NAME     STATE\n"
            "7      render   Running\n"
            "1234   x\n");
}

TEST(TableTest, CountsUtf8CharactersNotBytes) {
  Table t({"A", "B"});
  t.AddRow({"é", "x"});
  EXPECT_EQ(t.Render(), "A   B\né   x\n");
}

}  // namespace
}  // namespace drover::cli

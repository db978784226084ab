#include "cmd/drover/sacct_format.h"

#include <gtest/gtest.h>

namespace drover::cli {
namespace {

HistoryRecord Step() {
  HistoryRecord r;
  r.id = "12.0";
  r.job_id = 12;
  r.step = "0";
  r.name = "a-rather-long-step-name";
  r.user = "alice";
  r.partition = "batch";
  r.state = "FAILED";
  r.exit_code = 3;
  r.start_ms = 1'000'000;
  r.end_ms = 1'000'000 + 3'723'000;  // 1:02:03
  r.alloc_cpus = 4;
  r.ntasks = 2;
  r.user_cpu_ms = 61'234;
  r.max_rss_kb = 2048;
  return r;
}

TEST(SacctFormatTest, FieldsAreCaseInsensitiveAndTakeAWidth) {
  auto f = ParseSacctFormat("JOBID,jobname%30,State%-6");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_EQ(f->size(), 3u);
  EXPECT_EQ((*f)[0].name, "JobID");
  EXPECT_EQ((*f)[0].width, -12);
  EXPECT_EQ((*f)[1].width, 30);
  EXPECT_EQ((*f)[2].width, -6);
}

TEST(SacctFormatTest, BadFormatsAreRefusedNamingWhatIsWrong) {
  for (const auto& [format, message] : std::vector<std::pair<std::string, std::string>>{
           {"jobid,wat", "Invalid field requested: \"wat\""},
           {"jobname%x", "bad width in \"jobname%x\""},
           {",", "names no field"}}) {
    auto f = ParseSacctFormat(format);
    ASSERT_FALSE(f.ok()) << format;
    EXPECT_NE(f.status().message().find(message), std::string::npos) << f.status().message();
  }
}

TEST(SacctFormatTest, TableCellsAreCutWithAPlusAndAlignedBySign) {
  auto f = ParseSacctFormat("jobid,jobname,state,exitcode");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(SacctLine(*f, {}, Step(), 0), "12.0         a-rather-+     FAILED      3:0 \n");
  EXPECT_EQ(SacctHeader(*f, {}),
            "JobID           JobName      State ExitCode \n"
            "------------ ---------- ---------- -------- \n");
}

TEST(SacctFormatTest, ParsableFormsJoinFieldsWithTheDelimiter) {
  auto f = ParseSacctFormat("jobid,state,user,partition");
  ASSERT_TRUE(f.ok());
  SacctStyle p2{.parsable = true, .trailing_delimiter = false, .delimiter = "|"};
  SacctStyle p{.parsable = true, .trailing_delimiter = true, .delimiter = ";"};
  // A step shows no user or partition, as Slurm's do.
  EXPECT_EQ(SacctLine(*f, p2, Step(), 0), "12.0|FAILED||\n");
  EXPECT_EQ(SacctLine(*f, p, Step(), 0), "12.0;FAILED;;;\n");
  EXPECT_EQ(SacctHeader(*f, p2), "JobID|State|User|Partition\n");
}

TEST(SacctFormatTest, TimesAndUsageReadAsSlurmPrintsThem) {
  auto f = ParseSacctFormat("elapsed,cputime,cputimeraw,totalcpu,maxrss,ntasks,start,end");
  ASSERT_TRUE(f.ok());
  SacctStyle p2{.parsable = true, .trailing_delimiter = false, .delimiter = "|"};
  const std::string line = SacctLine(*f, p2, Step(), 0);
  EXPECT_EQ(line.rfind("01:02:03|04:08:12|14892|01:01.234|2048K|2|", 0), 0u) << line;
  HistoryRecord running = Step();
  running.end_ms = 0;
  const std::string live = SacctLine(*f, p2, running, running.start_ms + 5'000);
  EXPECT_EQ(live.substr(0, 8), "00:00:05");
  EXPECT_EQ(live.substr(live.rfind('|')), "|Unknown\n");
}

TEST(SacctFormatTest, DurationsAndCpuTimes) {
  EXPECT_EQ(SacctDuration(5), "00:00:05");
  EXPECT_EQ(SacctDuration(3723), "01:02:03");
  EXPECT_EQ(SacctDuration(2 * 86400 + 3600), "2-01:00:00");
  EXPECT_EQ(SacctCpuTime(1'234), "00:01.234");
  EXPECT_EQ(SacctCpuTime(3'600'000), "01:00:00");
}

TEST(SacctFormatTest, StatesAreCodesOrNamesInAnyCase) {
  auto s = ParseSacctStates("CD,failed,To,oom,f");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, (std::vector<std::string>{"COMPLETED", "FAILED", "TIMEOUT", "OUT_OF_MEMORY"}));
  auto bad = ParseSacctStates("CD,XX");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "--state");
  EXPECT_NE(bad.status().message().find("\"xx\""), std::string::npos);
}

}  // namespace
}  // namespace drover::cli

#include "api/history.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace drover {
namespace {

TEST(HistoryRecordTest, JsonRoundTripsEveryFieldAndRefusesUnknownOnes) {
  HistoryRecord r;
  r.id = "7_2.batch";
  r.job_id = 7;
  r.array_index = 2;
  r.step = "batch";
  r.name = "frames";
  r.user = "alice";
  r.uid = 1000;
  r.state = "TIMEOUT";
  r.exit_code = 0;
  r.signal = 15;
  r.reason = "time limit exceeded";
  r.start_ms = 10;
  r.end_ms = 20;
  r.core_seconds = 0.5;
  r.max_rss_kb = 99;
  r.restarts = 1;
  auto back = HistoryRecordFromJson(ToJson(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, r);
  Json extra = ToJson(r);
  extra["bogus"] = 1;
  auto refused = HistoryRecordFromJson(extra, "items[0]");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().ToString().find("bogus"), std::string::npos)
      << refused.status().ToString();
}

TEST(HistoryRecordTest, SacctOrderIsJobThenIndexThenBatchThenStepsByNumber) {
  std::vector<std::string> ids = {"3.10", "3.batch", "3.2", "2_1", "3", "2_0.0", "2_0"};
  std::vector<HistoryRecord> records;
  for (const std::string& id : ids) {
    HistoryRecord r;
    r.id = id;
    r.job_id = std::stoull(id);
    const size_t us = id.find('_');
    r.array_index = us == std::string::npos ? -1 : std::stoll(id.substr(us + 1));
    const size_t dot = id.find('.');
    if (dot != std::string::npos) r.step = id.substr(dot + 1);
    records.push_back(r);
  }
  std::sort(records.begin(), records.end(), HistoryOrder);
  std::vector<std::string> sorted;
  for (const HistoryRecord& r : records) sorted.push_back(r.id);
  EXPECT_EQ(sorted,
            (std::vector<std::string>{"2_0", "2_0.0", "2_1", "3", "3.batch", "3.2", "3.10"}));
}

}  // namespace
}  // namespace drover

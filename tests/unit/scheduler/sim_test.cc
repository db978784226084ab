// drover-sim's reader and replay, and the exactness check of EASY against an
// independent reference replay (tests/unit/scheduler/reference_easy.py).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>

#include "cmd/sim/replay.h"
#include "cmd/sim/workload.h"

namespace drover::sim {
namespace {

constexpr char kHeader[] = "; MaxProcs: 4\n";

std::string Line(int id, int submit, int run, int procs, int estimate) {
  std::ostringstream s;
  s << id << ' ' << submit << " -1 " << run << ' ' << procs << " -1 -1 " << procs << ' ' << estimate
    << " -1 1 1 1 -1 -1 -1 -1 -1\n";
  return s.str();
}

TEST(SwfTest, ParsesTheReplayFieldsAndAppliesTheDropRules) {
  std::string text = kHeader + Line(1, 0, 10, 2, 5) + Line(2, 1, -1, 2, 5) + Line(3, 2, 5, 9, 5) +
                     Line(4, 3, 5, 0, 5);
  auto w = ParseSwf(text);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->max_procs, 4);
  ASSERT_EQ(w->jobs.size(), 1u);
  EXPECT_EQ(w->jobs[0].estimate_s, 10);  // max(estimate 5, run time 10)
  EXPECT_EQ(w->dropped, 3);
}

TEST(SwfTest, AllocatedProcessorsStandInWhenRequestedAreMissing) {
  std::string text = std::string(kHeader) + "1 0 -1 10 3 -1 -1 -1 20 -1 1 1 1 -1 -1 -1 -1 -1\n";
  auto w = ParseSwf(text);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->jobs.at(0).procs, 3);
}

TEST(SwfTest, MalformedLineIsNamedByNumber) {
  std::string text =
      kHeader + Line(1, 0, 10, 2, 5) + "2 0 -1 x 1 -1 -1 1 1 -1 1 1 1 -1 -1 -1 -1 -1\n";
  auto w = ParseSwf(text);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().field(), "line 3");
  EXPECT_NE(w.status().message().find("field 4"), std::string::npos);
}

TEST(SwfTest, TruncatedLastLineIsNamedByNumber) {
  std::string text = kHeader + Line(1, 0, 10, 2, 5) + "2 0 -1 10 1";
  auto w = ParseSwf(text);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().field(), "line 3");
  EXPECT_NE(w.status().message().find("truncated"), std::string::npos);
}

TEST(JobListTest, ReadsDroverJsonJobs) {
  auto w = ParseJobList(
      R"({"maxProcs": 8, "jobs": [{"id": 7, "submit": 5, "runtime": 60, "procs": 4, "estimate": 100}]})");
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_EQ(w->jobs.size(), 1u);
  EXPECT_EQ(w->jobs[0].id, 7u);
  EXPECT_EQ(w->jobs[0].estimate_s, 100);
}

TEST(JobListTest, MissingFieldIsNamed) {
  auto w = ParseJobList(R"({"jobs": [{"submit": 5, "procs": 4}]})");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().field(), "jobs[0].runtime");
}

Workload Small() {
  // 4 cores. Job 1 holds 3 until t=100; job 2 (4 cores) waits; job 3 (1 core,
  // 50 s) backfills under EASY; FCFS makes it wait.
  std::string text =
      kHeader + Line(1, 0, 100, 3, 100) + Line(2, 1, 10, 4, 10) + Line(3, 2, 50, 1, 50);
  return ParseSwf(text).value();
}

TEST(ReplayTest, EasyBackfillsWhatFcfsHoldsBack) {
  scheduler::SchedulerConfig easy, fcfs;
  fcfs.policy = "fcfs";
  Machine m{1, 4};
  ReplayResult e = Replay(Small(), m, easy);
  ReplayResult f = Replay(Small(), m, fcfs);
  EXPECT_EQ(e.jobs[2].start_s, 2);
  EXPECT_EQ(f.jobs[2].start_s, 110);
  EXPECT_EQ(e.jobs[1].start_s, 100);  // the reservation holds
  EXPECT_LT(e.mean_bounded_slowdown, f.mean_bounded_slowdown);
}

TEST(ReplayTest, ManyNodesGiveTheSameScheduleForOneCoreGangs) {
  scheduler::SchedulerConfig easy;
  ReplayResult one = Replay(Small(), Machine{1, 4}, easy);
  ReplayResult many = Replay(Small(), Machine{4, 1}, easy);
  for (size_t i = 0; i < one.jobs.size(); ++i) {
    EXPECT_EQ(one.jobs[i].start_s, many.jobs[i].start_s) << "job " << one.jobs[i].id;
  }
}

#ifdef DROVER_TRACE
// The whole shared trace, EASY, against the independent Python replay: every
// job's start time must be identical.
TEST(ReplayTest, EasyMatchesTheReferenceReplayOnTheKthTrace) {
  const std::string trace = DROVER_TRACE;
  if (!std::filesystem::exists(trace)) GTEST_SKIP() << "no trace at " << trace;
  if (std::system("python3 -c '' >/dev/null 2>&1") != 0) GTEST_SKIP() << "no python3";
  const std::string cmd = "python3 " DROVER_REFERENCE_EASY " " + trace;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  ASSERT_NE(pipe, nullptr);
  std::string reference;
  char buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe.get())) > 0) reference.append(buf, n);

  auto text = ReadMaybeGzip(trace);
  ASSERT_TRUE(text.ok());
  auto w = ParseSwf(*text);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ReplayResult r = Replay(*w, Machine{1, static_cast<int32_t>(w->max_procs)}, {});
  std::istringstream ref(reference);
  size_t checked = 0, differ = 0;
  uint64_t id;
  int64_t submit, start, end;
  while (ref >> id >> submit >> start >> end) {
    ASSERT_LT(checked, r.jobs.size());
    ASSERT_EQ(r.jobs[checked].id, id);
    if (r.jobs[checked].start_s != start && differ++ < 5) {
      ADD_FAILURE() << "job " << id << ": drover starts it at " << r.jobs[checked].start_s
                    << ", the reference at " << start;
    }
    ++checked;
  }
  EXPECT_EQ(checked, r.jobs.size());
  EXPECT_EQ(differ, 0u);
}
#endif

}  // namespace
}  // namespace drover::sim

#include "controllers/job_controller.h"

#include <gtest/gtest.h>

namespace drover::controllers {
namespace {

Job MakeJob(int64_t completions, int64_t parallelism, CompletionMode mode, int32_t backoff = 6) {
  Job j;
  j.id = 1;
  j.spec.completions = completions;
  j.spec.parallelism = parallelism;
  j.spec.completion_mode = mode;
  j.spec.backoff_limit = backoff;
  return j;
}

Task Ended(int64_t index, TaskPhase phase, int exit_code = 0) {
  Task t;
  t.metadata.name = TaskName(1, index, 0);
  t.spec.index = index;
  t.status.phase = phase;
  t.status.exit_code = exit_code;
  return t;
}

TEST(JobControllerTest, WantsUpToParallelismCappedByRemaining) {
  Job j = MakeJob(10, 4, CompletionMode::kIndexed);
  EXPECT_EQ(TasksWanted(j), 4);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(ClaimNextIndex(j), i);
    RecordTaskStart(j, 100);
  }
  EXPECT_EQ(TasksWanted(j), 0);
  EXPECT_EQ(j.status.phase, JobPhase::kRunning);
  Job small = MakeJob(2, 8, CompletionMode::kIndexed);
  EXPECT_EQ(TasksWanted(small), 2);
}

TEST(JobControllerTest, IndexedJobGivesEachIndexExactlyOneSuccess) {
  Job j = MakeJob(3, 3, CompletionMode::kIndexed);
  for (int i = 0; i < 3; ++i) {
    ClaimNextIndex(j);
    RecordTaskStart(j, 1);
  }
  RecordTaskEnd(j, Ended(1, TaskPhase::kSucceeded), 2);
  RecordTaskEnd(j, Ended(0, TaskPhase::kSucceeded), 3);
  EXPECT_EQ(j.status.phase, JobPhase::kRunning);
  auto effect = RecordTaskEnd(j, Ended(2, TaskPhase::kSucceeded), 4);
  EXPECT_TRUE(effect.job_finished);
  EXPECT_EQ(j.status.phase, JobPhase::kSucceeded);
  EXPECT_EQ(j.status.completed_indexes.ToString(), "0-2");
  EXPECT_EQ(j.status.completion_time_ms, 4);
  EXPECT_EQ(TasksWanted(j), 0);
}

TEST(JobControllerTest, RetriesFailedIndexUntilBackoffLimit) {
  Job j = MakeJob(1, 1, CompletionMode::kIndexed, /*backoff=*/2);
  for (int attempt = 0; attempt < 2; ++attempt) {
    ASSERT_EQ(TasksWanted(j), 1);
    EXPECT_EQ(ClaimNextIndex(j), 0) << "the retry runs the same index";
    RecordTaskStart(j, 1);
    auto effect = RecordTaskEnd(j, Ended(0, TaskPhase::kFailed, 1), 2);
    EXPECT_FALSE(effect.job_finished);
  }
  ClaimNextIndex(j);
  RecordTaskStart(j, 3);
  RecordTaskEnd(j, Ended(0, TaskPhase::kSucceeded), 4);
  EXPECT_EQ(j.status.phase, JobPhase::kSucceeded);
  EXPECT_EQ(j.status.failed, 2);
}

TEST(JobControllerTest, FailsWhenFailuresExceedBackoffLimit) {
  Job j = MakeJob(4, 2, CompletionMode::kIndexed, /*backoff=*/1);
  ClaimNextIndex(j);
  RecordTaskStart(j, 1);
  ClaimNextIndex(j);
  RecordTaskStart(j, 1);
  EXPECT_FALSE(RecordTaskEnd(j, Ended(0, TaskPhase::kFailed, 3), 2).job_finished);
  ClaimNextIndex(j);
  RecordTaskStart(j, 2);
  auto effect = RecordTaskEnd(j, Ended(0, TaskPhase::kFailed, 3), 3);
  EXPECT_TRUE(effect.job_finished);
  EXPECT_TRUE(effect.kill_active_tasks);
  EXPECT_EQ(j.status.phase, JobPhase::kFailed);
  EXPECT_NE(j.status.message.find("exited with 3"), std::string::npos);
}

TEST(JobControllerTest, NonIndexedJobCountsSuccesses) {
  Job j = MakeJob(3, 2, CompletionMode::kNonIndexed);
  ClaimNextIndex(j);
  RecordTaskStart(j, 1);
  ClaimNextIndex(j);
  RecordTaskStart(j, 1);
  RecordTaskEnd(j, Ended(0, TaskPhase::kSucceeded), 2);
  EXPECT_EQ(TasksWanted(j), 1);
  EXPECT_EQ(ClaimNextIndex(j), 2);
  RecordTaskStart(j, 2);
  RecordTaskEnd(j, Ended(1, TaskPhase::kSucceeded), 3);
  RecordTaskEnd(j, Ended(2, TaskPhase::kSucceeded), 4);
  EXPECT_EQ(j.status.phase, JobPhase::kSucceeded);
}

TEST(JobControllerTest, CancelIsOnceAndStopsWanting) {
  Job j = MakeJob(5, 5, CompletionMode::kIndexed);
  EXPECT_TRUE(CancelJob(j, 9));
  EXPECT_EQ(j.status.phase, JobPhase::kCancelled);
  EXPECT_EQ(TasksWanted(j), 0);
  EXPECT_FALSE(CancelJob(j, 10));
  // A task ending after the cancel does not revive the job.
  RecordTaskEnd(j, Ended(0, TaskPhase::kSucceeded), 11);
  EXPECT_EQ(j.status.phase, JobPhase::kCancelled);
}

TEST(JobControllerTest, RequeuedTaskRunsAgainWithoutCountingAFailure) {
  Job j = MakeJob(2, 2, CompletionMode::kIndexed, /*backoff=*/0);
  ClaimNextIndex(j);
  RecordTaskStart(j, 1);
  ClaimNextIndex(j);
  RecordTaskStart(j, 1);
  RecordTaskRequeued(j, Ended(1, TaskPhase::kCancelled));
  EXPECT_EQ(j.status.failed, 0);
  EXPECT_EQ(j.status.phase, JobPhase::kRunning);
  ASSERT_EQ(TasksWanted(j), 1);
  EXPECT_EQ(ClaimNextIndex(j), 1);
}

TEST(JobControllerTest, MillionTaskArrayIsOneRecord) {
  Job j = MakeJob(1'000'000, 64, CompletionMode::kIndexed);
  for (int64_t i = 0; i < 1000; ++i) {
    ClaimNextIndex(j);
    RecordTaskStart(j, 1);
    RecordTaskEnd(j, Ended(i, TaskPhase::kSucceeded), 2);
  }
  EXPECT_EQ(j.status.completed_indexes.ToString(), "0-999");
  EXPECT_EQ(j.status.next_index, 1000);
  EXPECT_EQ(TasksWanted(j), 64);
}

}  // namespace
}  // namespace drover::controllers

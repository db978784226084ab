// Jobs as squeue prints them: states, reasons, the -o and -O formats.
#include "cmd/drover/slurm_job_format.h"

#include <gtest/gtest.h>

namespace drover::cli {
namespace {

Job MakeJob(JobPhase phase) {
  Job job;
  job.id = 42;
  job.metadata.name = "render-frames";
  job.owner.user = "alice";
  job.spec.queue = "batch";
  job.status.phase = phase;
  return job;
}

TEST(SlurmJobFormatTest, StatesAndCodesAreSlurms) {
  struct Case {
    JobPhase phase;
    const char* message;
    const char* name;
    const char* code;
  };
  for (const Case& c :
       {Case{JobPhase::kPending, "", "PENDING", "PD"}, Case{JobPhase::kRunning, "", "RUNNING", "R"},
        Case{JobPhase::kSucceeded, "", "COMPLETED", "CD"},
        Case{JobPhase::kCancelled, "cancelled", "CANCELLED", "CA"},
        Case{JobPhase::kFailed, "backoff limit 0 exceeded", "FAILED", "F"},
        Case{JobPhase::kFailed, "... time limit exceeded", "TIMEOUT", "TO"},
        Case{JobPhase::kFailed, "task x was lost with its node and ...", "NODE_FAIL", "NF"},
        Case{JobPhase::kFailed,
             "backoff limit 0 exceeded: task 3_0.0: out of memory: a process went over the task's "
             "memory limit",
             "OUT_OF_MEMORY", "OOM"}}) {
    Job job = MakeJob(c.phase);
    job.status.message = c.message;
    EXPECT_EQ(SlurmStateName(job), c.name);
    EXPECT_EQ(SlurmStateCode(job), c.code);
    EXPECT_TRUE(SlurmStateMatches(c.code, job));
    EXPECT_TRUE(SlurmStateMatches(c.name, job));
    EXPECT_TRUE(SlurmStateMatches("all", job));
  }
  EXPECT_FALSE(SlurmStateMatches("R", MakeJob(JobPhase::kPending)));
}

TEST(SlurmJobFormatTest, PendingReasonsInSlurmsWords) {
  Job job = MakeJob(JobPhase::kPending);
  EXPECT_EQ(SlurmReason(job), "None");
  job.status.reasons = {"Held", "Dependency"};
  EXPECT_EQ(SlurmReason(job), "JobHeldUser");
  job.status.reasons = {"Resources"};
  EXPECT_EQ(SlurmReason(job), "Resources");
}

TEST(SlurmJobFormatTest, TheDefaultFormatLinesUpAsSqueuesAndCutsLongFields) {
  auto format = ParseSqueueFormat(kSqueueDefaultFormat);
  ASSERT_TRUE(format.ok()) << format.status().ToString();
  EXPECT_EQ(SqueueHeader(*format),
            "             JOBID PARTITION     NAME     USER ST       TIME  NODES "
            "NODELIST(REASON)");
  Job job = MakeJob(JobPhase::kRunning);
  job.status.start_time_ms = 1'000'000;
  EXPECT_EQ(SqueueLine(*format, {&job, "node-[1-2]"}, 1'000'000 + 65'000),
            "                42     batch render-f    alice  R       1:05      1 node-[1-2]");
  Job pending = MakeJob(JobPhase::kPending);
  pending.status.reasons = {"Priority"};
  EXPECT_NE(SqueueLine(*format, {&pending, ""}, 0).find("PD       0:00      1 (Priority)"),
            std::string::npos);
}

TEST(SlurmJobFormatTest, ArraysShowTheirIndexesAndThrottle) {
  Job job = MakeJob(JobPhase::kPending);
  job.spec.completion_mode = CompletionMode::kIndexed;
  job.spec.completions = 3;
  job.spec.parallelism = 2;
  job.spec.indexes = *IndexSet::Parse("1,3,5");
  auto format = ParseSqueueFormat("%i|%K|%j");
  ASSERT_TRUE(format.ok());
  EXPECT_EQ(SqueueLine(*format, {&job, ""}, 0), "42_[1,3,5%2]|[1,3,5%2]|render-frames");
}

TEST(SlurmJobFormatTest, LiteralsPercentAndLongNames) {
  auto format = ParseSqueueFormat("id=%i %% %-6u|");
  ASSERT_TRUE(format.ok());
  Job job = MakeJob(JobPhase::kRunning);
  EXPECT_EQ(SqueueLine(*format, {&job, ""}, 0), "id=42 % alice |");
  auto by_name = ParseSqueueLongFormat("JobID:6,State:.10,Partition");
  ASSERT_TRUE(by_name.ok());
  EXPECT_EQ(SqueueLine(*by_name, {&job, ""}, 0), "42        RUNNING batch               ");
  EXPECT_EQ(ParseSqueueFormat("%Z").status().field(), "--format");
  EXPECT_EQ(ParseSqueueFormat("%.18").status().field(), "--format");
  EXPECT_EQ(ParseSqueueLongFormat("Bogus").status().field(), "--Format");
}

}  // namespace
}  // namespace drover::cli

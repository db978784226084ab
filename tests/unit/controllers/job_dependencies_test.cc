#include "controllers/job_dependencies.h"

#include <gtest/gtest.h>

#include <map>

namespace drover::controllers {
namespace {

class JobDependenciesTest : public ::testing::Test {
 protected:
  // Job 1 in `phase`, started or not; returns the verdict for a job that
  // depends on it with `type`.
  DependencyState Verdict(const std::string& type, JobPhase phase, bool started) {
    Job other;
    other.id = 1;
    other.status.phase = phase;
    other.status.start_time_ms = started ? 1000 : 0;
    jobs_[1] = other;
    Job job;
    job.spec.dependencies = {{type, 1}};
    return EvaluateDependencies(job,
                                [this](uint64_t id) -> const Job* {
                                  auto it = jobs_.find(id);
                                  return it == jobs_.end() ? nullptr : &it->second;
                                })
        .state;
  }
  std::map<uint64_t, Job> jobs_;
};

TEST_F(JobDependenciesTest, EachTypeHoldsWhenSlurmSaysItDoes) {
  using S = DependencyState;
  EXPECT_EQ(Verdict("after", JobPhase::kPending, false), S::kWaiting);
  EXPECT_EQ(Verdict("after", JobPhase::kRunning, true), S::kSatisfied);
  EXPECT_EQ(Verdict("after", JobPhase::kCancelled, false), S::kSatisfied);
  EXPECT_EQ(Verdict("afterany", JobPhase::kRunning, true), S::kWaiting);
  EXPECT_EQ(Verdict("afterany", JobPhase::kFailed, true), S::kSatisfied);
  EXPECT_EQ(Verdict("afterok", JobPhase::kRunning, true), S::kWaiting);
  EXPECT_EQ(Verdict("afterok", JobPhase::kSucceeded, true), S::kSatisfied);
  EXPECT_EQ(Verdict("afterok", JobPhase::kFailed, true), S::kNeverSatisfied);
  EXPECT_EQ(Verdict("afterok", JobPhase::kCancelled, false), S::kNeverSatisfied);
  EXPECT_EQ(Verdict("afternotok", JobPhase::kSucceeded, true), S::kNeverSatisfied);
  EXPECT_EQ(Verdict("afternotok", JobPhase::kCancelled, false), S::kSatisfied);
}

TEST_F(JobDependenciesTest, AllMustHoldAndTheFirstImpossibleOneIsNamed) {
  Job ok, failed;
  ok.id = 1;
  ok.status.phase = JobPhase::kSucceeded;
  failed.id = 2;
  failed.status.phase = JobPhase::kFailed;
  jobs_ = {{1, ok}, {2, failed}};
  auto find = [this](uint64_t id) -> const Job* {
    auto it = jobs_.find(id);
    return it == jobs_.end() ? nullptr : &it->second;
  };
  Job job;
  job.spec.dependencies = {{"afterok", 1}, {"afterok", 2}};
  DependencyVerdict v = EvaluateDependencies(job, find);
  EXPECT_EQ(v.state, DependencyState::kNeverSatisfied);
  EXPECT_EQ(v.message, "dependency afterok:2 can never be satisfied: job 2 is Failed");
  job.spec.dependencies = {{"afterok", 1}, {"afterany", 3}};
  v = EvaluateDependencies(job, find);
  EXPECT_EQ(v.state, DependencyState::kNeverSatisfied);
  EXPECT_NE(v.message.find("job 3 does not exist"), std::string::npos) << v.message;
  job.spec.dependencies.clear();
  EXPECT_EQ(EvaluateDependencies(job, find).state, DependencyState::kSatisfied);
}

TEST_F(JobDependenciesTest, WithQuestionMarksAnyOneHoldingIsEnough) {
  using S = DependencyState;
  struct Case {
    JobPhase first, second;
    S want;
  };
  auto find = [this](uint64_t id) -> const Job* {
    auto it = jobs_.find(id);
    return it == jobs_.end() ? nullptr : &it->second;
  };
  for (const Case& c : {Case{JobPhase::kSucceeded, JobPhase::kRunning, S::kSatisfied},
                        Case{JobPhase::kFailed, JobPhase::kRunning, S::kWaiting},
                        Case{JobPhase::kFailed, JobPhase::kSucceeded, S::kSatisfied},
                        Case{JobPhase::kFailed, JobPhase::kCancelled, S::kNeverSatisfied}}) {
    jobs_[1].status.phase = c.first;
    jobs_[2].status.phase = c.second;
    Job job;
    job.spec.dependencies = {{"afterok", 1}, {"afterok", 2}};
    job.spec.dependency_any = true;
    DependencyVerdict v = EvaluateDependencies(job, find);
    EXPECT_EQ(v.state, c.want) << JobPhaseName(c.first) << "," << JobPhaseName(c.second);
    if (c.want == S::kNeverSatisfied) {
      EXPECT_NE(v.message.find("none of its dependencies"), std::string::npos) << v.message;
    }
  }
}

TEST_F(JobDependenciesTest, ADelayedAfterHoldsMinutesAfterTheOtherStartedAndSaysWhenToWake) {
  Job other;
  other.id = 1;
  other.status.phase = JobPhase::kRunning;
  other.status.start_time_ms = 10'000;
  jobs_[1] = other;
  auto find = [this](uint64_t id) -> const Job* {
    auto it = jobs_.find(id);
    return it == jobs_.end() ? nullptr : &it->second;
  };
  Job job;
  job.spec.dependencies = {{"after", 1, 300}};
  DependencyVerdict early = EvaluateDependencies(job, find, true, 10'000 + 299'999);
  EXPECT_EQ(early.state, DependencyState::kWaiting);
  EXPECT_EQ(early.wake_at_ms, 310'000);
  DependencyVerdict due = EvaluateDependencies(job, find, true, 310'000);
  EXPECT_EQ(due.state, DependencyState::kSatisfied);
  EXPECT_EQ(due.wake_at_ms, 0);
  // Ended without starting: the delay runs from its end.
  jobs_[1].status = {};
  jobs_[1].status.phase = JobPhase::kCancelled;
  jobs_[1].status.completion_time_ms = 50'000;
  EXPECT_EQ(EvaluateDependencies(job, find, true, 349'999).state, DependencyState::kWaiting);
  EXPECT_EQ(EvaluateDependencies(job, find, true, 350'000).state, DependencyState::kSatisfied);
}

TEST_F(JobDependenciesTest, SingletonWaitsForTheEarlierJobOfItsName) {
  Job job;
  job.spec.dependencies = {{"singleton", 0}};
  auto none = [](uint64_t) -> const Job* { return nullptr; };
  EXPECT_EQ(EvaluateDependencies(job, none, /*singleton_free=*/false).state,
            DependencyState::kWaiting);
  EXPECT_EQ(EvaluateDependencies(job, none, /*singleton_free=*/true).state,
            DependencyState::kSatisfied);
}

// aftercorr, index by index: (the other job's state) -> (ready, never) for
// an array 0-5 depending on array 1 with indexes 0-3.
struct CorrespondingRow {
  const char* name;
  JobPhase phase;
  const char* completed;
  const char* failed;
  const char* ready;
  const char* never;
};

TEST_F(JobDependenciesTest, AftercorrLetsEachIndexStartWhenItsCounterpartSucceeded) {
  const CorrespondingRow rows[] = {
      {"nothing done yet: nothing ready, nothing lost", JobPhase::kRunning, "", "", "", ""},
      {"done out of order: those indexes only", JobPhase::kRunning, "1,3", "", "1,3", ""},
      {"a failed counterpart never lets its index run", JobPhase::kRunning, "0", "2", "0", "2"},
      {"ended without some: those never run; indexes it lacks wait for its success",
       JobPhase::kFailed, "0-2", "", "0-2", "3-5"},
      {"succeeded: every index, those it lacks too", JobPhase::kSucceeded, "0-3", "", "0-5", ""},
  };
  for (const CorrespondingRow& row : rows) {
    Job other;
    other.id = 1;
    other.spec.completion_mode = CompletionMode::kIndexed;
    other.spec.completions = 4;
    other.status.phase = row.phase;
    other.status.completed_indexes = *IndexSet::Parse(row.completed);
    other.status.failed_indexes = *IndexSet::Parse(row.failed);
    jobs_[1] = other;
    Job job;
    job.spec.completion_mode = CompletionMode::kIndexed;
    job.spec.completions = 6;
    job.spec.dependencies = {{"aftercorr", 1}};
    auto find = [this](uint64_t id) -> const Job* {
      auto it = jobs_.find(id);
      return it == jobs_.end() ? nullptr : &it->second;
    };
    EXPECT_TRUE(HasCorrespondingDependency(job));
    EXPECT_EQ(EvaluateDependencies(job, find).state, DependencyState::kSatisfied)
        << row.name << ": the gate is per index";
    CorrespondingIndexes c = EvaluateCorresponding(job, find);
    EXPECT_EQ(c.ready.ToString(), row.ready) << row.name;
    EXPECT_EQ(c.never.ToString(), row.never) << row.name;
  }
  Job orphan;
  orphan.spec.completion_mode = CompletionMode::kIndexed;
  orphan.spec.completions = 2;
  orphan.spec.dependencies = {{"aftercorr", 99}};
  CorrespondingIndexes none =
      EvaluateCorresponding(orphan, [](uint64_t) -> const Job* { return nullptr; });
  EXPECT_EQ(none.never.ToString(), "0-1") << "a job that does not exist satisfies nothing";
}

}  // namespace
}  // namespace drover::controllers

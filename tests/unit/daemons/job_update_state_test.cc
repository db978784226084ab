// Changing a job after submission, on droverd's state: scontrol update job
// (each field's rule: who may change it, when, within which bounds; a refused
// update changes nothing) and scancel JOB_TASK (one array task stops, the
// others go on).
#include <gtest/gtest.h>

#include <optional>
#include <set>

#include "tests/unit/daemons/cluster_state_fixture.h"

namespace drover::droverd {
namespace {

const Caller kAdmin{.role = Role::kAdmin,
                    .user = "root",
                    .uid = 0,
                    .gid = 0,
                    .node = {},
                    .task = {},
                    .builtin = {}};

// An update of the fields given; nullopt leaves a field alone.
ClusterState::JobUpdate Fields(std::optional<int64_t> time_limit_s,
                               std::optional<int32_t> priority = std::nullopt,
                               std::optional<int32_t> nice = std::nullopt,
                               std::optional<int64_t> throttle = std::nullopt) {
  ClusterState::JobUpdate u;
  u.time_limit_s = time_limit_s;
  u.priority = priority;
  u.nice = nice;
  u.parallelism = throttle;
  return u;
}
constexpr std::nullopt_t kSame = std::nullopt;

class JobUpdateTest : public ClusterStateTest {
 protected:
  static DaemonConfig Config() {
    DaemonConfig c;
    scheduler::QueueLimits q;
    q.name = "short";
    q.max_time_s = 3600;
    c.scheduler.queues.push_back(q);
    return c;
  }
  JobUpdateTest() : ClusterStateTest(Config()) {}

  // A pending array job of alice's: 8 indexes, 2 at a time, 30 minutes each.
  uint64_t PendingArray() {
    Job j = MakeJob("array", 8, 0, "short");
    j.spec.parallelism = 2;
    j.spec.task.time_limit_s = 1800;
    j.spec.hold = true;  // stays pending
    return Submit(j);
  }
};

TEST_F(JobUpdateTest, EachFieldFollowsSlurmsRulesAndARefusalChangesNothing) {
  const uint64_t id = PendingArray();
  const Caller alice = User("alice", 1000);
  struct Case {
    std::string name;
    ClusterState::JobUpdate update;
    Caller caller;
    StatusCode code;
    std::string field_or_words;  // the error's field, or words of its message
  };
  const std::vector<Case> refused = {
      {"another user", Fields(60), User("bob", 1001), StatusCode::kPermissionDenied, ""},
      {"a user raising the time limit", Fields(3000), alice, StatusCode::kPermissionDenied,
       "only admins may raise"},
      {"over the queue's maxTime", Fields(7200), kAdmin, StatusCode::kInvalidArgument, "timeLimit"},
      {"no time at all", Fields(0), kAdmin, StatusCode::kInvalidArgument, "timeLimit"},
      {"a user setting a priority", Fields(kSame, 5), alice, StatusCode::kPermissionDenied,
       "only admins set"},
      {"a user's negative nice", Fields(kSame, kSame, -5), alice, StatusCode::kPermissionDenied,
       "negative nice"},
      {"a nice out of range", Fields(kSame, kSame, 2'000'000), kAdmin, StatusCode::kInvalidArgument,
       "nice"},
      {"a negative throttle", Fields(kSame, kSame, kSame, -1), alice, StatusCode::kInvalidArgument,
       "arrayTaskThrottle"},
      // All or nothing: the good nice does not land with the bad priority.
      {"a good field with a bad one", Fields(kSame, 5, 10), alice, StatusCode::kPermissionDenied,
       "only admins set"},
  };
  const Json before = ToJson(*state_.FindJob(id))["spec"];
  for (const Case& c : refused) {
    Status st = state_.UpdateJob(id, c.update, c.caller);
    EXPECT_EQ(st.code(), c.code) << c.name << ": " << st.ToString();
    if (!c.field_or_words.empty()) {
      EXPECT_TRUE(st.field() == c.field_or_words ||
                  st.message().find(c.field_or_words) != std::string::npos)
          << c.name << ": " << st.ToString();
    }
    EXPECT_EQ(ToJson(*state_.FindJob(id))["spec"], before) << c.name << " changed the job";
  }

  ASSERT_TRUE(state_.UpdateJob(id, Fields(600, kSame, 10), alice).ok());
  EXPECT_EQ(state_.FindJob(id)->spec.task.time_limit_s, 600);
  EXPECT_EQ(state_.FindJob(id)->spec.nice, 10);
  ASSERT_TRUE(state_.UpdateJob(id, Fields(3600, 7), kAdmin).ok());
  EXPECT_EQ(state_.FindJob(id)->spec.task.time_limit_s, 3600);
  EXPECT_EQ(state_.FindJob(id)->spec.priority, 7);
  ASSERT_TRUE(state_.UpdateJob(id, Fields(kSame, kSame, kSame, 0), alice).ok());
  EXPECT_EQ(state_.FindJob(id)->spec.parallelism, 8) << "0 lifts the throttle";
}

TEST_F(JobUpdateTest, AThrottleTakesEffectAtTheNextPassAndARunningJobsNewTimeLimitGoesToItsNodes) {
  const uint64_t id = PendingArray();
  const Caller alice = User("alice", 1000);
  ASSERT_TRUE(state_.SetHold(id, false, alice, now_).ok());
  Pass();
  EXPECT_EQ(Active(id).size(), 2u) << "2 at a time";
  ASSERT_TRUE(state_.UpdateJob(id, Fields(kSame, kSame, kSame, 3), alice).ok());
  Pass();
  EXPECT_EQ(Active(id).size(), 3u) << "the new throttle";
  const std::string node = Active(id).front()->spec.node;
  Poll(node);  // the launches, acknowledged below
  ASSERT_TRUE(state_.UpdateJob(id, Fields(60), alice).ok()) << "lowered by its owner";
  EXPECT_EQ(state_.FindJob(id)->spec.task.time_limit_s, 60);
  std::set<std::string> limited;
  for (const Json& l : Poll(node).value("limits", Json::array())) {
    EXPECT_EQ(l["timeLimit"], 60) << l.dump();
    limited.insert(l["task"].get<std::string>());
  }
  std::set<std::string> running_there;
  for (const Task* t : Active(id)) {
    if (t->spec.node == node) running_there.insert(t->metadata.name);
  }
  EXPECT_EQ(limited, running_there) << "each task running there is told, once";
  EXPECT_EQ(state_.UpdateJob(id, Fields(120), alice).code(), StatusCode::kPermissionDenied)
      << "raising it is for admins, running or not";
  for (const Task* t : Active(id)) Report(t, TaskPhase::kSucceeded);
  // A finished job changes no more.
  Job done = MakeJob("done", 1);
  const uint64_t finished = Submit(done);
  Pass();
  for (const Task* t : Active(finished)) Report(t, TaskPhase::kSucceeded);
  ASSERT_TRUE(IsTerminal(state_.FindJob(finished)->status.phase));
  EXPECT_EQ(state_.UpdateJob(finished, Fields(kSame, kSame, 1), alice).code(),
            StatusCode::kConflict);
  EXPECT_EQ(state_.UpdateJob(999, Fields(kSame, kSame, 1), alice).code(), StatusCode::kNotFound);
}

TEST_F(JobUpdateTest, CancellingArrayTasksStopsThemAndTheOthersRunOn) {
  const Caller alice = User("alice", 1000);
  const uint64_t id = Submit(MakeJob("frames", 6));  // 6 indexes, 4 cores
  Pass();
  ASSERT_EQ(Active(id).size(), 4u);
  for (const Task* t : Active(id)) Report(t, TaskPhase::kRunning);
  EXPECT_EQ(state_.CancelIndexes(id, *IndexSet::Parse("7"), alice).code(),
            StatusCode::kInvalidArgument)
      << "the array has no index 7";
  EXPECT_EQ(state_.CancelIndexes(id, *IndexSet::Parse("1"), User("bob", 1001)).code(),
            StatusCode::kPermissionDenied);
  // Index 1 runs, index 5 waits: both are cancelled.
  ASSERT_TRUE(state_.CancelIndexes(id, *IndexSet::Parse("1,5"), alice).ok());
  const Task* one = state_.FindTask(TaskName(id, 1, 0));
  ASSERT_NE(one, nullptr);
  EXPECT_TRUE(one->status.terminating);
  Report(one, TaskPhase::kFailed);  // killed: not a failure of the job
  EXPECT_EQ(state_.FindJob(id)->status.failed, 0);
  for (const Task* t : Active(id)) Report(t, TaskPhase::kSucceeded);
  Pass();
  // Only index 4 was left to run.
  std::vector<int64_t> started;
  for (const Task* t : Active(id)) started.push_back(t->spec.index);
  EXPECT_EQ(started, std::vector<int64_t>{4});
  for (const Task* t : Active(id)) Report(t, TaskPhase::kSucceeded);
  const Job* job = state_.FindJob(id);
  EXPECT_EQ(job->status.phase, JobPhase::kCancelled);
  EXPECT_EQ(job->status.completed_indexes.ToString(), "0,2-4");
  EXPECT_EQ(job->status.cancelled_indexes.ToString(), "1,5");
  EXPECT_EQ(state_.CancelIndexes(id, *IndexSet::Parse("0"), alice).code(), StatusCode::kConflict);
}

}  // namespace
}  // namespace drover::droverd

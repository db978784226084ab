// aftercorr on droverd's state: index N of an array starts once index N of
// the array it names has succeeded, in whatever order those succeed; an index
// whose counterpart failed for good is cancelled and the others go on.
#include <gtest/gtest.h>

#include <limits>
#include <set>

#include "tests/unit/daemons/cluster_state_fixture.h"

namespace drover::droverd {
namespace {

class AftercorrTest : public ClusterStateTest {
 protected:
  std::set<int64_t> ActiveIndexes(uint64_t job) {
    std::set<int64_t> out;
    for (const Task* t : Active(job)) out.insert(t->spec.index);
    return out;
  }
  const Task* ActiveTask(uint64_t job, int64_t index) {
    for (const Task* t : Active(job)) {
      if (t->spec.index == index) return t;
    }
    return nullptr;
  }
};

TEST_F(AftercorrTest, EachIndexStartsWhenItsCounterpartSucceedsAndOneThatFailedIsCancelled) {
  Job render = MakeJob("render", 3);
  render.spec.parallelism = 2;  // 2 of the node's 4 cores: room for the other array
  render.spec.backoff_limit_per_index = 0;
  render.spec.backoff_limit = std::numeric_limits<int32_t>::max();
  const uint64_t a = Submit(render);
  Job denoise = MakeJob("denoise", 3);
  denoise.spec.dependencies = {{"aftercorr", a}};
  const uint64_t b = Submit(denoise);
  Pass();
  EXPECT_EQ(ActiveIndexes(a), (std::set<int64_t>{0, 1}));
  EXPECT_TRUE(ActiveIndexes(b).empty()) << "no counterpart has succeeded";

  // Render's 1 succeeds first: denoise's 1 starts, not its 0.
  Report(ActiveTask(a, 1), TaskPhase::kSucceeded);
  Pass();
  EXPECT_EQ(ActiveIndexes(b), (std::set<int64_t>{1}));
  EXPECT_EQ(ActiveIndexes(a), (std::set<int64_t>{0, 2}));

  // Render's 0 fails for good: denoise's 0 never runs; its 2 waits for render's 2.
  Report(ActiveTask(a, 0), TaskPhase::kFailed, 1);
  Pass();
  EXPECT_EQ(state_.FindJob(b)->status.cancelled_indexes.ToString(), "0");
  EXPECT_NE(state_.FindJob(b)->status.message.find("aftercorr"), std::string::npos);
  EXPECT_EQ(ActiveIndexes(b), (std::set<int64_t>{1}));
  Report(ActiveTask(a, 2), TaskPhase::kSucceeded);
  Pass();
  EXPECT_EQ(ActiveIndexes(b), (std::set<int64_t>{1, 2}));
  for (const Task* t : Active(b)) Report(t, TaskPhase::kSucceeded);
  Pass();
  EXPECT_EQ(state_.FindJob(a)->status.phase, JobPhase::kFailed);
  EXPECT_EQ(state_.FindJob(b)->status.phase, JobPhase::kCancelled)
      << "index 0 cancelled, 1 and 2 done: " << state_.FindJob(b)->status.message;
  EXPECT_EQ(state_.FindJob(b)->status.completed_indexes.ToString(), "1-2");
}

TEST_F(AftercorrTest, AnAftercorrOnAJobThatIsNotAnArrayIsRefused) {
  const uint64_t a = Submit(MakeJob("first", 1));
  Job plain = MakeJob("plain", 1);
  plain.spec.completion_mode = CompletionMode::kNonIndexed;
  plain.spec.dependencies = {{"aftercorr", a}};
  auto r = state_.SubmitJob(plain, User("alice", 1000), now_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "spec.dependencies[0].type") << r.status().ToString();
}

}  // namespace
}  // namespace drover::droverd

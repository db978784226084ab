// The node's self-fence on a controlled clock: a task is stopped once the
// node has been without droverd for its interval, counted from the send time
// of the last answered request, once; settings survive an agent restart.
#include "daemons/node/self_fence.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

namespace drover::node {
namespace {

struct Killed {
  std::string task;
  int64_t grace_ms;
};

class SelfFenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/fence-" + std::to_string(getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  SelfFence Make() {
    return SelfFence(
        dir_,
        [this](const std::string& t, int64_t g) {
          killed_.push_back({t, g});
        },
        [this] { return now_; });
  }

  std::string dir_;
  int64_t now_ = 1'000'000;
  std::vector<Killed> killed_;
};

TEST_F(SelfFenceTest, ATaskIsStoppedOnceAfterItsIntervalWithoutAnAnsweredRequest) {
  SelfFence fence = Make();
  fence.Watch("db-0-abcde", 10'000, 2'000);
  fence.Contacted(now_);
  now_ += 9'999;  // T0 + 9,999
  EXPECT_EQ(fence.Check(), 0);
  // A request sent 5 s ago was answered now: silence counts from its sending.
  fence.Contacted(now_ - 5'000);  // last contact: T0 + 4,999
  now_ += 5'000;                   // T0 + 14,999: 10,000 ms since that request was sent
  EXPECT_EQ(fence.Check(), 1);
  ASSERT_EQ(killed_.size(), 1u);
  EXPECT_EQ(killed_[0].task, "db-0-abcde");
  EXPECT_EQ(killed_[0].grace_ms, 2'000);
  now_ += 10'000;
  EXPECT_EQ(fence.Check(), 0) << "once";
}

TEST_F(SelfFenceTest, AnEndedTaskIsForgottenAndARestartedAgentRestoresTheOthers) {
  {
    SelfFence fence = Make();
    fence.Watch("db-0-abcde", 10'000, 2'000);
    fence.Watch("db-1-fghij", 10'000, 2'000);
    fence.Forget("db-1-fghij");
  }
  SelfFence again = Make();  // the agent restarted and re-adopted both
  again.Restore({"db-0-abcde", "db-1-fghij"});
  EXPECT_EQ(again.FenceAll(), 1) << "droverd unreachable at start: the fenced one stops";
  ASSERT_EQ(killed_.size(), 1u);
  EXPECT_EQ(killed_[0].task, "db-0-abcde");
}

}  // namespace
}  // namespace drover::node

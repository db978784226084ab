// A submission id makes a submission safe to retry: the same id from the same
// user is the same job, across a droverd restart, and nothing else.
#include <gtest/gtest.h>

#include <filesystem>

#include "db/store.h"
#include "tests/unit/daemons/cluster_state_fixture.h"

namespace drover::droverd {
namespace {

class SubmissionIdTest : public ClusterStateTest {};

Job WithSubmissionId(const std::string& id) {
  Job job = MakeJob("render", 2);
  job.submission_id = id;
  return job;
}

TEST_F(SubmissionIdTest, ARetriedSubmissionIsAnsweredWithTheJobTheFirstMade) {
  const uint64_t first = Submit(WithSubmissionId("retry-me"));
  const uint64_t again = Submit(WithSubmissionId("retry-me"));
  EXPECT_EQ(again, first);
  EXPECT_EQ(state_.jobs().size(), 1u);
  EXPECT_NE(Submit(WithSubmissionId("another")), first);
  EXPECT_NE(Submit(MakeJob("no-id", 1)), Submit(MakeJob("no-id", 1)))
      << "without an id every submission is a job";
  EXPECT_EQ(state_.jobs().size(), 4u);
}

TEST_F(SubmissionIdTest, TheSameIdFromAnotherUserIsAJobOfItsOwn) {
  const uint64_t alice = Submit(WithSubmissionId("shared"), User("alice", 1000));
  const uint64_t bob = Submit(WithSubmissionId("shared"), User("bob", 1001));
  EXPECT_NE(alice, bob);
  EXPECT_EQ(state_.jobs().at(bob).owner.user, "bob");
}

TEST_F(SubmissionIdTest, ASubmissionIdIsKeptAcrossARestart) {
  const std::string dir = ::testing::TempDir() + "/submission-id-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  auto store = db::OpenStore("sqlite:" + dir + "/drover.db");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const uint64_t first = Submit(WithSubmissionId("before-the-crash"));
  ASSERT_TRUE((*store)->Commit(state_.TakeMutations()).ok());

  ClusterState reloaded("epoch2");
  ASSERT_TRUE(reloaded.Load(**store, now_).ok());
  auto again = reloaded.SubmitJob(WithSubmissionId("before-the-crash"), User("alice", 1000), now_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->id, first);
  EXPECT_EQ(reloaded.jobs().size(), 1u);
  std::filesystem::remove_all(dir);
}

TEST_F(SubmissionIdTest, ASubmissionIdWithSpacesOrTooLongIsRefused) {
  for (const std::string& bad :
       {std::string("has space"), std::string(65, 'x'), std::string("tab\there")}) {
    auto r = state_.SubmitJob(WithSubmissionId(bad), User("alice", 1000), now_);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().field(), "metadata.submissionId");
  }
  EXPECT_TRUE(state_.jobs().empty());
}

}  // namespace
}  // namespace drover::droverd

// Job mail: which mails a job's state calls for (once each, whatever is
// asked again), and the mail program run with Slurm's arguments and
// variables.
#include "daemons/droverd/job_mail.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemons/droverd/mail_sender.h"
#include "tests/support/wait_for.h"
#include "tests/unit/daemons/cluster_state_fixture.h"

namespace drover::droverd {
namespace {

Job MailedJob(std::vector<std::string> types) {
  Job job;
  job.id = 12;
  job.metadata.name = "render";
  job.metadata.creation_time_ms = 1'000;
  job.owner.user = "alice";
  job.spec.mail.types = std::move(types);
  return job;
}

std::vector<std::string> Subjects(const std::vector<JobMail>& mails) {
  std::vector<std::string> out;
  for (const JobMail& m : mails) out.push_back(m.subject);
  return out;
}

TEST(JobMailTest, EachEventIsMailedOnceAsItsTypesAsk) {
  struct Case {
    std::vector<std::string> types;
    JobPhase end;
    std::string message;
    std::vector<std::string> at_start, at_end;
  };
  const std::string id = "Drover Job_id=12 Name=render ";
  for (const Case& c : std::vector<Case>{
           {{"BEGIN"}, JobPhase::kSucceeded, "", {id + "Began, Queued time 00:00:04"}, {}},
           {{"END"}, JobPhase::kSucceeded, "", {}, {id + "Ended, Run time 00:01:05, COMPLETED"}},
           {{"FAIL"}, JobPhase::kSucceeded, "", {}, {}},
           {{"FAIL"}, JobPhase::kFailed, "", {}, {id + "Failed, Run time 00:01:05, FAILED"}},
           {{"ALL"},
            JobPhase::kFailed,
            "task x: time limit exceeded",
            {id + "Began, Queued time 00:00:04"},
            {id + "Failed, Run time 00:01:05, TIMEOUT"}},
           {{"END"}, JobPhase::kCancelled, "", {}, {id + "Ended, Run time 00:01:05, CANCELLED"}},
       }) {
    Job job = MailedJob(c.types);
    EXPECT_TRUE(TakeDueMails(job, 0).empty()) << "pending: nothing to mail";
    job.status.phase = JobPhase::kRunning;
    job.status.start_time_ms = 5'000;
    EXPECT_EQ(Subjects(TakeDueMails(job, 0)), c.at_start) << c.types[0];
    EXPECT_TRUE(TakeDueMails(job, 0).empty()) << "once";
    job.status.phase = c.end;
    job.status.message = c.message;
    job.status.completion_time_ms = 70'000;
    EXPECT_EQ(Subjects(TakeDueMails(job, 0)), c.at_end) << c.types[0];
    EXPECT_TRUE(TakeDueMails(job, 0).empty()) << "once";
  }
}

TEST(JobMailTest, ADependencyThatCanNeverHoldIsMailedAsSuch) {
  Job job = MailedJob({"INVALID_DEPEND"});
  job.status.phase = JobPhase::kCancelled;
  job.status.message = "dependency afterok:3 can never be satisfied: job 3 is Failed";
  auto mails = TakeDueMails(job, 0);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].subject, "Drover Job_id=12 Name=render Dependency failed, CANCELLED");
  EXPECT_EQ(mails[0].user, "alice");
}

TEST(JobMailTest, TimeLimitMailsFallDueAtTheirShareOfTheLimitOnceEachAndNotWithAll) {
  Job job = MailedJob({"TIME_LIMIT_50", "TIME_LIMIT_90", "TIME_LIMIT"});
  job.spec.task.time_limit_s = 100;
  job.status.phase = JobPhase::kRunning;
  job.status.start_time_ms = 1'000'000;
  int64_t next = 0;
  EXPECT_TRUE(TakeDueMails(job, 1'010'000, &next).empty());
  EXPECT_EQ(next, 1'050'000) << "the 50% mail is next";
  next = 0;
  std::vector<JobMail> half = TakeDueMails(job, 1'050'000, &next);
  EXPECT_EQ(Subjects(half), std::vector<std::string>{"Drover Job_id=12 Name=render Reached 50% of "
                                                     "time limit, Run time 00:00:50"});
  EXPECT_EQ(next, 1'090'000);
  EXPECT_TRUE(TakeDueMails(job, 1'060'000).empty()) << "once";
  EXPECT_EQ(TakeDueMails(job, 1'200'000).size(), 2u) << "90% and 100%, late but sent";
  Job all = MailedJob({"ALL"});
  all.spec.task.time_limit_s = 100;
  all.status.phase = JobPhase::kRunning;
  all.status.start_time_ms = 1'000'000;
  all.status.mailed = {"BEGIN"};
  EXPECT_TRUE(TakeDueMails(all, 1'200'000).empty()) << "as in Slurm, ALL has no TIME_LIMIT";
}

TEST(MailSenderTest, RunsTheProgramWithSubjectUserAndSlurmsVariables) {
  const std::string dir = ::testing::TempDir() + "/mail-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  const std::string program = dir + "/fake-mail";
  std::ofstream(program) << "#!/bin/sh\n"
                            "printf '%s|%s|%s|%s|%s\\n' \"$1\" \"$2\" \"$3\" \"$SLURM_JOB_ID\" "
                            "\"$SLURM_JOB_MAIL_TYPE\" >> " +
                                dir +
                                "/sent\n"
                                "[ \"$3\" != refuse@x ]\n";
  std::filesystem::permissions(program, std::filesystem::perms::owner_all);
  Job job = MailedJob({"END"});
  job.spec.mail.user = "bob@example.org";
  job.status.phase = JobPhase::kSucceeded;
  std::vector<JobMail> mails = TakeDueMails(job, 0);
  ASSERT_EQ(mails.size(), 1u);
  JobMail refused = mails[0];
  refused.user = "refuse@x";
  {
    MailSender sender(program);
    sender.Send(mails[0]);
    sender.Send(refused);
    ASSERT_TRUE(drover::testing::WaitFor([&] { return sender.sent() + sender.failed() == 2; },
                                         std::chrono::seconds(10)));
    EXPECT_EQ(sender.sent(), 1);
    EXPECT_EQ(sender.failed(), 1);
  }
  std::ifstream in(dir + "/sent");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(
      text.str(),
      "-s|Drover Job_id=12 Name=render Ended, Run time 00:00:00, COMPLETED|bob@example.org|12|"
      "Ended\n"
      "-s|Drover Job_id=12 Name=render Ended, Run time 00:00:00, COMPLETED|refuse@x|12|"
      "Ended\n");
  std::filesystem::remove_all(dir);
}

class JobMailStateTest : public ClusterStateTest {};

TEST_F(JobMailStateTest, TheMailsOfABatchAreTakenOnceWithTheJobMarked) {
  Job job = MakeJob("mailed", 1);
  job.spec.mail.types = {"BEGIN", "END"};
  const uint64_t id = Submit(job);
  EXPECT_TRUE(state_.TakeMail(now_).empty()) << "pending";
  Pass();  // placed: it began, as Slurm's job does when allocated
  std::vector<JobMail> began = state_.TakeMail(now_);
  ASSERT_EQ(began.size(), 1u);
  EXPECT_NE(began[0].subject.find("Began"), std::string::npos) << began[0].subject;
  EXPECT_EQ(state_.FindJob(id)->status.mailed, std::vector<std::string>{"BEGIN"});
  for (const Task* t : Active(id)) Report(t, TaskPhase::kRunning);
  EXPECT_TRUE(state_.TakeMail(now_).empty());
  for (const Task* t : Active(id)) Report(t, TaskPhase::kSucceeded);
  std::vector<JobMail> ended = state_.TakeMail(now_);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_NE(ended[0].subject.find("Ended"), std::string::npos) << ended[0].subject;
  // The marks are stored with the batch: a restart sends nothing again.
  bool stored = false;
  for (const db::Mutation& m : state_.TakeMutations()) {
    stored = stored || (m.kind == "job" &&
                        m.data.find("\"mailed\":[\"BEGIN\",\"END\"]") != std::string::npos);
  }
  EXPECT_TRUE(stored);
}

TEST(MailSenderTest, AHungMailProgramIsKilledAtItsTimeoutAndTheNextMailGoesOut) {
  const std::string dir = ::testing::TempDir() + "/hung-mail-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  const std::string program = dir + "/mail";
  std::ofstream(program) << "#!/bin/sh\n"
                            "[ \"$3\" = hang ] && exec sleep 600\n"
                            "echo \"$3\" >> " +
                                dir + "/sent\n";
  std::filesystem::permissions(program, std::filesystem::perms::owner_all);
  JobMail hang{.user = "hang", .subject = "s", .env = {}};
  JobMail next{.user = "next", .subject = "s", .env = {}};
  MailSender sender(program, /*timeout_ms=*/200);
  sender.Send(hang);
  sender.Send(next);
  ASSERT_TRUE(drover::testing::WaitFor([&] { return sender.sent() + sender.failed() == 2; },
                                       std::chrono::seconds(10)));
  EXPECT_EQ(sender.failed(), 1);
  EXPECT_EQ(sender.sent(), 1);
  std::ifstream in(dir + "/sent");
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "next");
  std::filesystem::remove_all(dir);
}

TEST_F(JobMailStateTest, ATimeLimitMailIsSentWhenItsTimeComesWithoutAnyChangeToTheJob) {
  Job job = MakeJob("long", 1);
  job.spec.mail.types = {"TIME_LIMIT_80"};
  job.spec.task.time_limit_s = 100;
  const uint64_t id = Submit(job);
  Pass();
  for (const Task* t : Active(id)) Report(t, TaskPhase::kRunning);
  EXPECT_TRUE(state_.TakeMail(now_).empty());
  (void)state_.TakeMutations();
  now_ += 79'000;
  EXPECT_TRUE(state_.TakeMail(now_).empty()) << "79 s of 100";
  now_ += 1'000;
  std::vector<JobMail> mails = state_.TakeMail(now_);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_NE(mails[0].subject.find("Reached 80% of time limit"), std::string::npos)
      << mails[0].subject;
  EXPECT_EQ(state_.FindJob(id)->status.mailed,
            (std::vector<std::string>{"BEGIN", "TIME_LIMIT_80"}));
  EXPECT_TRUE(state_.TakeMail(now_ + 60'000).empty()) << "once";
}

}  // namespace
}  // namespace drover::droverd

// drover-node's PMIx server (daemons/node/pmix_server.h) against real
// OpenMPI programs: ranks launched with the environment it gives make one
// MPI world, and a step that spans nodes hands its fences to the host.
#include "daemons/node/pmix_server.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "tests/support/test_users.h"
#include "tests/support/wait_for.h"

extern char** environ;

namespace drover::node {
namespace {

namespace fs = std::filesystem;

// libpmix runs one server per process, once: the tests share it.
class PmixServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/drover-pmix-server-XXXXXX";
    server_dir_ = mkdtemp(tmpl);
    auto server = PmixServer::Start(server_dir_ + "/pmix", "n1", [](FenceContribution f) {
      std::lock_guard<std::mutex> lock(sent_mu_);
      sent_.push_back(std::move(f));
    });
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
  }
  static void TearDownTestSuite() {
    server_.reset();
    fs::remove_all(server_dir_);
  }
  // The fences the server handed to the host, of job `job`.
  static std::vector<FenceContribution> SentFor(uint64_t job) {
    std::lock_guard<std::mutex> lock(sent_mu_);
    std::vector<FenceContribution> out;
    for (const auto& f : sent_) {
      if (f.job_id == job) out.push_back(f);
    }
    return out;
  }

  void SetUp() override {
    char tmpl[] = "/tmp/drover-pmix-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    ASSERT_EQ(std::system("command -v mpicc > /dev/null"), 0)
        << "mpicc is missing (scripts/install-deps.sh installs libopenmpi-dev)";
    program_ = dir_ + "/allreduce";
    ASSERT_EQ(std::system(("mpicc -o " + program_ + " " DROVER_TEST_MPI_SOURCE).c_str()), 0);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Starts `program_` as a rank with the server's variables; its output goes to `out`.
  pid_t StartRank(const std::vector<std::pair<std::string, std::string>>& vars,
                  const std::string& out, uid_t uid = getuid(), gid_t gid = getgid()) {
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
    for (const auto& [k, v] : vars) env.push_back(k + "=" + v);
    // OpenMPI 4.1 takes itself for direct-launched (and asks the PMIx
    // server) only inside a Slurm step, as the ranks of drover-node are.
    for (const char* slurm :
         {"SLURMD_NODENAME=n1", "SLURM_JOBID=7", "SLURM_NODELIST=n1", "SLURM_STEP_ID=0"}) {
      env.push_back(slurm);
    }
    // One host: TCP over loopback, as ranks of different nodes would talk.
    env.push_back("OMPI_MCA_btl=self,tcp");
    env.push_back("OMPI_MCA_btl_tcp_if_include=lo");
    env.push_back("OMPI_MCA_oob_tcp_if_include=lo");
    pid_t pid = fork();
    if (pid == 0) {
      std::vector<char*> envp;
      for (std::string& s : env) envp.push_back(s.data());
      envp.push_back(nullptr);
      FILE* f = std::fopen(out.c_str(), "w");
      if (f == nullptr) _exit(126);
      dup2(fileno(f), 1);
      dup2(fileno(f), 2);
      if (gid != getgid() && setgid(gid) != 0) _exit(125);
      if (uid != getuid() && setuid(uid) != 0) _exit(125);
      char* argv[] = {program_.data(), nullptr};
      execve(program_.c_str(), argv, envp.data());
      _exit(127);
    }
    return pid;
  }

  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::string dir_, program_;
  static inline std::string server_dir_;
  static inline std::unique_ptr<PmixServer> server_;
  static inline std::mutex sent_mu_;
  static inline std::vector<FenceContribution> sent_;
};

TEST_F(PmixServerTest, RanksOfAOneNodeStepMakeOneMpiWorld) {
  ASSERT_NE(server_, nullptr);
  PmixStep step{7, 0, {"n1"}, {3}, "allreduce"};
  std::vector<pid_t> pids;
  for (int32_t rank = 0; rank < 3; ++rank) {
    auto vars = server_->PrepareRank(step, rank, getuid(), getgid());
    ASSERT_TRUE(vars.ok()) << vars.status().ToString();
    bool has_uri = false;
    for (const auto& [k, v] : *vars) has_uri = has_uri || k.rfind("PMIX_SERVER_URI", 0) == 0;
    EXPECT_TRUE(has_uri) << "the rank is told where the server listens";
    pids.push_back(StartRank(*vars, dir_ + "/rank" + std::to_string(rank)));
  }
  for (int32_t rank = 0; rank < 3; ++rank) {
    int status = 0;
    ASSERT_EQ(waitpid(pids[rank], &status, 0), pids[rank]);
    const std::string out = Read(dir_ + "/rank" + std::to_string(rank));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
    // One world of three: 1+2+3.
    EXPECT_EQ(out.rfind("rank=" + std::to_string(rank) + " size=3 sum=6 node=n1", 0), 0u) << out;
    server_->RankEnded(step.Namespace(), rank);
  }
  EXPECT_TRUE(SentFor(7).empty()) << "a one-node step's fences complete on the node";
  // Ended ranks are forgotten: the same step may register again.
  auto again = server_->PrepareRank(step, 0, getuid(), getgid());
  EXPECT_TRUE(again.ok()) << again.status().ToString();
  server_->RankEnded(step.Namespace(), 0);
}

// drover-node runs as root and the ranks as their user, who reaches the
// server through the address in its environment alone.
TEST_F(PmixServerTest, RanksOfAnotherUserReachTheRootServer) {
  if (getuid() != 0) GTEST_SKIP() << "needs root to run ranks as another user";
  auto user = drover::testing::EnsureTestUser("drover-mpi");
  ASSERT_TRUE(user.ok()) << user.status().ToString();
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
  PmixStep step{8, 0, {"n1"}, {2}, "allreduce"};
  std::vector<pid_t> pids;
  for (int32_t rank = 0; rank < 2; ++rank) {
    auto vars = server_->PrepareRank(step, rank, user->uid, user->gid);
    ASSERT_TRUE(vars.ok()) << vars.status().ToString();
    pids.push_back(StartRank(*vars, dir_ + "/user" + std::to_string(rank), user->uid, user->gid));
  }
  for (int32_t rank = 0; rank < 2; ++rank) {
    int status = 0;
    ASSERT_EQ(waitpid(pids[rank], &status, 0), pids[rank]);
    const std::string out = Read(dir_ + "/user" + std::to_string(rank));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
    EXPECT_EQ(out.rfind("rank=" + std::to_string(rank) + " size=2 sum=3 node=n1", 0), 0u) << out;
    server_->RankEnded(step.Namespace(), rank);
  }
}

TEST_F(PmixServerTest, AStepAcrossNodesSendsItsFenceToTheHostAndWaitsForItsPeers) {
  ASSERT_NE(server_, nullptr);
  // Rank 0 and 1 here on n1, rank 2 on n2 (which this test does not run).
  PmixStep step{9, 4, {"n1", "n2"}, {2, 1}, "allreduce"};
  std::vector<pid_t> pids;
  for (int32_t rank = 0; rank < 2; ++rank) {
    auto vars = server_->PrepareRank(step, rank, getuid(), getgid());
    ASSERT_TRUE(vars.ok()) << vars.status().ToString();
    pids.push_back(StartRank(*vars, dir_ + "/rank" + std::to_string(rank)));
  }
  // Both local ranks reach MPI_Init's fence: the node's one share goes out.
  ASSERT_TRUE(
      drover::testing::WaitFor([&] { return !SentFor(9).empty(); }, std::chrono::seconds(60)));
  {
    const std::vector<FenceContribution> sent = SentFor(9);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].job_id, 9u);
    EXPECT_EQ(sent[0].step_id, 4);
    EXPECT_EQ(sent[0].sequence, 0);
    EXPECT_EQ(sent[0].nodes, 2);
    EXPECT_FALSE(sent[0].data.empty()) << "the ranks' addresses travel with the fence";
  }
  // Without n2's share they wait in MPI_Init.
  for (pid_t pid : pids) EXPECT_EQ(waitpid(pid, nullptr, WNOHANG), 0);
  for (pid_t pid : pids) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  for (int32_t rank = 0; rank < 2; ++rank) server_->RankEnded(step.Namespace(), rank);
}

TEST_F(PmixServerTest, ARankNotOnThisNodeIsRefusedNamingTheLayout) {
  ASSERT_NE(server_, nullptr);
  PmixStep step{9, 1, {"n1", "n2"}, {2, 1}, "x"};
  auto elsewhere = server_->PrepareRank(step, 2, getuid(), getgid());
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_EQ(elsewhere.status().field(), "pmix.rank");
  PmixStep other{9, 2, {"n2"}, {1}, "x"};
  auto not_here = server_->PrepareRank(other, 0, getuid(), getgid());
  ASSERT_FALSE(not_here.ok());
  EXPECT_NE(not_here.status().message().find("node n1 is not among the step's nodes"),
            std::string::npos)
      << not_here.status().message();
  auto second = PmixServer::Start(dir_ + "/pmix2", "n1", [](FenceContribution) {});
  EXPECT_FALSE(second.ok()) << "libpmix allows one server per process";
}

}  // namespace
}  // namespace drover::node

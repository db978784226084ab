// drover-node's probes (daemons/node/probe_checks.h, probe_runner.h) against
// real sockets and real commands: what passes, what fails and why, and how
// thresholds turn results into readiness changes and restarts.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "daemons/node/probe_checks.h"
#include "daemons/node/probe_runner.h"

namespace drover::node {
namespace {

// A listening socket on 127.0.0.1 that answers each connection with `answer`
// (nothing: accept and close) until destroyed.
class TinyServer {
 public:
  explicit TinyServer(std::string answer) : answer_(std::move(answer)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(fd_, 16);
    thread_ = std::thread([this] {
      while (true) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        if (!answer_.empty()) {
          char buf[1024];
          (void)::recv(c, buf, sizeof buf, 0);
          (void)::send(c, answer_.data(), answer_.size(), MSG_NOSIGNAL);
        }
        ::close(c);
      }
    });
  }
  ~TinyServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  int32_t port() const { return port_; }

 private:
  std::string answer_;
  int fd_ = -1;
  int32_t port_ = 0;
  std::thread thread_;
};

// A port nothing listens on: bound, then closed.
int32_t ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

executors::LaunchSpec AsThisUser() {
  executors::LaunchSpec spec;
  spec.task = "t";
  spec.uid = ::getuid();
  spec.gid = ::getgid();
  spec.working_dir = "/";
  spec.env = {"PATH=/usr/bin:/bin"};
  return spec;
}

TEST(ProbeChecksTest, TcpPassesWhenSomethingListensAndSaysWhyWhenNot) {
  TinyServer server("");
  EXPECT_TRUE(CheckTcp(server.port(), 1000).ok());
  Status refused = CheckTcp(ClosedPort(), 1000);
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("Connection refused"), std::string::npos) << refused.message();
}

TEST(ProbeChecksTest, HttpGetPassesOn2xxAnd3xxOnly) {
  TinyServer ok("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  TinyServer moved("HTTP/1.0 302 Found\r\n\r\n");
  TinyServer unavailable("HTTP/1.1 503 Service Unavailable\r\n\r\n");
  TinyServer garbage("hello\r\n");
  EXPECT_TRUE(CheckHttpGet(ok.port(), "/healthz", 1000).ok());
  EXPECT_TRUE(CheckHttpGet(moved.port(), "/", 1000).ok());
  Status st = CheckHttpGet(unavailable.port(), "/", 1000);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("HTTP 503"), std::string::npos) << st.message();
  EXPECT_FALSE(CheckHttpGet(garbage.port(), "/", 1000).ok());
  EXPECT_FALSE(CheckHttpGet(ClosedPort(), "/", 1000).ok());
}

TEST(ProbeChecksTest, ExecPassesOnExitZeroAndIsKilledAtItsTimeout) {
  executors::ProcessLauncher launcher;
  executors::LaunchSpec spec = AsThisUser();
  spec.argv = {"/bin/true"};
  EXPECT_TRUE(CheckExec(launcher, spec, 1000).ok());
  spec.argv = {"/bin/sh", "-c", "exit 3"};
  Status failed = CheckExec(launcher, spec, 1000);
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(failed.message().find("exited 3"), std::string::npos) << failed.message();
  spec.argv = {"/bin/sleep", "30"};
  auto start = std::chrono::steady_clock::now();
  Status slow = CheckExec(launcher, spec, 200);
  EXPECT_FALSE(slow.ok());
  EXPECT_NE(slow.message().find("timed out"), std::string::npos) << slow.message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // The probe sees the task's environment.
  spec.env.push_back("WANT=yes");
  spec.argv = {"/bin/sh", "-c", "test \"$WANT\" = yes"};
  EXPECT_TRUE(CheckExec(launcher, spec, 1000).ok());
}

// Records what the runner says, and lets a test wait for it.
struct Recorder {
  std::mutex mu;
  std::vector<std::pair<std::string, bool>> readiness;
  std::vector<std::pair<std::string, std::string>> failures;

  ProbeRunner::Callbacks Callbacks() {
    return {[this](const std::string& t, bool ready) {
              std::lock_guard<std::mutex> lock(mu);
              readiness.emplace_back(t, ready);
            },
            [this](const std::string& t, const std::string& why) {
              std::lock_guard<std::mutex> lock(mu);
              failures.emplace_back(t, why);
            }};
  }
  template <typename Done>
  bool WaitFor(Done done) {
    for (int i = 0; i < 500; ++i) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (done()) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::lock_guard<std::mutex> lock(mu);
    return done();
  }
};

ProbeSpec Tcp(int32_t port, int32_t failure_threshold = 1) {
  ProbeSpec p;
  p.kind = ProbeSpec::Kind::kTcpSocket;
  p.port = port;
  p.period_ms = 100;
  p.timeout_ms = 500;
  p.failure_threshold = failure_threshold;
  return p;
}

TEST(ProbeRunnerTest, ReadinessFollowsTheProbeAndStartsFalse) {
  Recorder seen;
  ProbeRunner runner(seen.Callbacks());
  runner.Start();
  auto server = std::make_unique<TinyServer>("");
  TaskProbes probes;
  probes.readiness = Tcp(server->port());
  runner.Add("web-1", probes, ProbeRunner::NowMs());
  ASSERT_TRUE(seen.WaitFor([&] { return !seen.readiness.empty(); }));
  EXPECT_EQ(seen.readiness[0], (std::pair<std::string, bool>{"web-1", true}));
  server.reset();  // it stops listening: not ready
  ASSERT_TRUE(seen.WaitFor([&] { return seen.readiness.size() >= 2; }));
  EXPECT_EQ(seen.readiness[1], (std::pair<std::string, bool>{"web-1", false}));
  EXPECT_TRUE(seen.failures.empty()) << "readiness never restarts a task";
  runner.Stop();
}

TEST(ProbeRunnerTest, LivenessFailuresInARowAskForARestartOnce) {
  Recorder seen;
  ProbeRunner runner(seen.Callbacks());
  runner.Start();
  TaskProbes probes;
  probes.liveness = Tcp(ClosedPort(), /*failure_threshold=*/3);
  runner.Add("web-2", probes, ProbeRunner::NowMs());
  ASSERT_TRUE(seen.WaitFor([&] { return !seen.failures.empty(); }));
  EXPECT_EQ(seen.failures[0].first, "web-2");
  EXPECT_NE(seen.failures[0].second.find("liveness probe failed 3 times"), std::string::npos)
      << seen.failures[0].second;
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  std::lock_guard<std::mutex> lock(seen.mu);
  EXPECT_EQ(seen.failures.size(), 1u) << "probing stops once a restart is asked";
}

TEST(ProbeRunnerTest, NothingButTheStartupProbeRunsUntilItPasses) {
  Recorder seen;
  ProbeRunner runner(seen.Callbacks());
  runner.Start();
  TinyServer up("");
  const int32_t down = ClosedPort();
  TaskProbes probes;
  probes.startup = Tcp(down, /*failure_threshold=*/1000);  // never passes, never gives up here
  probes.readiness = Tcp(up.port());
  probes.liveness = Tcp(down, 1);  // would fail at once if it ran
  runner.Add("slow", probes, ProbeRunner::NowMs());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::lock_guard<std::mutex> lock(seen.mu);
  EXPECT_TRUE(seen.readiness.empty());
  EXPECT_TRUE(seen.failures.empty());
}

TEST(ProbeRunnerTest, ARemovedTaskIsProbedNoMore) {
  Recorder seen;
  ProbeRunner runner(seen.Callbacks());
  runner.Start();
  TaskProbes probes;
  probes.liveness = Tcp(ClosedPort(), 2);
  probes.liveness->initial_delay_ms = 300;
  runner.Add("gone", probes, ProbeRunner::NowMs());
  runner.Remove("gone");
  EXPECT_EQ(runner.size(), 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  std::lock_guard<std::mutex> lock(seen.mu);
  EXPECT_TRUE(seen.failures.empty());
}

TEST(ProbeRunnerTest, MalformedProbesInALaunchAreRefused) {
  EXPECT_FALSE(TaskProbesFromLaunch(Json::array()).ok());
  EXPECT_FALSE(TaskProbesFromLaunch(Json{{"sideways", {{"kind", "tcpSocket"}}}}).ok());
  EXPECT_FALSE(TaskProbesFromLaunch(Json{{"readiness", {{"port", 1}}}}).ok()) << "no kind";
  auto ok = TaskProbesFromLaunch(
      Json{{"readiness", {{"kind", "httpGet"}, {"path", "/h"}, {"port", 8080}, {"periodMs", 2000}}}});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_TRUE(ok->readiness.has_value());
  EXPECT_EQ(ok->readiness->port, 8080);
  EXPECT_EQ(ok->readiness->period_ms, 2000);
  EXPECT_EQ(ok->readiness->failure_threshold, 3) << "Kubernetes' default";
}

}  // namespace
}  // namespace drover::node

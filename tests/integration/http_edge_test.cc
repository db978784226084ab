// droverd's HTTP edge under abuse, on the real daemon: slow and idle clients,
// oversized bodies, and requests meant to grow its metrics. Each must end in
// a refusal while everyone else is served.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/local_cluster.h"
#include "tests/support/raw_http.h"

namespace drover::testing {
namespace {

class HttpEdgeTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(cluster_.Start().ok()); }
  int Port() const { return PortOf(cluster_.tcp_endpoint()); }
  LocalCluster cluster_;
};

TEST_F(HttpEdgeTest, ASlowClientHoldsOnlyItsOwnConnection) {
  // Sends a request head one byte at a time, 50 ms apart, for the whole test.
  int slow = ConnectLoopback(Port());
  ASSERT_GE(slow, 0);
  std::atomic<bool> done{false};
  std::thread trickle([&] {
    const std::string head = "GET /api/v1/jobs HTTP/1.1\r\nHost: x\r\nX-Padding: ";
    for (size_t i = 0; !done; ++i) {
      char c = i < head.size() ? head[i] : 'a';
      if (::write(slow, &c, 1) != 1) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  HttpClient admin(cluster_.tcp_endpoint(), cluster_.admin_token());
  for (int i = 0; i < 20; ++i) {
    auto r = admin.Send("GET", "/api/v1/jobs", "", std::chrono::seconds(2));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
  }
  done = true;
  trickle.join();
  ::close(slow);
}

TEST_F(HttpEdgeTest, IdleConnectionsOverTheCapAreRefusedAndOthersAreServed) {
  // droverd allows 512 connections per peer address: hold 600 idle ones.
  std::vector<int> idle;
  for (int i = 0; i < 600; ++i) {
    int fd = ConnectLoopback(Port());
    if (fd >= 0) idle.push_back(fd);
  }
  int refused = 0;
  for (int fd : idle) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 0) > 0 && StatusOf(ReadHead(fd, std::chrono::milliseconds(200))) == 503) {
      ++refused;
    }
  }
  // Give refusals that were still on their way a moment, by waiting on them.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (refused < 88 && std::chrono::steady_clock::now() < deadline) {
    refused = 0;
    for (int fd : idle) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 0) > 0) ++refused;
    }
  }
  EXPECT_GE(refused, 88) << "connections past 512 from one address are answered";
  // Another peer (the Unix socket) is served meanwhile.
  auto jobs = cluster_.Call("GET", "/api/v1/jobs");
  EXPECT_TRUE(jobs.ok()) << jobs.status().ToString();
  for (int fd : idle) ::close(fd);
  // And, once they are gone, TCP clients again.
  HttpClient admin(cluster_.tcp_endpoint(), cluster_.admin_token());
  auto again = admin.Send("GET", "/api/v1/jobs", "", std::chrono::seconds(5));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->status, 200);
}

TEST_F(HttpEdgeTest, AHugeBodyIsRefusedBeforeItIsRead) {
  // No token: refused on the head (401); with one: over the route's limit (413).
  for (bool with_token : {false, true}) {
    int fd = ConnectLoopback(Port());
    ASSERT_GE(fd, 0);
    std::string head = "POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n";
    if (with_token) head += "Authorization: Bearer " + cluster_.admin_token() + "\r\n";
    head += "\r\n";
    ASSERT_EQ(::write(fd, head.data(), head.size()), static_cast<ssize_t>(head.size()));
    std::string answer = ReadHead(fd, std::chrono::seconds(5));
    EXPECT_EQ(StatusOf(answer), with_token ? 413 : 401) << answer;
    ::close(fd);
  }
}

TEST_F(HttpEdgeTest, OnlyANodeGetsTheBodyAllowanceOfItsReports) {
  // A node's reports may be 32 MiB; another node's credential is refused on the head.
  int fd = ConnectLoopback(Port());
  ASSERT_GE(fd, 0);
  std::string head = "POST /api/v1/nodes/" + cluster_.node_name(0) +
                     "/status HTTP/1.1\r\nHost: x\r\nContent-Length: 30000000\r\n"
                     "Authorization: Bearer " +
                     cluster_.node_token(1) + "\r\n\r\n";
  ASSERT_EQ(::write(fd, head.data(), head.size()), static_cast<ssize_t>(head.size()));
  std::string answer = ReadHead(fd, std::chrono::seconds(5));
  EXPECT_EQ(StatusOf(answer), 403) << answer;
  ::close(fd);
}

TEST_F(HttpEdgeTest, UnauthenticatedRequestsDoNotGrowTheMetrics) {
  auto before = cluster_.Call("GET", "/metrics");
  ASSERT_TRUE(before.ok());
  HttpClient anonymous(cluster_.tcp_endpoint());
  for (int i = 0; i < 2000; ++i) {
    auto r = anonymous.Send(i % 2 ? "GET" : "BREW", "/probe-" + std::to_string(i), "");
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->status == 404 || r->status == 400) << r->status;
  }
  auto after = cluster_.Call("GET", "/metrics");
  ASSERT_TRUE(after.ok());
  // The request histograms gain at most a couple of label sets, not 2000.
  EXPECT_LT(after->get<std::string>().size(), before->get<std::string>().size() + 8000)
      << after->get<std::string>().substr(0, 2000);
}

}  // namespace
}  // namespace drover::testing

namespace drover::testing {
namespace {

TEST(TlsClusterTest, NodesAndClientsTalkToDroverdOverVerifiedTls) {
  LocalClusterOptions options;
  options.tls = true;
  LocalCluster cluster(options);
  // Start() waits until both nodes registered, which they did over https://.
  ASSERT_TRUE(cluster.Start().ok());
  HttpClient admin(cluster.tls_endpoint(), cluster.admin_token(),
                   HttpClientOptions{cluster.ca_file()});
  auto submitted = admin.Send("POST", "/api/v1/jobs", ShellJob("tls", "echo over-tls").dump());
  ASSERT_TRUE(submitted.ok()) << submitted.status().ToString();
  ASSERT_EQ(submitted->status, 201) << submitted->body;
  uint64_t id = Json::parse(submitted->body)["metadata"]["id"];
  auto done = cluster.WaitForJob(id, std::chrono::seconds(60));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ((*done)["status"]["phase"], "Succeeded");
  auto logs = admin.Send("GET", "/api/v1/jobs/" + std::to_string(id) + "/logs?index=0", "");
  ASSERT_TRUE(logs.ok());
  EXPECT_EQ(logs->body, "over-tls\n");
  // A client that trusts no one who signed droverd's certificate is refused.
  HttpClient unverified(cluster.tls_endpoint(), cluster.admin_token());
  auto refused = unverified.Send("GET", "/api/v1/jobs", "");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnauthenticated) << refused.status().ToString();
}

TEST(DroverdListenTest, PlainTcpOffLoopbackIsRefusedUnlessAllowed) {
  std::string bin = std::filesystem::read_symlink("/proc/self/exe").parent_path().string();
  std::string dir = ::testing::TempDir() + "/drover-listen-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  std::string cmd =
      bin + "/droverd --state-dir " + dir + " --listen 0.0.0.0:0 >" + dir + "/out 2>&1";
  int rc = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 2) << rc;
  std::ifstream out(dir + "/out");
  std::string text((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("not loopback"), std::string::npos) << text;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace drover::testing
